//! Every built-in theme drawn on the same diff, in truecolor, with the
//! colours of each row written out: a snapshot per theme shows what a user
//! of that theme sees (and a change to a theme file shows up in review).

use ratatui::style::Color;

use super::*;

/// `#rrggbb`, or the colour's name when it is not RGB.
fn colour(c: Color) -> String {
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Reset => "-".to_string(),
        other => format!("{other:?}"),
    }
}

/// Each row's text, then its runs of one style as `start-end fg/bg`
/// (default colours as `-`).
fn styled_rows(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut text = String::new();
        let mut runs: Vec<(u16, u16, String)> = Vec::new();
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            text.push_str(cell.symbol());
            let style = format!("{}/{}", colour(cell.fg), colour(cell.bg));
            match runs.last_mut() {
                Some((_, end, s)) if *s == style => *end = x,
                _ => runs.push((x, x, style)),
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
        let runs: Vec<String> = runs
            .into_iter()
            .filter(|(_, _, s)| s != "-/-")
            .map(|(a, b, s)| format!("{a}-{b} {s}"))
            .collect();
        if !runs.is_empty() {
            out.push_str(&format!("    {}\n", runs.join("  ")));
        }
    }
    out
}

#[test]
fn each_theme_on_the_same_diff() {
    for name in Theme::names(None) {
        let theme = Theme::built_in(&name, ColorDepth::TrueColor).unwrap();
        let mut v = viewer(snapshot(vec![lib_rs()]));
        let mut terminal = Terminal::new(TestBackend::new(72, 16)).unwrap();
        terminal.draw(|f| v.render(f, f.area(), &theme)).unwrap();
        let rows = styled_rows(terminal.backend().buffer());
        let added = theme.diff_added.bg.map(colour).unwrap();
        assert!(
            rows.contains(&added),
            "{name}: added lines use the theme's colour"
        );
        insta::assert_snapshot!(format!("theme_{name}"), rows);
    }
}
