//! Splitting a shell command line into the simple commands it runs, for the
//! permission rules ([`super::rules`]).
//!
//! This is a careful lexer for the POSIX/bash syntax models actually write,
//! not a shell: it performs quote removal (single quotes, double quotes with
//! their escapes, backslashes, `$'…'`), splits on the control operators
//! (`|`, `|&`, `&&`, `||`, `;`, `&`, newline) outside quotes, strips leading
//! `NAME=value` assignments and shell keywords (`if`, `then`, `do`, `!`, `{` …),
//! and records every construct that can run a command the rules cannot see.
//!
//! Constructs whose commands are visible are analysed rather than refused:
//! subshells `( … )` and braces, the bodies of `$(…)`, backticks and `<(…)`
//! (their commands become parts, so a deny rule still sees them), the string
//! of `sh -c '…'`/`bash -c '…'`, the words of `eval`, and the command run by
//! the wrappers `env`, `exec`, `command`, `builtin`, `nohup`, `nice`, `time`,
//! `timeout` and `xargs`.
//!
//! What makes a line [`Analysis::hidden`] (allow rules then never apply):
//! command and process substitution (their output becomes words nobody can
//! see in advance), here-documents (their body is fed to a program), a command
//! name that comes from an expansion (`$CMD args`), redirections that write to
//! a file (they can plant a hook or a shell rc file that runs later), `case`,
//! `function` and `coproc`, unbalanced quotes or parentheses, and nesting too
//! deep to follow.

/// Deeper nesting than this (parentheses, substitutions, `sh -c` inside
/// `sh -c` …) is not followed: no real command needs it and it bounds the
/// recursion of hostile input.
const MAX_DEPTH: usize = 32;

/// Redirection targets that are not files: writing there changes nothing.
const HARMLESS_TARGETS: &[&str] = &["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"];

/// Words in command position that are syntax, not commands; dropped before
/// the command itself is matched.
const KEYWORDS: &[&str] = &[
    "if", "then", "elif", "else", "fi", "do", "done", "while", "until", "!", "{", "}", "esac",
];

/// Shells whose `-c STRING` is analysed as a command line of its own.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh"];

/// One simple command found in a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The command's words after quote removal, assignments and keywords stripped.
    pub(crate) words: Vec<String>,
    /// True when the command only runs another one that is itself a part
    /// (`timeout 5 cargo test`, `bash -c '…'`): deny and ask rules see it,
    /// allow rules are decided on the inner command.
    pub(crate) wrapper: bool,
}

/// What a command line runs, as far as it can be seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Analysis {
    /// Every simple command, in order, including those inside substitutions.
    pub(crate) parts: Vec<Part>,
    /// Why the line may run more than [`Analysis::parts`] shows; empty when
    /// the parts are the whole story.
    pub(crate) hidden: Vec<String>,
}

impl Analysis {
    fn hide(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        if !self.hidden.contains(&reason) {
            self.hidden.push(reason);
        }
    }
}

/// Splits `line` into the simple commands it runs and the reasons it may
/// run more.
pub(crate) fn analyse(line: &str) -> Analysis {
    let mut out = Analysis::default();
    analyse_into(line, 0, &mut out);
    out
}

fn analyse_into(line: &str, depth: usize, out: &mut Analysis) {
    if depth > MAX_DEPTH {
        out.hide("commands nested too deeply to analyse");
        return;
    }
    let mut parser = Parser {
        chars: line.chars().collect(),
        pos: 0,
        depth,
        heredocs: Vec::new(),
        out,
    };
    parser.list(false);
}

/// One lexed word.
#[derive(Debug, Default)]
struct Word {
    /// The word after quote removal (expansions are kept as written).
    text: String,
    /// `NAME=value` with an unquoted name: an assignment in command position.
    assignment: bool,
    /// Contains a `$` expansion or a substitution.
    expansion: bool,
    /// Some part of it was quoted or escaped.
    quoted: bool,
}

