//! The format of a custom command file, as Claude Code writes them: an
//! optional frontmatter block between `---` lines, then the prompt body with
//! `$ARGUMENTS` and `$1`..`$9` placeholders.
//!
//! The frontmatter is read by a small `key: value` line parser rather than a
//! YAML crate: four keys (`description`, `argument-hint`, `pane`, `model`)
//! do not justify a YAML dependency. Lines it does not understand (YAML
//! lists under `allowed-tools`, comments, unknown keys) are skipped, so
//! Claude Code's files load unchanged.

/// Characters of a description taken from the body's first line.
const DESCRIPTION_CHARS: usize = 80;

/// The pane a command's prompt goes to (`pane: chat|run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandPane {
    Chat,
    Run,
}

/// What a command file says, before discovery gives it a name and origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFile {
    /// `description:`, else the body's first non-empty line (heading marks
    /// dropped, trimmed, capped).
    pub description: String,
    /// `argument-hint:` (empty when absent), shown after the name.
    pub argument_hint: String,
    /// `pane:`; `None` sends the prompt to the focused pane.
    pub pane: Option<CommandPane>,
    /// `model:`; the model one task of this command runs on.
    pub model: Option<String>,
    /// The prompt template (line endings normalised to `\n`).
    pub body: String,
}

/// Parses a command file's text. The only error is a value that cannot be
/// honoured (a `pane` other than chat or run); the caller names the file.
pub fn parse(text: &str) -> Result<CommandFile, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n");
    let (front, body) = split_frontmatter(&text);
    let mut file = CommandFile {
        description: String::new(),
        argument_hint: String::new(),
        pane: None,
        model: None,
        body: body.to_string(),
    };
    for line in front.lines() {
        // Indented lines continue a YAML value (lists, blocks): not ours.
        if line.starts_with([' ', '\t']) || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = unquote(value.trim());
        match key.trim().to_ascii_lowercase().as_str() {
            "description" => file.description = value.to_string(),
            "argument-hint" => file.argument_hint = value.to_string(),
            "model" => file.model = (!value.is_empty()).then(|| value.to_string()),
            "pane" => {
                file.pane = match value.to_ascii_lowercase().as_str() {
                    "" => None,
                    "chat" => Some(CommandPane::Chat),
                    "run" => Some(CommandPane::Run),
                    _ => return Err(format!("`pane: {value}` is not a pane: use chat or run")),
                }
            }
            _ => {}
        }
    }
    if file.description.is_empty() {
        file.description = first_line(&file.body);
    }
    Ok(file)
}

/// Splits `---\nfront\n---\nbody`; text without an opening `---` line, or
/// whose block is never closed, is all body.
fn split_frontmatter(text: &str) -> (&str, &str) {
    let Some(rest) = text.strip_prefix("---") else {
        return ("", text);
    };
    let Some(rest) = rest.trim_start_matches([' ', '\t']).strip_prefix('\n') else {
        return ("", text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (&rest[..offset], &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    ("", text)
}

/// A value without one pair of surrounding quotes; an unquoted value ends
/// before a ` #` comment, as in YAML (`pane: run  # why`).
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return &value[1..value.len() - 1];
        }
    }
    match value.find(" #").or_else(|| value.find("\t#")) {
        Some(i) => value[..i].trim_end(),
        None => value,
    }
}

/// The body's first non-empty line, heading marks dropped, cut with `…`.
fn first_line(body: &str) -> String {
    let line = body
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() > DESCRIPTION_CHARS {
        let cut: String = line.chars().take(DESCRIPTION_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_string()
    }
}

/// Whether `body` uses `$ARGUMENTS` or a positional `$1`..`$9`.
pub fn has_placeholders(body: &str) -> bool {
    let bytes = body.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'$'
            && (body[i + 1..].starts_with("ARGUMENTS")
                || matches!(bytes.get(i + 1), Some(b'1'..=b'9')))
    })
}

/// Fills a command's body with the arguments typed after its name.
///
/// - `$ARGUMENTS` becomes `args` as typed (trimmed);
/// - `$1`..`$9` become the positional arguments: `args` split at
///   whitespace, a `"double quoted"` or `'single quoted'` stretch kept in
///   one argument without its quotes; a missing one becomes empty. Only one
///   digit counts: `$10` is the first argument followed by `0`.
/// - Nothing else changes. There is no escape, as in Claude Code: `$$`
///   stays `$$`, and `$$1` is a `$` followed by the first argument.
///   Substitution is one pass, so arguments that contain `$1` or
///   `$ARGUMENTS` are inserted as they are.
/// - A body without any placeholder gets the arguments (when there are
///   any) appended as a last paragraph `ARGUMENTS: …`, so they are not lost.
pub fn expand(body: &str, args: &str) -> String {
    let args = args.trim();
    if !has_placeholders(body) {
        return if args.is_empty() {
            body.to_string()
        } else {
            format!("{}\n\nARGUMENTS: {args}", body.trim_end())
        };
    }
    let positional = split_arguments(args);
    let mut out = String::with_capacity(body.len() + args.len());
    let mut rest = body;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix("ARGUMENTS") {
            out.push_str(args);
            rest = tail;
        } else if let Some(d @ b'1'..=b'9') = after.bytes().next() {
            let n = usize::from(d - b'1');
            out.push_str(positional.get(n).map_or("", String::as_str));
            rest = &after[1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Splits arguments at whitespace; quotes group words and are removed
/// (`a "b c" 'd'` → `a`, `b c`, `d`). An unclosed quote runs to the end.
/// An empty quoted argument (`""`) counts as one argument.
pub fn split_arguments(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in args.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(current);
    }
    out
}
