//! The "Keys" section of README.md, generated from the keymap table and the
//! composer's key list, so the documentation cannot drift from the code: a
//! test compares the README with [`markdown`] and says how to refresh it.

use super::composer::KEY_BINDINGS;
use super::keymap::{Context, bindings};

/// Where the generated section starts and ends in README.md.
pub const START: &str = "<!-- keys: generated from src/tui/keymap.rs; `TANDEM_UPDATE_README=1 cargo test readme_keys` refreshes it -->";
/// The end marker.
pub const END: &str = "<!-- end of keys -->";

/// Every key, one table per context, as Markdown.
pub fn markdown() -> String {
    let mut out = String::new();
    let mut table = |title: &str, rows: Vec<(String, String)>| {
        out.push_str(&format!(
            "\n**{title}**\n\n| keys | what they do |\n|---|---|\n"
        ));
        for (keys, what) in rows {
            out.push_str(&format!("| {} | {} |\n", cell(&keys), cell(&what)));
        }
    };
    for context in Context::ALL {
        let rows = bindings(context)
            .map(|b| (b.keys.to_string(), b.description.to_string()))
            .collect();
        table(context.title(), rows);
    }
    table(
        "Composer",
        KEY_BINDINGS
            .iter()
            .map(|(k, w)| (k.to_string(), w.to_string()))
            .collect(),
    );
    out
}

/// A table cell: a `|` inside would end the cell early.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_keys_match_the_keymap() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let start = readme
            .find(START)
            .expect("README.md has the keys start marker");
        let end = readme.find(END).expect("README.md has the keys end marker");
        let body_start = start + START.len();
        let expected = format!("\n{}\n", markdown());
        if std::env::var_os("TANDEM_UPDATE_README").is_some() {
            let updated = format!("{}{}{}", &readme[..body_start], expected, &readme[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert!(
            readme[body_start..end] == expected,
            "README.md's key tables differ from the keymap; run \
             `TANDEM_UPDATE_README=1 cargo test readme_keys` and commit README.md"
        );
    }
}