/// The words of the simple command being lexed.
#[derive(Default)]
struct Command {
    words: Vec<Word>,
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    /// Here-document delimiters whose bodies start after the next newline
    /// (delimiter, whether leading tabs are stripped).
    heredocs: Vec<(String, bool)>,
    out: &'a mut Analysis,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    /// Parses commands until the end of input or, when `nested`, the `)`
    /// that closes the current level.
    fn list(&mut self, nested: bool) {
        let mut cmd = Command::default();
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else {
                self.finish(std::mem::take(&mut cmd));
                if nested {
                    self.out
                        .hide("unbalanced `(`: a parenthesis is never closed");
                }
                return;
            };
            match c {
                '#' if self.at_word_start() => self.skip_comment(),
                '\n' => {
                    self.pos += 1;
                    self.finish(std::mem::take(&mut cmd));
                    self.skip_heredoc_bodies();
                }
                '&' if self.peek_at(1) == Some('>') => self.redirect(),
                ';' | '&' | '|' => {
                    while matches!(self.peek(), Some(';' | '&' | '|')) {
                        if self.peek() == Some('&') && self.peek_at(1) == Some('>') {
                            break;
                        }
                        self.pos += 1;
                    }
                    self.finish(std::mem::take(&mut cmd));
                }
                ')' => {
                    self.pos += 1;
                    self.finish(std::mem::take(&mut cmd));
                    if nested {
                        return;
                    }
                    self.out
                        .hide("unbalanced `)`: a parenthesis is never opened");
                }
                '(' => {
                    self.pos += 1;
                    if !cmd.words.is_empty() {
                        self.out
                            .hide("`(` after a command word (a function definition or an array)");
                        self.finish(std::mem::take(&mut cmd));
                    }
                    self.nested_list();
                }
                '<' | '>' if self.peek_at(1) == Some('(') => {
                    self.pos += 2;
                    self.out.hide("process substitution `<(…)` or `>(…)`");
                    self.nested_list();
                }
                '<' | '>' => self.redirect(),
                _ => {
                    let word = self.word();
                    let fd_prefix = !word.quoted
                        && !word.text.is_empty()
                        && word.text.bytes().all(|b| b.is_ascii_digit())
                        && matches!(self.peek(), Some('<' | '>'))
                        && self.peek_at(1) != Some('(');
                    if fd_prefix {
                        self.redirect();
                    } else {
                        cmd.words.push(word);
                    }
                }
            }
        }
    }

    /// A `#` starts a comment only at the start of a word.
    fn at_word_start(&self) -> bool {
        self.pos == 0
            || matches!(
                self.chars[self.pos - 1],
                ' ' | '\t' | '\n' | ';' | '&' | '|'
            )
    }

    /// Parses a parenthesised level, unless that would nest too deeply.
    fn nested_list(&mut self) {
        if self.depth >= MAX_DEPTH {
            self.out.hide("commands nested too deeply to analyse");
            self.pos = self.chars.len();
            return;
        }
        self.depth += 1;
        self.list(true);
        self.depth -= 1;
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == '\r' {
                self.pos += 1;
            } else if c == '\\' && self.peek_at(1) == Some('\n') {
                self.pos += 2;
            } else {
                break;
            }
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skips the bodies of the here-documents opened on the line just ended.
    fn skip_heredoc_bodies(&mut self) {
        for (delimiter, strip_tabs) in std::mem::take(&mut self.heredocs) {
            while self.pos < self.chars.len() {
                let start = self.pos;
                while self.pos < self.chars.len() && self.chars[self.pos] != '\n' {
                    self.pos += 1;
                }
                let line: String = self.chars[start..self.pos].iter().collect();
                if self.pos < self.chars.len() {
                    self.pos += 1;
                }
                let line = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line.as_str()
                };
                if line == delimiter {
                    break;
                }
            }
        }
    }

    /// Lexes a redirection operator and its target.
    /// Redirections are not words of the command; only what they write to matters.
    fn redirect(&mut self) {
        let mut op = String::new();
        if self.peek() == Some('&') {
            op.push('&');
            self.pos += 1;
        }
        let first = self.peek().unwrap_or('>');
        op.push(first);
        self.pos += 1;
        while let Some(c) = self.peek() {
            let continues = matches!(
                (op.as_str(), c),
                (">", '>' | '|' | '&') | ("&>", '>') | ("<", '<' | '>' | '&') | ("<<", '<' | '-')
            );
            if !continues {
                break;
            }
            op.push(c);
            self.pos += 1;
        }
        self.skip_blanks();
        let target = match self.peek() {
            Some(c) if !matches!(c, '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')') => self.word(),
            _ => {
                self.out.hide(format!(
                    "a `{op}` redirection without a target (a syntax error)"
                ));
                return;
            }
        };
        match op.as_str() {
            "<<" | "<<-" => {
                self.out
                    .hide("a here-document (`<<`) feeds text the rules cannot see");
                self.heredocs.push((target.text, op == "<<-"));
            }
            "<" | "<<<" | "<&" => {}
            ">&" if target.text == "-" || target.text.bytes().all(|b| b.is_ascii_digit()) => {}
            _ if HARMLESS_TARGETS.contains(&target.text.as_str()) => {}
            _ => self.out.hide(format!(
                "writes to `{}` through a `{op}` redirection",
                target.text
            )),
        }
    }

    /// Lexes one word, performing quote removal.
    fn word(&mut self) -> Word {
        let mut word = Word::default();
        let mut seen_eq = false;
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' => break,
                '\\' => {
                    word.quoted = true;
                    match self.peek_at(1) {
                        Some('\n') => self.pos += 2,
                        Some(next) => {
                            word.text.push(next);
                            self.pos += 2;
                        }
                        None => {
                            word.text.push('\\');
                            self.pos += 1;
                        }
                    }
                }
                '\'' => {
                    word.quoted = true;
                    self.pos += 1;
                    self.single_quoted(&mut word);
                }
                '"' => {
                    word.quoted = true;
                    self.pos += 1;
                    self.double_quoted(&mut word);
                }
                '$' => self.dollar(&mut word, false),
                '`' => self.backticks(&mut word),
                '=' if !seen_eq => {
                    seen_eq = true;
                    word.assignment = !word.quoted && !word.expansion && is_name(&word.text);
                    word.text.push('=');
                    self.pos += 1;
                }
                _ => {
                    word.text.push(c);
                    self.pos += 1;
                }
            }
        }
        word
    }

    fn single_quoted(&mut self, word: &mut Word) {
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == '\'' {
                return;
            }
            word.text.push(c);
        }
        self.out.hide("an unterminated single quote");
    }

    fn double_quoted(&mut self, word: &mut Word) {
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => match self.peek_at(1) {
                    Some('\n') => self.pos += 2,
                    Some(next @ ('$' | '`' | '"' | '\\')) => {
                        word.text.push(next);
                        self.pos += 2;
                    }
                    _ => {
                        word.text.push('\\');
                        self.pos += 1;
                    }
                },
                '$' => self.dollar(word, true),
                '`' => self.backticks(word),
                _ => {
                    word.text.push(c);
                    self.pos += 1;
                }
            }
        }
        self.out.hide("an unterminated double quote");
    }

    /// Lexes what starts with `$`: substitutions, expansions, `$'…'`.
    fn dollar(&mut self, word: &mut Word, in_double_quotes: bool) {
        match self.peek_at(1) {
            Some('(') => {
                self.out.hide("command substitution `$(…)`");
                word.expansion = true;
                let start = self.pos;
                self.pos += 2;
                self.nested_list();
                word.text.extend(&self.chars[start..self.pos]);
            }
            Some('{') => {
                word.expansion = true;
                let start = self.pos;
                self.pos += 2;
                let mut depth = 1;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let body: String = self.chars[start..self.pos].iter().collect();
                if body.contains("$(") || body.contains('`') {
                    self.out.hide("command substitution inside `${…}`");
                }
                if depth > 0 {
                    self.out.hide("an unterminated `${`");
                }
                word.text.push_str(&body);
            }
            Some('\'') if !in_double_quotes => {
                word.quoted = true;
                self.pos += 2;
                self.ansi_c_quoted(word);
            }
            Some('"') if !in_double_quotes => {
                // `$"…"` is a translated string: a double-quoted string here.
                self.pos += 1;
            }
            Some(c) if c.is_ascii_alphanumeric() || "_?@*#$!-".contains(c) => {
                word.expansion = true;
                word.text.push('$');
                self.pos += 1;
            }
            _ => {
                word.text.push('$');
                self.pos += 1;
            }
        }
    }

    fn ansi_c_quoted(&mut self, word: &mut Word) {
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\'' => return,
                '\\' => {
                    let escaped = match self.peek() {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some(other @ ('\\' | '\'' | '"' | '?')) => other,
                        _ => {
                            word.text.push('\\');
                            continue;
                        }
                    };
                    word.text.push(escaped);
                    self.pos += 1;
                }
                _ => word.text.push(c),
            }
        }
        self.out.hide("an unterminated `$'` quote");
    }

    /// Lexes a backtick substitution and analyses its body.
    fn backticks(&mut self, word: &mut Word) {
        self.out.hide("command substitution with backticks");
        word.expansion = true;
        let start = self.pos;
        self.pos += 1;
        let mut body = String::new();
        let mut closed = false;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '`' => {
                    closed = true;
                    break;
                }
                '\\' => match self.peek() {
                    Some(next @ ('`' | '\\' | '$')) => {
                        body.push(next);
                        self.pos += 1;
                    }
                    _ => body.push('\\'),
                },
                _ => body.push(c),
            }
        }
        if !closed {
            self.out.hide("an unterminated backtick");
        }
        word.text.extend(&self.chars[start..self.pos]);
        analyse_into(&body, self.depth + 1, self.out);
    }

    /// Turns the words of one simple command into parts.
    fn finish(&mut self, cmd: Command) {
        let mut words = cmd.words;
        loop {
            let before = words.len();
            while words.first().is_some_and(|w| w.assignment) {
                words.remove(0);
            }
            while words
                .first()
                .is_some_and(|w| !w.quoted && !w.expansion && KEYWORDS.contains(&w.text.as_str()))
            {
                words.remove(0);
            }
            if words.len() == before {
                break;
            }
        }
        let Some(first) = words.first() else {
            return;
        };
        if !first.quoted && !first.expansion {
            match first.text.as_str() {
                // The words of `for x in a b` are data; the body is parsed on its own.
                "for" | "select" => return,
                "case" | "function" | "coproc" => {
                    self.out
                        .hide(format!("a `{}` construct is not analysed", first.text));
                    return;
                }
                _ => {}
            }
        }
        if first.expansion {
            self.out.hide(format!(
                "the command name `{}` comes from an expansion",
                first.text
            ));
        }
        let words: Vec<String> = words.into_iter().map(|w| w.text).collect();
        self.add_part(words);
    }

    /// Records a simple command, and the command it wraps, if any.
    fn add_part(&mut self, words: Vec<String>) {
        let name = basename(&words[0]);
        if SHELLS.contains(&name) {
            if let Some(script) = shell_c_string(&words) {
                self.out.parts.push(Part {
                    words,
                    wrapper: true,
                });
                analyse_into(&script, self.depth + 1, self.out);
                return;
            }
        } else if name == "eval" && words.len() > 1 {
            let script = words[1..].join(" ");
            self.out.parts.push(Part {
                words,
                wrapper: true,
            });
            analyse_into(&script, self.depth + 1, self.out);
            return;
        } else if let Some(start) = wrapped_command(name, &words) {
            if name == "env"
                && words[1..start]
                    .iter()
                    .any(|w| w.starts_with("-S") || w.starts_with("--split-string"))
            {
                self.out.hide("`env -S` splits a string into a command");
            }
            let inner: Vec<String> = words[start..]
                .iter()
                .skip_while(|w| name == "env" && is_assignment(w))
                .cloned()
                .collect();
            self.out.parts.push(Part {
                words,
                wrapper: !inner.is_empty(),
            });
            if !inner.is_empty() {
                self.add_part(inner);
            }
            return;
        }
        self.out.parts.push(Part {
            words,
            wrapper: false,
        });
    }
}

/// The string a shell runs with `-c`, if it was given one.
fn shell_c_string(words: &[String]) -> Option<String> {
    let mut has_c = false;
    let mut args = words[1..].iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if matches!(arg.as_str(), "-o" | "+o" | "-O" | "+O") {
            args.next();
        } else if arg.starts_with("--") {
            continue;
        } else if arg.len() > 1 && (arg.starts_with('-') || arg.starts_with('+')) {
            has_c |= arg.starts_with('-') && arg.contains('c');
        } else {
            return has_c.then(|| arg.clone());
        }
    }
    has_c.then(|| args.next().cloned()).flatten()
}

/// Where the command run by a wrapper (`timeout 5 cargo test`) starts, if
/// `name` is a wrapper and it was given a command.
fn wrapped_command(name: &str, words: &[String]) -> Option<usize> {
    // Options of each wrapper that take a separate argument.
    let with_argument: &[&str] = match name {
        "env" => &["-u", "-C", "--unset", "--chdir"],
        "exec" => &["-a"],
        "command" | "builtin" | "nohup" => &[],
        "nice" => &["-n", "--adjustment"],
        "time" => &["-o", "-f", "--output", "--format"],
        "timeout" => &["-s", "-k", "--signal", "--kill-after"],
        "xargs" => &["-I", "-n", "-L", "-l", "-P", "-d", "-E", "-e", "-s", "-a"],
        _ => return None,
    };
    let mut i = 1;
    while i < words.len() {
        let arg = words[i].as_str();
        if arg == "--" {
            i += 1;
            break;
        }
        if !arg.starts_with('-') || (arg == "-" && name != "env") {
            break;
        }
        i += if with_argument.contains(&arg) { 2 } else { 1 };
    }
    if name == "timeout" {
        // The duration.
        i += 1;
    }
    (i < words.len()).then_some(i)
}

/// The last path component of a command name (`/usr/bin/rm` → `rm`).
pub(crate) fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=')
        .is_some_and(|(name, _)| is_name(name.strip_suffix('+').unwrap_or(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of `line`, each joined with single spaces.
    fn parts(line: &str) -> Vec<String> {
        analyse(line)
            .parts
            .iter()
            .map(|p| p.words.join(" "))
            .collect()
    }

    fn inner_parts(line: &str) -> Vec<String> {
        analyse(line)
            .parts
            .iter()
            .filter(|p| !p.wrapper)
            .map(|p| p.words.join(" "))
            .collect()
    }

    fn hidden(line: &str) -> bool {
        !analyse(line).hidden.is_empty()
    }

    #[test]
    fn splits_on_every_control_operator() {
        assert_eq!(parts("git status && rm -rf ~"), ["git status", "rm -rf ~"]);
        assert_eq!(parts("a; b"), ["a", "b"]);
        assert_eq!(parts("a | b"), ["a", "b"]);
        assert_eq!(parts("a |& b"), ["a", "b"]);
        assert_eq!(parts("a || b"), ["a", "b"]);
        assert_eq!(parts("a & b"), ["a", "b"]);
        assert_eq!(parts("a&&b||c;d|e&f"), ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(parts("a\nb\n\nc"), ["a", "b", "c"]);
        assert_eq!(parts("sleep 1 &"), ["sleep 1"]);
        assert!(!hidden("git status && rm -rf ~"));
    }

    #[test]
    fn whitespace_is_normalised() {
        assert_eq!(parts("  git   status\t--short  "), ["git status --short"]);
        assert_eq!(parts("cargo \\\n  test"), ["cargo test"]);
    }

    #[test]
    fn operators_inside_quotes_do_not_split() {
        assert_eq!(parts("echo \"a && b\""), ["echo a && b"]);
        assert_eq!(parts("echo 'x;y'"), ["echo x;y"]);
        assert_eq!(parts("echo 'a | b' | wc -l"), ["echo a | b", "wc -l"]);
        assert_eq!(parts("grep -e '(' file"), ["grep -e ( file"]);
        assert!(!hidden("echo \"a && b\""));
    }

    #[test]
    fn quote_removal_and_escapes() {
        assert_eq!(parts("'rm' -rf /"), ["rm -rf /"]);
        assert_eq!(parts("r\"m\" x"), ["rm x"]);
        assert_eq!(parts("echo a\\;b"), ["echo a;b"]);
        assert_eq!(parts("echo a\\ b c"), ["echo a b c"]);
        assert_eq!(
            parts(r#"echo "say \"hi\" \$HOME \n""#),
            [r#"echo say "hi" $HOME \n"#]
        );
        assert_eq!(parts("echo $'a\\'b\\tc'"), ["echo a'b\tc"]);
        assert_eq!(parts("echo 'it'\\''s'"), ["echo it's"]);
        assert!(!hidden(r#"echo "say \"hi\"""#));
    }

    #[test]
    fn unbalanced_quotes_are_hidden() {
        assert!(hidden("echo 'abc"));
        assert!(hidden("echo \"abc"));
        assert!(hidden("echo `abc"));
        assert!(hidden("echo ${abc"));
    }

    #[test]
    fn leading_assignments_are_stripped() {
        assert_eq!(parts("FOO=1 BAR=\"a b\" cargo test"), ["cargo test"]);
        assert_eq!(
            parts("RUST_LOG=debug cargo run && X=1 y"),
            ["cargo run", "y"]
        );
        assert!(parts("FOO=1").is_empty());
        // A quoted name is not an assignment: bash runs a command `FOO=1`.
        assert_eq!(parts("\"FOO\"=1 x"), ["FOO=1 x"]);
        // Assignments after the command name are arguments.
        assert_eq!(parts("make CC=clang"), ["make CC=clang"]);
    }

    #[test]
    fn command_substitution_is_hidden_but_its_commands_are_parts() {
        let a = analyse("echo $(rm -rf /)");
        assert!(!a.hidden.is_empty());
        assert_eq!(parts("echo $(rm -rf /)"), ["rm -rf /", "echo $(rm -rf /)"]);
        assert!(hidden("echo \"$(id)\""));
        assert_eq!(parts("echo `rm -rf /`"), ["rm -rf /", "echo `rm -rf /`"]);
        assert!(hidden("echo `id`"));
        assert!(hidden("echo ${x:-$(id)}"));
        assert!(hidden("echo $((1 + 2))"));
        // Single quotes make it literal.
        assert!(!hidden("echo '$(id)' '`id`'"));
        assert_eq!(parts("echo '$(id)'"), ["echo $(id)"]);
    }

    #[test]
    fn process_substitution_is_hidden() {
        assert!(hidden("diff <(ls a) <(ls b)"));
        assert_eq!(parts("diff <(ls a) <(ls b)"), ["ls a", "ls b", "diff"]);
        assert!(hidden("tee >(rm x)"));
    }

    #[test]
    fn subshells_and_braces_are_analysed() {
        assert_eq!(parts("(cd x && rm -rf .)"), ["cd x", "rm -rf ."]);
        assert_eq!(parts("{ a; b; }"), ["a", "b"]);
        assert!(!hidden("(cd x && make) ; { a; b; }"));
        assert!(hidden("(a"));
        assert!(hidden("a)"));
        assert!(hidden("f() { rm -rf /; }"));
    }

    #[test]
    fn control_structures_expose_their_commands() {
        assert_eq!(
            parts("if git diff --quiet; then echo ok; else rm x; fi"),
            ["git diff --quiet", "echo ok", "rm x"]
        );
        assert_eq!(parts("while true; do rm x; done"), ["true", "rm x"]);
        assert_eq!(parts("for f in a b; do rm $f; done"), ["rm $f"]);
        assert_eq!(parts("! grep x y"), ["grep x y"]);
        assert!(hidden("case $x in a) rm x;; esac"));
    }

    #[test]
    fn variable_command_names_are_hidden() {
        assert!(hidden("$CMD arg"));
        assert!(hidden("\"$CMD\" arg"));
        // Variables in arguments do not hide a command.
        assert!(!hidden("echo $HOME \"$X\" ${Y}"));
    }

    #[test]
    fn redirections() {
        assert_eq!(parts("cargo test > out.txt 2>&1"), ["cargo test"]);
        assert!(hidden("cargo test > out.txt"));
        assert!(hidden("echo x >> ~/.bashrc"));
        assert!(hidden("echo x &> log"));
        assert!(hidden("echo x >| log"));
        assert!(hidden("echo x 2> err"));
        assert!(hidden("echo x >&log"));
        assert!(hidden("> file"));
        assert!(!hidden("cargo test 2>/dev/null"));
        assert!(!hidden("cargo test &>/dev/null"));
        assert!(!hidden("cargo test 2>&1 | tail"));
        assert!(!hidden("cargo test >&2"));
        assert!(!hidden("wc -l < input.txt"));
        assert!(!hidden("grep x <<< \"$text\""));
        assert_eq!(parts("echo 2>/dev/null x"), ["echo x"]);
        // Quoted `>` is an argument.
        assert!(!hidden("echo '>' x"));
        // A digit word followed by a space is an argument, not a file descriptor.
        assert_eq!(parts("head -n 2 > /dev/null"), ["head -n 2"]);
    }

    #[test]
    fn here_documents_are_hidden_and_their_bodies_skipped() {
        let line = "python3 <<'EOF'\nimport os\nos.system('rm -rf /')\nEOF\ngit status";
        assert!(hidden(line));
        assert_eq!(parts(line), ["python3", "git status"]);
        let tabs = "cat <<-END\n\tbody; rm x\n\tEND\nls";
        assert_eq!(parts(tabs), ["cat", "ls"]);
    }

    #[test]
    fn comments_are_ignored() {
        assert_eq!(parts("ls # && rm -rf /"), ["ls"]);
        assert_eq!(parts("# only a comment\nls"), ["ls"]);
        assert_eq!(parts("echo a#b"), ["echo a#b"]);
    }

    #[test]
    fn shell_c_strings_are_analysed() {
        let a = analyse("bash -c 'rm -rf /'");
        assert_eq!(
            a.parts,
            [
                Part {
                    words: vec!["bash".into(), "-c".into(), "rm -rf /".into()],
                    wrapper: true
                },
                Part {
                    words: vec!["rm".into(), "-rf".into(), "/".into()],
                    wrapper: false
                },
            ]
        );
        assert!(a.hidden.is_empty());
        assert_eq!(
            inner_parts("sh -c \"git status && ls\""),
            ["git status", "ls"]
        );
        assert_eq!(inner_parts("bash -lc 'cargo test'"), ["cargo test"]);
        assert_eq!(inner_parts("bash -o pipefail -c 'a | b'"), ["a", "b"]);
        assert_eq!(inner_parts("/bin/sh -e -c 'x'"), ["x"]);
        // A script is an ordinary command.
        assert_eq!(inner_parts("bash run.sh -c"), ["bash run.sh -c"]);
        assert!(hidden("bash -c \"$SCRIPT\""));
        assert!(hidden("bash -c 'echo $(id)'"));
    }

    #[test]
    fn eval_is_analysed() {
        assert_eq!(inner_parts("eval 'rm -rf /' '&& ls'"), ["rm -rf /", "ls"]);
        assert!(hidden("eval \"$X\""));
    }

    #[test]
    fn wrappers_expose_the_command_they_run() {
        assert_eq!(inner_parts("timeout 10 cargo test"), ["cargo test"]);
        assert_eq!(
            inner_parts("timeout -s KILL 10s cargo test"),
            ["cargo test"]
        );
        assert_eq!(inner_parts("env -u X FOO=1 rm -rf /"), ["rm -rf /"]);
        assert_eq!(inner_parts("nice -n 5 nohup make"), ["make"]);
        assert_eq!(inner_parts("xargs -I {} rm {}"), ["rm {}"]);
        assert_eq!(inner_parts("exec -a x ls"), ["ls"]);
        assert_eq!(inner_parts("command -p git status"), ["git status"]);
        assert_eq!(inner_parts("time cargo build"), ["cargo build"]);
        // The wrapper itself is still a part (for deny and ask rules).
        assert_eq!(parts("timeout 5 ls"), ["timeout 5 ls", "ls"]);
        // Nothing to run: the wrapper is the command.
        assert_eq!(inner_parts("env"), ["env"]);
        assert_eq!(inner_parts("timeout 5"), ["timeout 5"]);
        assert_eq!(inner_parts("xargs"), ["xargs"]);
        assert!(hidden("env -S 'rm -rf /'"));
    }

    #[test]
    fn hostile_nesting_is_bounded() {
        let deep = "(".repeat(10_000);
        assert!(hidden(&deep));
        let subs = "$(".repeat(10_000);
        assert!(hidden(&subs));
        let evals = format!("{}x", "eval ".repeat(40));
        assert!(hidden(&evals));
        assert!(!hidden("eval eval eval x"));
    }

    #[test]
    fn basename_strips_directories() {
        assert_eq!(basename("/usr/bin/rm"), "rm");
        assert_eq!(basename("rm"), "rm");
        assert_eq!(basename("./run.sh"), "run.sh");
    }
}
