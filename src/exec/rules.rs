//! Permission rules: `allow`, `ask` and `deny` lists that decide, before the
//! approval mode does, whether a tool call runs, asks or is refused.
//!
//! # Syntax
//!
//! A rule is `category(pattern)` or a bare `category` (every call of that
//! category). Categories: `shell` (commands), `edit` (any file change),
//! `read` (reading, listing and searching files), `mcp` (`server:tool`).
//!
//! **Shell patterns** match each simple command of a command line (see
//! below) after quote removal and with single spaces between words:
//! `cargo test:*` is a prefix on a word boundary (`cargo test`, `cargo test
//! --release`, not `cargo testx`); `*` matches any run of characters,
//! spaces included (`git status*`); anything else must match exactly. `\*`
//! is a literal star. A pattern with quotes is unquoted the same way
//! (`shell(git commit -m "wip":*)`). Deny and ask rules also see the command with its name
//! reduced to the last path component (`/bin/rm -rf x` is caught by
//! `rm:*`); allow rules do not (`./ls` is not the `ls` the user allowed).
//!
//! **Path patterns** are `globset` globs with gitignore-like semantics,
//! chosen because users already know them from `.gitignore`:
//! - a pattern without a `/` matches a name at any depth (`.env`,
//!   `*.pem`, `node_modules`), and also outside the workspace (reads may go
//!   anywhere: `read(.env)` guards `/elsewhere/.env` too);
//! - a pattern with a `/` inside, or starting with `./`, is anchored at the
//!   workspace root (`src/**`, `./.env` — the root `.env` only);
//! - `*` does not cross `/`, `**` does; a trailing `/` is ignored;
//! - a pattern also matches everything below a directory it matches
//!   (`read(.git)` covers `.git/config`);
//! - a pattern starting with `/` or `~/` is absolute and matches absolute
//!   paths, including workspace files under it.
//!
//! **MCP patterns** are `server:tool` with `*` wildcards; `mcp(server)`
//! means `mcp(server:*)`. A rule may also be an MCP tool's name, as Claude
//! Code writes them: `mcp__server__tool`, `mcp__server__*`, `mcp__server`.
//!
//! # Decisions
//!
//! `deny` beats `ask` beats `allow` beats the approval mode, whatever file a
//! rule came from. A call with several targets (paths, or the simple commands
//! of a command line) is denied if any target is denied, asks if any asks,
//! and is allowed only if every target is allowed.
//!
//! A command line whose commands cannot all be seen (`$(…)`, backticks,
//! here-documents, writing redirections, `$CMD args` … — see
//! `exec::shell_split`) is never auto-approved by an allow rule: the
//! verdict is [`Verdict::Default`] with the reason, and the approval mode
//! decides. (Not `Ask`: in `full-auto` a command no rule mentions runs anyway,
//! so asking only because an allow rule also matched would be incoherent.)
//! Deny and ask rules still apply to every command that can be seen.
//!
//! # Layering
//!
//! User and project rules both apply. Deny-first precedence means a project
//! can add denies and asks but can never override a user deny. A project's
//! `allow` rules for `shell`, `edit` and `mcp` are ignored unless the user
//! config trusts them (`trust_project_allow`): a cloned repository must not
//! be able to turn `suggest` into "runs `curl` without asking" or "edits any
//! file without asking". Ignored rules are reported by
//! [`Permissions::ignored`]. Project `read` allows are honoured: reads never
//! change anything and never need approval by mode.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::shell_split::{self, Part, basename};

/// Commands whose first argument is an operand, never a sub-command: an
/// "always allow" for them covers the command, not one operand (`ls src`
/// suggests `ls:*`). Only commands that read are listed; for anything else
/// a narrower suggestion (`rm foo:*`) errs on the safe side.
const OPERAND_COMMANDS: &[&str] = &[
    "ls", "cat", "head", "tail", "wc", "echo", "printf", "pwd", "grep", "rg", "tree", "file",
    "stat", "du", "df", "which", "less", "sort", "uniq", "cut", "diff", "date", "sleep",
];

/// Interpreters: `python:*` would allow any code, so a suggestion for them
/// includes the script (`python3 gen.py:*`), and none is offered for inline
/// code (`python -c …`).
const INTERPRETERS: &[&str] = &[
    "python", "python3", "node", "ruby", "perl", "php", "bash", "sh", "zsh", "dash",
];

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Shell commands (the `shell` tool).
    Shell,
    /// File changes: `edit_file`, `write_file`, `apply_patch`.
    Edit,
    /// Reading: `read_file`, `list_dir`, `glob`, `grep`.
    Read,
    /// MCP tools, named `server:tool`.
    Mcp,
}

impl Category {
    /// The name used in rules (`shell`, `edit`, `read`, `mcp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Shell => "shell",
            Category::Edit => "edit",
            Category::Read => "read",
            Category::Mcp => "mcp",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name {
            "shell" => Some(Category::Shell),
            "edit" => Some(Category::Edit),
            "read" => Some(Category::Read),
            "mcp" => Some(Category::Mcp),
            _ => None,
        }
    }
}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Run without asking.
    Allow,
    /// Ask the user, whatever the approval mode.
    Ask,
    /// Refuse; the model is told which rule refused.
    Deny,
}

impl Action {
    /// The config list the rule comes from (`allow`, `ask`, `deny`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Ask => "ask",
            Action::Deny => "deny",
        }
    }
}

/// Which layer a rule comes from; decides whether a project allow is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The user's config file.
    User,
    /// The project's `.tandem/config.toml` (possibly from a cloned repository).
    Project,
    /// Added during this session ("yes, always").
    Session,
}

/// The `[permissions]` lists of one config file, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RuleLists {
    /// Where the lists come from, for messages (e.g. the config file's path).
    #[serde(skip)]
    pub origin: String,
    /// Rules that let a call run without asking.
    pub allow: Vec<String>,
    /// Rules that make a call ask even when the mode would not.
    pub ask: Vec<String>,
    /// Rules that refuse a call.
    pub deny: Vec<String>,
}

/// A rule string that cannot be used. The message names the rule, its list
/// and its file, says what is wrong and how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid permission rule `{rule}` in `permissions.{list}` of {origin}: {problem}")]
pub struct RuleError {
    /// The rule as written.
    pub rule: String,
    /// `allow`, `ask` or `deny`.
    pub list: &'static str,
    /// Where it was written.
    pub origin: String,
    /// What is wrong and what to do.
    pub problem: String,
}

/// One parsed rule. Displays as `` `shell(rm *)` (deny rule from <origin>) ``,
/// ready for a message to the model or the user.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as written (trimmed).
    pub text: String,
    /// What it is about.
    pub category: Category,
    /// What it does.
    pub action: Action,
    /// Which layer it comes from.
    pub scope: Scope,
    /// Where it was written (a config path, or "this session").
    pub origin: String,
    matcher: Matcher,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` ({} rule from {})",
            self.text,
            self.action.as_str(),
            self.origin
        )
    }
}

/// How a rule's pattern matches.
#[derive(Debug, Clone)]
enum Matcher {
    /// A bare category: everything.
    Any,
    /// Alternatives of a shell pattern (`cargo test:*` is `cargo test` or `cargo test *`).
    Shell(Vec<Wildcard>),
    /// Path globs, and what they are matched against.
    Paths { globs: GlobSet, anchor: Anchor },
    /// A `server:tool` pattern.
    Mcp(Wildcard),
}

/// What a path pattern is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// A slash-less name: the workspace-relative path, or the absolute path
    /// of a target outside the workspace (`read(.env)` also guards
    /// `/elsewhere/.env`).
    Anywhere,
    /// A pattern with a `/` or `./`: workspace-relative paths only.
    Workspace,
    /// A pattern starting with `/` or `~/`: absolute paths.
    Absolute,
}

/// A pattern where `*` matches any run of characters and everything else is
/// literal: the literal pieces between the stars.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wildcard {
    pieces: Vec<String>,
}

impl Wildcard {
    /// Parses `pattern`; `\*` is a literal star, `\\` a backslash.
    fn new(pattern: &str) -> Self {
        let mut pieces = vec![String::new()];
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(next @ ('*' | '\\')) => push_char(&mut pieces, next),
                    Some(next) => {
                        push_char(&mut pieces, '\\');
                        push_char(&mut pieces, next);
                    }
                    None => push_char(&mut pieces, '\\'),
                },
                '*' => pieces.push(String::new()),
                _ => push_char(&mut pieces, c),
            }
        }
        Wildcard { pieces }
    }

    fn matches(&self, text: &str) -> bool {
        let [first, middle @ .., last] = self.pieces.as_slice() else {
            return self.pieces.first().is_some_and(|p| p == text);
        };
        let Some(rest) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some(mut rest) = rest.strip_suffix(last.as_str()) else {
            return false;
        };
        for piece in middle {
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

fn push_char(pieces: &mut [String], c: char) {
    if let Some(last) = pieces.last_mut() {
        last.push(c);
    }
}

/// What the rules say about one call.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Every target is allowed; the rules that allowed them, without duplicates.
    Allow {
        /// The deciding rules.
        rules: Vec<Rule>,
    },
    /// Ask the user, even in a mode that would not.
    Ask {
        /// The deciding rule.
        rule: Rule,
        /// The path or simple command it matched.
        target: String,
    },
    /// Refuse the call and tell the model why.
    Deny {
        /// The deciding rule.
        rule: Rule,
        /// The path or simple command it matched.
        target: String,
    },
    /// No rule decides: the approval mode does.
    Default {
        /// Why allow rules were not applied to a command line that hides
        /// commands (`$(…)`, here-documents, writing redirections …); `None`
        /// when it could be fully analysed. Worth showing in an approval dialog.
        unanalysable: Option<String>,
    },
}

/// The permission rules of one session: user and project rules from config,
/// plus the rules the user added during the session.
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    rules: Vec<Rule>,
    ignored: Vec<Rule>,
    workspace: PathBuf,
    home: Option<PathBuf>,
}

impl Permissions {
    /// Parses the user's and the project's lists. `trust_project_allow`
    /// (from the user config only) honours the project's shell, edit and
    /// mcp allow rules; without it they are set aside in [`Self::ignored`].
    /// `workspace` (absolute) lets absolute patterns match workspace files.
    /// The first invalid rule is the error.
    pub fn from_lists(
        user: &RuleLists,
        project: &RuleLists,
        trust_project_allow: bool,
        workspace: &Path,
    ) -> Result<Self, RuleError> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        Self::build(user, project, trust_project_allow, workspace, home)
    }

    fn build(
        user: &RuleLists,
        project: &RuleLists,
        trust_project_allow: bool,
        workspace: &Path,
        home: Option<PathBuf>,
    ) -> Result<Self, RuleError> {
        let mut permissions = Permissions {
            rules: Vec::new(),
            ignored: Vec::new(),
            workspace: normalize(workspace),
            home,
        };
        for (lists, scope) in [(user, Scope::User), (project, Scope::Project)] {
            for (action, texts) in [
                (Action::Deny, &lists.deny),
                (Action::Ask, &lists.ask),
                (Action::Allow, &lists.allow),
            ] {
                for text in texts {
                    let rule = permissions.parse(text, action, scope, &lists.origin)?;
                    let untrusted = scope == Scope::Project
                        && action == Action::Allow
                        && rule.category != Category::Read
                        && !trust_project_allow;
                    if untrusted {
                        permissions.ignored.push(rule);
                    } else {
                        permissions.rules.push(rule);
                    }
                }
            }
        }
        Ok(permissions)
    }

    /// Adds an allow rule for the rest of the session (the user's "yes,
    /// always" answer, typically one of [`suggest_rules`]).
    pub fn allow_for_session(&mut self, rule: &str) -> Result<(), RuleError> {
        let rule = self.parse(rule, Action::Allow, Scope::Session, "this session")?;
        self.rules.push(rule);
        Ok(())
    }

    /// Project allow rules set aside because the user config does not trust
    /// them; a front end should say so once ("set
    /// `permissions.trust_project_allow = true` to honour them").
    pub fn ignored(&self) -> &[Rule] {
        &self.ignored
    }

    /// The verdict on a call of `category` touching every one of `targets`:
    /// workspace-relative or absolute paths for `edit`/`read`, `server:tool`
    /// for `mcp`, command lines for `shell` (each decided as by
    /// [`Self::decide_shell`]). Directory-walking tools should also check the
    /// files they return, so `read(.env)` hides `.env` from a `grep` of `.`.
    pub fn decide(&self, category: Category, targets: &[impl AsRef<str>]) -> Verdict {
        if category == Category::Shell {
            let verdicts = targets.iter().map(|t| self.decide_shell(t.as_ref()));
            return combine(verdicts.collect());
        }
        let targets: Vec<&str> = targets.iter().map(AsRef::as_ref).collect();
        if targets.is_empty() {
            return Verdict::Default { unanalysable: None };
        }
        let matches = |rule: &Rule, target: &str| match &rule.matcher {
            Matcher::Any => true,
            Matcher::Paths { globs, anchor } => self.path_matches(globs, *anchor, target),
            Matcher::Mcp(wildcard) => wildcard.matches(target),
            Matcher::Shell(_) => false,
        };
        for action in [Action::Deny, Action::Ask] {
            for target in &targets {
                if let Some(rule) = self.find(category, action, |r| matches(r, target)) {
                    return refusal(action, rule, target);
                }
            }
        }
        let mut rules = Vec::new();
        for target in &targets {
            match self.find(category, Action::Allow, |r| matches(r, target)) {
                Some(rule) => add_unique(&mut rules, rule),
                None => return Verdict::Default { unanalysable: None },
            }
        }
        Verdict::Allow { rules }
    }

    /// The verdict on a shell command line: deny if any simple command of it
    /// is denied, ask if any asks, allow only if every one is allowed and
    /// nothing is hidden from the analysis.
    pub fn decide_shell(&self, command: &str) -> Verdict {
        let analysis = shell_split::analyse(command);
        let unanalysable = (!analysis.hidden.is_empty()).then(|| {
            format!(
                "the command cannot be fully analysed, so allow rules do not apply to it: {}",
                analysis.hidden.join("; ")
            )
        });
        for action in [Action::Deny, Action::Ask] {
            for part in &analysis.parts {
                let text = part.words.join(" ");
                let short = short_form(part);
                let hit = |r: &Rule| {
                    shell_matches(r, &text) || short.as_deref().is_some_and(|s| shell_matches(r, s))
                };
                if let Some(rule) = self.find(Category::Shell, action, hit) {
                    return refusal(action, rule, &text);
                }
            }
        }
        let mut rules = Vec::new();
        let mut runnable = analysis.parts.iter().filter(|p| !p.wrapper).peekable();
        if runnable.peek().is_none() {
            return Verdict::Default { unanalysable };
        }
        for part in runnable {
            let text = part.words.join(" ");
            match self.find(Category::Shell, Action::Allow, |r| shell_matches(r, &text)) {
                Some(rule) => add_unique(&mut rules, rule),
                None => return Verdict::Default { unanalysable },
            }
        }
        match unanalysable {
            Some(_) => Verdict::Default { unanalysable },
            None => Verdict::Allow { rules },
        }
    }

    fn find(
        &self,
        category: Category,
        action: Action,
        matches: impl Fn(&Rule) -> bool,
    ) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.category == category && r.action == action && matches(r))
    }

    fn path_matches(&self, globs: &GlobSet, anchor: Anchor, target: &str) -> bool {
        let path = Path::new(target);
        let (relative, full) = if path.is_absolute() {
            let full = normalize(path);
            let relative = full
                .strip_prefix(&self.workspace)
                .ok()
                .filter(|_| !self.workspace.as_os_str().is_empty())
                .map(Path::to_path_buf);
            (relative, full)
        } else {
            let relative = normalize(path);
            if relative.starts_with("..") {
                (None, normalize(&self.workspace.join(path)))
            } else {
                let full = self.workspace.join(&relative);
                (Some(relative), full)
            }
        };
        match (anchor, relative) {
            (Anchor::Absolute, _) | (Anchor::Anywhere, None) => globs.is_match(&full),
            (_, Some(relative)) => globs.is_match(&relative),
            (Anchor::Workspace, None) => false,
        }
    }

    fn parse(
        &self,
        text: &str,
        action: Action,
        scope: Scope,
        origin: &str,
    ) -> Result<Rule, RuleError> {
        let error = |problem: String| RuleError {
            rule: text.to_string(),
            list: action.as_str(),
            origin: origin.to_string(),
            problem,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(error(
                "the rule is empty; remove it or write one like `shell(git status*)`".into(),
            ));
        }
        let (name, pattern) = match trimmed.find('(') {
            Some(open) => {
                let Some(body) = trimmed[open + 1..].strip_suffix(')') else {
                    let problem = if trimmed[open..].contains(')') {
                        "text follows the closing `)`; write `category(pattern)`"
                    } else {
                        "the closing `)` is missing; write `category(pattern)`"
                    };
                    return Err(error(problem.into()));
                };
                (trimmed[..open].trim(), Some(body))
            }
            None if trimmed.contains(')') => {
                return Err(error(
                    "a `)` without an opening `(`; write `category(pattern)`".into(),
                ));
            }
            None => (trimmed, None),
        };
        if let Some(rest) = name.strip_prefix("mcp__") {
            return self.mcp_name_rule(trimmed, rest, pattern.is_some(), action, scope, origin);
        }
        let category = Category::parse(name).ok_or_else(|| {
            error(format!(
                "unknown category `{name}`; use `shell`, `edit`, `read` or `mcp`, \
                 optionally with a pattern: `shell(git status*)`, `edit(src/**)`"
            ))
        })?;
        let matcher = match pattern {
            None => Matcher::Any,
            Some(pattern) => {
                if !balanced(pattern) {
                    return Err(error(
                        "unbalanced parentheses in the pattern; every `(` in it needs a `)`".into(),
                    ));
                }
                if pattern.trim().is_empty() {
                    return Err(error(format!(
                        "the pattern is empty; write `{name}` alone to match every call"
                    )));
                }
                self.matcher(category, pattern.trim()).map_err(error)?
            }
        };
        Ok(Rule {
            text: trimmed.to_string(),
            category,
            action,
            scope,
            origin: origin.to_string(),
            matcher,
        })
    }

    /// A rule written as an MCP tool's name, the way Claude Code writes
    /// them: `mcp__server__tool`, `mcp__server__*` or `mcp__server` mean
    /// `mcp(server:tool)`, `mcp(server:*)` and `mcp(server)`.
    fn mcp_name_rule(
        &self,
        text: &str,
        rest: &str,
        has_pattern: bool,
        action: Action,
        scope: Scope,
        origin: &str,
    ) -> Result<Rule, RuleError> {
        let error = |problem: &str| RuleError {
            rule: text.to_string(),
            list: action.as_str(),
            origin: origin.to_string(),
            problem: problem.to_string(),
        };
        if has_pattern {
            return Err(error(
                "an MCP tool name takes no pattern; write `mcp__server__tool`, \
                 `mcp__server__*`, or `mcp(server:tool)`",
            ));
        }
        let (server, tool) = rest.split_once("__").unwrap_or((rest, "*"));
        if server.is_empty() {
            return Err(error(
                "the server name is missing; write `mcp__server__tool` or `mcp__server`",
            ));
        }
        Ok(Rule {
            text: text.to_string(),
            category: Category::Mcp,
            action,
            scope,
            origin: origin.to_string(),
            matcher: Matcher::Mcp(Wildcard::new(&format!("{server}:{tool}"))),
        })
    }

    fn matcher(&self, category: Category, pattern: &str) -> Result<Matcher, String> {
        match category {
            Category::Shell => {
                let normal = normalize_shell_pattern(pattern);
                match normal.strip_suffix(":*") {
                    Some(prefix) => {
                        let prefix = prefix.trim_end();
                        if prefix.is_empty() {
                            return Err("the prefix before `:*` is empty; write e.g. \
                                        `shell(cargo test:*)`, or `shell` for every command"
                                .into());
                        }
                        Ok(Matcher::Shell(vec![
                            Wildcard::new(prefix),
                            Wildcard::new(&format!("{prefix} *")),
                        ]))
                    }
                    None => Ok(Matcher::Shell(vec![Wildcard::new(&normal)])),
                }
            }
            Category::Edit | Category::Read => self.path_matcher(pattern),
            Category::Mcp => {
                let full = if pattern.contains(':') {
                    pattern.to_string()
                } else {
                    format!("{pattern}:*")
                };
                if full.starts_with(':') {
                    return Err("the server name is missing; write `mcp(server:tool)` or \
                                `mcp(server:*)`"
                        .into());
                }
                Ok(Matcher::Mcp(Wildcard::new(&full)))
            }
        }
    }

    fn path_matcher(&self, pattern: &str) -> Result<Matcher, String> {
        let expanded = match pattern.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => match &self.home {
                Some(home) => format!("{}{rest}", home.display()),
                None => {
                    return Err("`~` cannot be expanded because HOME is not set; \
                                write an absolute path"
                        .into());
                }
            },
            _ => pattern.to_string(),
        };
        let absolute = expanded.starts_with('/');
        let mut body = expanded.as_str();
        while body.len() > 1 && body.ends_with('/') {
            body = &body[..body.len() - 1];
        }
        let (base, anchor) = if absolute {
            let base = if body == "/" { "/**" } else { body };
            (base.to_string(), Anchor::Absolute)
        } else {
            let mut rest = body;
            let mut anchored = false;
            while let Some(stripped) = rest.strip_prefix("./") {
                rest = stripped;
                anchored = true;
            }
            if rest == "." || rest.is_empty() {
                ("**".to_string(), Anchor::Workspace)
            } else if anchored || rest.contains('/') {
                (rest.to_string(), Anchor::Workspace)
            } else {
                (format!("**/{rest}"), Anchor::Anywhere)
            }
        };
        let mut set = GlobSetBuilder::new();
        for glob in [base.clone(), format!("{base}/**")] {
            let glob = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| {
                    format!(
                        "bad glob: {}; `*` matches within one directory, `**` across \
                         directories, `[…]` and `{{…}}` must be closed",
                        e.kind()
                    )
                })?;
            set.add(glob);
        }
        let globs = set.build().map_err(|e| format!("bad glob: {}", e.kind()))?;
        Ok(Matcher::Paths { globs, anchor })
    }
}

/// A shell pattern in the form commands are matched in: single spaces
/// between words and, when it contains quotes, quote removal (so
/// `git commit -m "wip"` matches `git commit -m 'wip'`). A pattern that does
/// not lex as one plain command is kept as written.
fn normalize_shell_pattern(pattern: &str) -> String {
    if pattern.contains(['\'', '"']) {
        let analysis = shell_split::analyse(pattern);
        if let [part] = analysis.parts.as_slice()
            && analysis.hidden.is_empty()
            && !part.wrapper
        {
            return part.words.join(" ");
        }
    }
    pattern.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The single verdict of several: deny, then ask, then all-allow, else default.
fn combine(verdicts: Vec<Verdict>) -> Verdict {
    if verdicts.is_empty() {
        return Verdict::Default { unanalysable: None };
    }
    if let Some(deny) = verdicts.iter().find(|v| matches!(v, Verdict::Deny { .. })) {
        return deny.clone();
    }
    if let Some(ask) = verdicts.iter().find(|v| matches!(v, Verdict::Ask { .. })) {
        return ask.clone();
    }
    let mut rules = Vec::new();
    for verdict in verdicts {
        match verdict {
            Verdict::Allow { rules: allowed } => {
                for rule in &allowed {
                    add_unique(&mut rules, rule);
                }
            }
            default => return default,
        }
    }
    Verdict::Allow { rules }
}

fn refusal(action: Action, rule: &Rule, target: &str) -> Verdict {
    let (rule, target) = (rule.clone(), target.to_string());
    match action {
        Action::Deny => Verdict::Deny { rule, target },
        _ => Verdict::Ask { rule, target },
    }
}

fn add_unique(rules: &mut Vec<Rule>, rule: &Rule) {
    if !rules
        .iter()
        .any(|r| r.text == rule.text && r.origin == rule.origin)
    {
        rules.push(rule.clone());
    }
}

fn shell_matches(rule: &Rule, text: &str) -> bool {
    match &rule.matcher {
        Matcher::Any => true,
        Matcher::Shell(alternatives) => alternatives.iter().any(|w| w.matches(text)),
        _ => false,
    }
}

/// The command with its name reduced to the last path component, when that
/// differs (`/bin/rm -rf x` → `rm -rf x`).
fn short_form(part: &Part) -> Option<String> {
    let name = basename(&part.words[0]);
    (name != part.words[0] && !name.is_empty()).then(|| {
        let mut words = part.words.clone();
        words[0] = name.to_string();
        words.join(" ")
    })
}

fn balanced(pattern: &str) -> bool {
    let mut depth = 0usize;
    for c in pattern.chars() {
        match c {
            '(' => depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => {}
        }
    }
    depth == 0
}

/// Lexical normalisation: drops `.`, resolves `..` against what precedes it.
/// A relative path that climbs out keeps its leading `..`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let climbable = matches!(out.components().next_back(), Some(Component::Normal(_)));
                if climbable {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The rules a "yes, always" answer would add for this call, one per simple
/// command for a command line. Empty when no rule can cover the call: the
/// command line hides commands (allow rules never apply to it) or runs
/// inline interpreter code (`python -c …`, where `python:*` would allow
/// anything).
pub fn suggest_rules(category: Category, target: &str) -> Vec<String> {
    match category {
        Category::Shell => suggest_shell(target),
        Category::Edit | Category::Read => {
            let normal = normalize(Path::new(target.trim()));
            let path = normal.to_string_lossy();
            if path.is_empty() {
                return Vec::new();
            }
            let escaped = escape_glob(&path);
            let anchored = if path.contains('/') {
                escaped
            } else {
                format!("./{escaped}")
            };
            vec![format!("{}({anchored})", category.as_str())]
        }
        Category::Mcp => vec![format!("mcp({})", target.trim().replace('*', r"\*"))],
    }
}

fn suggest_shell(command: &str) -> Vec<String> {
    let analysis = shell_split::analyse(command);
    if !analysis.hidden.is_empty() {
        return Vec::new();
    }
    let mut rules: Vec<String> = Vec::new();
    for part in analysis.parts.iter().filter(|p| !p.wrapper) {
        let Some(prefix) = command_prefix(&part.words) else {
            return Vec::new();
        };
        let escaped = prefix.replace('\\', r"\\").replace('*', r"\*");
        let rule = format!("shell({escaped}:*)");
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    rules
}

/// The words an "always" rule for this command starts with.
fn command_prefix(words: &[String]) -> Option<String> {
    let name = words[0].as_str();
    // A rule with such a name would not parse back or match as written.
    if name.contains(['(', ')']) || name.contains(char::is_whitespace) {
        return None;
    }
    let second = words.get(1).map(String::as_str);
    let is_option = |w: &str| w.starts_with('-') || w.starts_with('+');
    if INTERPRETERS.contains(&basename(name)) {
        return match second {
            Some(script) if !is_option(script) => Some(format!("{name} {script}")),
            _ => None,
        };
    }
    let subcommand = second.filter(|w| {
        !name.contains('/')
            && !OPERAND_COMMANDS.contains(&name)
            && !is_option(w)
            && !w.is_empty()
            && !w.contains(['/', '.', '=', '~', '$', '*'])
            && !w.contains(['(', ')'])
            && !w.contains(char::is_whitespace)
    });
    Some(match subcommand {
        Some(sub) => format!("{name} {sub}"),
        None => name.to_string(),
    })
}

fn escape_glob(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "/work/repo";

    fn lists(origin: &str, allow: &[&str], ask: &[&str], deny: &[&str]) -> RuleLists {
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        RuleLists {
            origin: origin.into(),
            allow: own(allow),
            ask: own(ask),
            deny: own(deny),
        }
    }

    fn user(allow: &[&str], ask: &[&str], deny: &[&str]) -> Permissions {
        Permissions::build(
            &lists("~/.config/tandem/config.toml", allow, ask, deny),
            &RuleLists::default(),
            false,
            Path::new(WS),
            Some(PathBuf::from("/home/me")),
        )
        .unwrap()
    }

    fn allow(rules: &[&str]) -> Permissions {
        user(rules, &[], &[])
    }

    /// A short tag of a verdict: `allow`, `ask <rule>`, `deny <rule>`,
    /// `default` or `default!` (unanalysable).
    fn tag(v: &Verdict) -> String {
        match v {
            Verdict::Allow { .. } => "allow".into(),
            Verdict::Ask { rule, .. } => format!("ask {}", rule.text),
            Verdict::Deny { rule, .. } => format!("deny {}", rule.text),
            Verdict::Default { unanalysable: None } => "default".into(),
            Verdict::Default {
                unanalysable: Some(_),
            } => "default!".into(),
        }
    }

    fn shell(p: &Permissions, command: &str) -> String {
        tag(&p.decide_shell(command))
    }

    fn path(p: &Permissions, category: Category, target: &str) -> String {
        tag(&p.decide(category, &[target]))
    }

    fn error(rule: &str) -> RuleError {
        Permissions::build(
            &lists("~/.config/tandem/config.toml", &[], &[], &[rule]),
            &RuleLists::default(),
            false,
            Path::new(WS),
            None,
        )
        .unwrap_err()
    }

    #[test]
    fn wildcards() {
        let w = Wildcard::new("git status*");
        assert!(w.matches("git status"));
        assert!(w.matches("git status --short"));
        assert!(w.matches("git statusx"));
        assert!(!w.matches("git stat"));
        assert!(Wildcard::new("*").matches(""));
        assert!(Wildcard::new("a*b*c").matches("abc"));
        assert!(Wildcard::new("a*b*c").matches("a-b-b-c"));
        assert!(!Wildcard::new("a*b*c").matches("a-c"));
        assert!(!Wildcard::new("ab*ba").matches("aba"));
        assert!(Wildcard::new(r"echo \*").matches("echo *"));
        assert!(!Wildcard::new(r"echo \*").matches("echo x"));
        assert!(Wildcard::new("exact").matches("exact"));
        assert!(!Wildcard::new("exact").matches("exact "));
    }

    #[test]
    fn shell_prefix_syntax_respects_word_boundaries() {
        let p = allow(&["shell(cargo test:*)"]);
        assert_eq!(shell(&p, "cargo test"), "allow");
        assert_eq!(shell(&p, "cargo test --release"), "allow");
        assert_eq!(shell(&p, "cargo   test  -p x"), "allow");
        assert_eq!(shell(&p, "cargo testx"), "default");
        assert_eq!(shell(&p, "cargo build"), "default");
        assert_eq!(shell(&p, "xcargo test"), "default");
    }

    #[test]
    fn shell_globs_and_exact_patterns() {
        let p = allow(&["shell(git status*)", "shell(ls -la)"]);
        assert_eq!(shell(&p, "git status"), "allow");
        assert_eq!(shell(&p, "git status --short"), "allow");
        assert_eq!(shell(&p, "ls -la"), "allow");
        assert_eq!(shell(&p, "ls  -la"), "allow");
        assert_eq!(shell(&p, "ls -la src"), "default");
        assert_eq!(shell(&p, "git log"), "default");
        // Quotes are removed before matching, in commands and in patterns.
        let quoted = allow(&["shell(git commit -m \"wip  now\":*)"]);
        assert_eq!(shell(&quoted, "git commit -m 'wip  now'"), "allow");
        assert_eq!(shell(&quoted, "git commit -m 'wip now'"), "default");
        assert_eq!(shell(&p, "'git' \"status\""), "allow");
        let everything = allow(&["shell"]);
        assert_eq!(shell(&everything, "anything at all | more"), "allow");
    }

    #[test]
    fn every_simple_command_must_be_allowed() {
        let p = user(
            &["shell(git status*)", "shell(ls:*)"],
            &[],
            &["shell(rm:*)"],
        );
        assert_eq!(shell(&p, "git status && rm -rf ~"), "deny shell(rm:*)");
        let q = allow(&["shell(git status*)"]);
        assert_eq!(shell(&q, "git status && rm -rf ~"), "default");
        assert_eq!(shell(&q, "git status; curl x"), "default");
        assert_eq!(shell(&q, "git status | sh"), "default");
        assert_eq!(shell(&q, "git status || reboot"), "default");
        assert_eq!(shell(&q, "git status & reboot"), "default");
        assert_eq!(shell(&q, "git status\nreboot"), "default");
        assert_eq!(shell(&p, "git status; ls -la | ls"), "allow");
        assert_eq!(shell(&p, "git status\nls"), "allow");
    }

    #[test]
    fn quoted_operators_stay_in_one_command() {
        let p = allow(&["shell(echo:*)"]);
        assert_eq!(shell(&p, "echo \"a && b\""), "allow");
        assert_eq!(shell(&p, "echo 'x;y'"), "allow");
        assert_eq!(shell(&p, r"echo a\;b"), "allow");
        assert_eq!(shell(&p, "echo a;b"), "default");
    }

    #[test]
    fn env_prefixes_are_stripped() {
        let p = allow(&["shell(cargo test:*)"]);
        assert_eq!(shell(&p, "RUST_LOG=debug FOO='a b' cargo test"), "allow");
        let d = user(&[], &[], &["shell(rm:*)"]);
        assert_eq!(shell(&d, "X=1 rm -rf /"), "deny shell(rm:*)");
    }

    #[test]
    fn substitutions_are_never_auto_approved() {
        let p = allow(&["shell(echo:*)", "shell(id)"]);
        assert_eq!(shell(&p, "echo $(id)"), "default!");
        assert_eq!(shell(&p, "echo `id`"), "default!");
        assert_eq!(shell(&p, "echo \"$(id)\""), "default!");
        assert_eq!(shell(&p, "echo '$(id)'"), "allow");
        let v = p.decide_shell("echo $(id)");
        let Verdict::Default {
            unanalysable: Some(reason),
        } = v
        else {
            panic!("{v:?}")
        };
        assert!(reason.contains("command substitution"), "{reason}");
        // A deny still sees the commands inside.
        let d = user(&["shell(echo:*)"], &[], &["shell(rm:*)"]);
        assert_eq!(shell(&d, "echo $(rm -rf /)"), "deny shell(rm:*)");
        assert_eq!(shell(&d, "echo `rm -rf /`"), "deny shell(rm:*)");
        assert_eq!(shell(&d, "cat <(rm -rf /)"), "deny shell(rm:*)");
    }

    #[test]
    fn other_hidden_constructs_are_never_auto_approved() {
        let p = allow(&["shell"]);
        for line in [
            "cat <<EOF\nhi\nEOF",
            "echo x > .git/hooks/pre-commit",
            "echo x >> ~/.bashrc",
            "$CMD arg",
            "case x in y) z;; esac",
            "echo 'unterminated",
            "diff <(a) <(b)",
        ] {
            assert_eq!(shell(&p, line), "default!", "{line}");
        }
        assert_eq!(shell(&p, "cargo test 2>&1 >/dev/null | tail -5"), "allow");
        assert_eq!(shell(&p, "(cd sub && make)"), "allow");
    }

    #[test]
    fn shell_c_strings_are_checked() {
        let d = user(
            &["shell(bash:*)", "shell(git status*)"],
            &[],
            &["shell(rm:*)"],
        );
        assert_eq!(shell(&d, "bash -c 'rm -rf /'"), "deny shell(rm:*)");
        assert_eq!(
            shell(&d, "sh -c \"git status && rm -rf ~\""),
            "deny shell(rm:*)"
        );
        // The shell is transparent for allow rules: the inner commands decide.
        let p = allow(&["shell(git status*)"]);
        assert_eq!(shell(&p, "bash -c 'git status'"), "allow");
        assert_eq!(shell(&p, "bash -c 'git status; curl x'"), "default");
        assert_eq!(shell(&p, "bash -c \"$X\""), "default!");
        // A deny on the wrapper itself still applies.
        let w = user(&["shell"], &[], &["shell(bash -c*)"]);
        assert_eq!(shell(&w, "bash -c 'ls'"), "deny shell(bash -c*)");
    }

    #[test]
    fn wrappers_are_transparent() {
        let p = user(&["shell(cargo test:*)"], &[], &["shell(rm:*)"]);
        assert_eq!(shell(&p, "timeout 600 cargo test"), "allow");
        assert_eq!(shell(&p, "env RUST_BACKTRACE=1 cargo test"), "allow");
        assert_eq!(shell(&p, "nohup rm -rf /"), "deny shell(rm:*)");
        assert_eq!(shell(&p, "xargs rm"), "deny shell(rm:*)");
        assert_eq!(shell(&p, "eval 'rm -rf /'"), "deny shell(rm:*)");
        let t = user(&["shell(cargo:*)"], &["shell(timeout:*)"], &[]);
        assert_eq!(shell(&t, "timeout 5 cargo test"), "ask shell(timeout:*)");
    }

    #[test]
    fn deny_and_ask_see_the_bare_command_name() {
        let d = user(&[], &["shell(git push:*)"], &["shell(rm:*)"]);
        assert_eq!(shell(&d, "/bin/rm -rf x"), "deny shell(rm:*)");
        assert_eq!(shell(&d, "/usr/bin/git push"), "ask shell(git push:*)");
        // Allow rules do not: `./ls` is not the `ls` the user allowed.
        let a = allow(&["shell(ls:*)"]);
        assert_eq!(shell(&a, "./ls"), "default");
    }

    #[test]
    fn deny_beats_ask_beats_allow() {
        let p = user(
            &["shell", "edit", "read"],
            &["shell(git push:*)", "edit(Cargo.toml)"],
            &["shell(git push --force*)", "read(.env)"],
        );
        assert_eq!(
            shell(&p, "git push --force origin"),
            "deny shell(git push --force*)"
        );
        assert_eq!(shell(&p, "git push origin"), "ask shell(git push:*)");
        assert_eq!(shell(&p, "git status"), "allow");
        assert_eq!(path(&p, Category::Read, ".env"), "deny read(.env)");
        assert_eq!(
            path(&p, Category::Edit, "Cargo.toml"),
            "ask edit(Cargo.toml)"
        );
        assert_eq!(path(&p, Category::Edit, "src/main.rs"), "allow");
        // The order in the config does not matter either.
        let q = user(&["shell(rm:*)"], &["shell(rm:*)"], &["shell(rm:*)"]);
        assert_eq!(shell(&q, "rm x"), "deny shell(rm:*)");
    }

    #[test]
    fn path_globs_are_gitignore_like() {
        let p = user(
            &["edit(src/**)"],
            &[],
            &[
                "read(.env)",
                "read(**/*.pem)",
                "edit(*.lock)",
                "read(./secrets.txt)",
                "edit(target/)",
            ],
        );
        assert_eq!(path(&p, Category::Edit, "src/main.rs"), "allow");
        assert_eq!(path(&p, Category::Edit, "src/a/b/c.rs"), "allow");
        assert_eq!(path(&p, Category::Edit, "src2/x.rs"), "default");
        assert_eq!(path(&p, Category::Edit, "lib/src/x.rs"), "default");
        assert_eq!(path(&p, Category::Edit, "./src/main.rs"), "allow");
        // A slash-less pattern matches at any depth.
        assert_eq!(path(&p, Category::Read, ".env"), "deny read(.env)");
        assert_eq!(path(&p, Category::Read, "config/.env"), "deny read(.env)");
        assert_eq!(path(&p, Category::Read, ".env.example"), "default");
        assert_eq!(
            path(&p, Category::Read, "certs/key.pem"),
            "deny read(**/*.pem)"
        );
        assert_eq!(path(&p, Category::Read, "key.pem"), "deny read(**/*.pem)");
        assert_eq!(path(&p, Category::Edit, "Cargo.lock"), "deny edit(*.lock)");
        assert_eq!(
            path(&p, Category::Edit, "web/yarn.lock"),
            "deny edit(*.lock)"
        );
        // `./` anchors at the root.
        assert_eq!(
            path(&p, Category::Read, "secrets.txt"),
            "deny read(./secrets.txt)"
        );
        assert_eq!(path(&p, Category::Read, "sub/secrets.txt"), "default");
        // A directory pattern covers its contents.
        assert_eq!(
            path(&p, Category::Edit, "target/debug/x"),
            "deny edit(target/)"
        );
        // `..` is resolved before matching.
        assert_eq!(path(&p, Category::Read, "src/../.env"), "deny read(.env)");
        assert_eq!(path(&p, Category::Edit, "src/../../other/src/x"), "default");
    }

    #[test]
    fn absolute_patterns() {
        let p = user(
            &["read(/etc/hosts)"],
            &[],
            &["read(~/.ssh/**)", "edit(/work/repo/vendor/**)"],
        );
        assert_eq!(
            path(&p, Category::Read, "/home/me/.ssh/id_ed25519"),
            "deny read(~/.ssh/**)"
        );
        assert_eq!(path(&p, Category::Read, "/home/me/.sshx"), "default");
        assert_eq!(path(&p, Category::Read, "/etc/hosts"), "allow");
        assert_eq!(path(&p, Category::Read, "/etc/passwd"), "default");
        // Workspace files given relative are matched by absolute patterns too.
        assert_eq!(
            path(&p, Category::Edit, "vendor/lib.rs"),
            "deny edit(/work/repo/vendor/**)"
        );
        // Relative patterns see absolute targets inside the workspace.
        let r = user(&[], &[], &["read(.env)"]);
        assert_eq!(
            path(&r, Category::Read, "/work/repo/app/.env"),
            "deny read(.env)"
        );
        assert_eq!(
            path(&r, Category::Read, "/elsewhere/.env"),
            "deny read(.env)"
        );
        assert_eq!(path(&r, Category::Read, "../other/.env"), "deny read(.env)");
        assert_eq!(path(&r, Category::Read, "/elsewhere/.envrc"), "default");
        let anchored = user(&[], &[], &["read(config/*.toml)"]);
        assert_eq!(
            path(&anchored, Category::Read, "config/a.toml"),
            "deny read(config/*.toml)"
        );
        assert_eq!(
            path(&anchored, Category::Read, "config/sub/a.toml"),
            "default"
        );
        assert_eq!(
            path(&anchored, Category::Read, "/x/config/a.toml"),
            "default"
        );
    }

    #[test]
    fn every_path_target_must_pass() {
        let p = user(&["edit(src/**)"], &[], &["edit(src/secret.rs)"]);
        let targets = ["src/a.rs", "src/b.rs"];
        assert_eq!(tag(&p.decide(Category::Edit, &targets)), "allow");
        let mixed = ["src/a.rs", "README.md"];
        assert_eq!(tag(&p.decide(Category::Edit, &mixed)), "default");
        let denied = ["src/a.rs", "src/secret.rs"];
        let v = p.decide(Category::Edit, &denied);
        let Verdict::Deny { rule, target } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(target, "src/secret.rs");
        assert_eq!(rule.text, "edit(src/secret.rs)");
        let none: [&str; 0] = [];
        assert_eq!(tag(&p.decide(Category::Edit, &none)), "default");
    }

    #[test]
    fn categories_do_not_leak() {
        let p = allow(&["edit", "read(src/**)"]);
        assert_eq!(path(&p, Category::Read, "README.md"), "default");
        assert_eq!(shell(&p, "ls"), "default");
        assert_eq!(path(&p, Category::Mcp, "fs:read"), "default");
    }

    #[test]
    fn mcp_tool_names_are_rules_too() {
        let p = user(
            &["mcp__github__*", "mcp__fs"],
            &["mcp__github__merge_*"],
            &["mcp__github__delete_repo"],
        );
        assert_eq!(path(&p, Category::Mcp, "github:list_issues"), "allow");
        assert_eq!(
            path(&p, Category::Mcp, "github:delete_repo"),
            "deny mcp__github__delete_repo"
        );
        assert_eq!(
            path(&p, Category::Mcp, "github:merge_pr"),
            "ask mcp__github__merge_*"
        );
        assert_eq!(path(&p, Category::Mcp, "fs:write"), "allow");
        assert_eq!(path(&p, Category::Mcp, "gitlab:x"), "default");
        let err = error("mcp__x__y(z)");
        assert!(err.problem.contains("takes no pattern"), "{err}");
    }

    #[test]
    fn mcp_rules() {
        let p = user(
            &["mcp(github:*)", "mcp(fs)"],
            &[],
            &["mcp(github:delete_*)"],
        );
        assert_eq!(path(&p, Category::Mcp, "github:list_issues"), "allow");
        assert_eq!(
            path(&p, Category::Mcp, "github:delete_repo"),
            "deny mcp(github:delete_*)"
        );
        assert_eq!(path(&p, Category::Mcp, "fs:write"), "allow");
        assert_eq!(path(&p, Category::Mcp, "gitlab:x"), "default");
    }

    #[test]
    fn shell_targets_through_decide() {
        let p = user(&["shell(ls:*)"], &[], &["shell(rm:*)"]);
        assert_eq!(tag(&p.decide(Category::Shell, &["ls", "ls -la"])), "allow");
        assert_eq!(
            tag(&p.decide(Category::Shell, &["ls", "rm x"])),
            "deny shell(rm:*)"
        );
        assert_eq!(tag(&p.decide(Category::Shell, &["ls", "make"])), "default");
    }

    fn layered(trust: bool, user_lists: RuleLists, project_lists: RuleLists) -> Permissions {
        Permissions::build(&user_lists, &project_lists, trust, Path::new(WS), None).unwrap()
    }

    #[test]
    fn a_project_cannot_allow_what_the_user_denied() {
        let u = lists("user config", &[], &[], &["shell(curl:*)", "read(.env)"]);
        let pr = lists(
            ".tandem/config.toml",
            &["shell(curl:*)", "shell", "read"],
            &[],
            &[],
        );
        for trust in [false, true] {
            let p = layered(trust, u.clone(), pr.clone());
            assert_eq!(shell(&p, "curl https://x"), "deny shell(curl:*)");
            assert_eq!(path(&p, Category::Read, ".env"), "deny read(.env)");
        }
    }

    #[test]
    fn project_allows_need_trust_except_reads() {
        let pr = lists(
            ".tandem/config.toml",
            &["shell(curl:*)", "edit(**)", "mcp(x:*)", "read(docs/**)"],
            &[],
            &[],
        );
        let p = layered(false, RuleLists::default(), pr.clone());
        assert_eq!(shell(&p, "curl https://x"), "default");
        assert_eq!(path(&p, Category::Edit, "src/a.rs"), "default");
        assert_eq!(path(&p, Category::Mcp, "x:y"), "default");
        assert_eq!(path(&p, Category::Read, "docs/a.md"), "allow");
        let ignored: Vec<&str> = p.ignored().iter().map(|r| r.text.as_str()).collect();
        assert_eq!(ignored, ["shell(curl:*)", "edit(**)", "mcp(x:*)"]);
        assert!(p.ignored().iter().all(|r| r.scope == Scope::Project));
        let trusted = layered(true, RuleLists::default(), pr);
        assert_eq!(shell(&trusted, "curl https://x"), "allow");
        assert_eq!(path(&trusted, Category::Edit, "src/a.rs"), "allow");
        assert!(trusted.ignored().is_empty());
    }

    #[test]
    fn project_denies_and_asks_always_apply() {
        let u = lists("user config", &["shell", "edit"], &[], &[]);
        let pr = lists(
            ".tandem/config.toml",
            &[],
            &["edit(Cargo.toml)"],
            &["shell(make deploy*)"],
        );
        let p = layered(false, u, pr);
        let v = p.decide_shell("make deploy");
        let Verdict::Deny { rule, .. } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(rule.scope, Scope::Project);
        assert_eq!(
            rule.to_string(),
            "`shell(make deploy*)` (deny rule from .tandem/config.toml)"
        );
        assert_eq!(
            path(&p, Category::Edit, "Cargo.toml"),
            "ask edit(Cargo.toml)"
        );
    }

    #[test]
    fn session_allow_rules() {
        let mut p = user(&[], &[], &["shell(cargo publish*)"]);
        assert_eq!(shell(&p, "cargo test"), "default");
        p.allow_for_session("shell(cargo:*)").unwrap();
        let v = p.decide_shell("cargo test");
        let Verdict::Allow { rules } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(rules[0].scope, Scope::Session);
        assert_eq!(rules[0].origin, "this session");
        // A session allow never beats a deny.
        assert_eq!(shell(&p, "cargo publish"), "deny shell(cargo publish*)");
        let err = p.allow_for_session("shel(x)").unwrap_err();
        assert_eq!(err.origin, "this session");
    }

    #[test]
    fn allow_lists_each_deciding_rule_once() {
        let p = allow(&["shell(git:*)", "shell(ls:*)"]);
        let v = p.decide_shell("git status && git diff | ls");
        let Verdict::Allow { rules } = &v else {
            panic!("{v:?}")
        };
        let texts: Vec<&str> = rules.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["shell(git:*)", "shell(ls:*)"]);
    }

    #[test]
    fn empty_commands_are_left_to_the_mode() {
        let p = allow(&["shell"]);
        assert_eq!(shell(&p, ""), "default");
        assert_eq!(shell(&p, "FOO=1"), "default");
    }

    #[test]
    fn invalid_rules_are_errors_naming_rule_and_origin() {
        let e = error("shel(git status)");
        assert_eq!(e.rule, "shel(git status)");
        assert_eq!(e.list, "deny");
        let message = e.to_string();
        assert!(message.contains("`shel(git status)`"), "{message}");
        assert!(
            message.contains("~/.config/tandem/config.toml"),
            "{message}"
        );
        assert!(message.contains("permissions.deny"), "{message}");
        assert!(message.contains("unknown category `shel`"), "{message}");
        for (rule, expected) in [
            ("shell(git status", "closing `)` is missing"),
            ("shell(git status) x", "text follows the closing"),
            ("shell)", "without an opening"),
            ("shell(a))", "unbalanced parentheses"),
            ("shell((a)", "unbalanced parentheses"),
            ("shell()", "the pattern is empty"),
            ("shell(  )", "the pattern is empty"),
            ("shell(:*)", "prefix before `:*` is empty"),
            ("edit(src/[a)", "bad glob"),
            ("edit(src/{a)", "bad glob"),
            ("mcp(:x)", "server name is missing"),
            ("", "the rule is empty"),
            ("Shell(ls)", "unknown category `Shell`"),
        ] {
            let message = error(rule).to_string();
            assert!(message.contains(expected), "{rule}: {message}");
        }
        // `~` needs HOME.
        assert!(
            error("read(~/.ssh/**)")
                .to_string()
                .contains("HOME is not set")
        );
        // Balanced parentheses inside a pattern are fine.
        assert!(
            Permissions::build(
                &lists("x", &["shell(echo (a))"], &[], &[]),
                &RuleLists::default(),
                false,
                Path::new(WS),
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn project_errors_name_the_project_file() {
        let pr = lists(".tandem/config.toml", &[], &["nope"], &[]);
        let e =
            Permissions::build(&RuleLists::default(), &pr, false, Path::new(WS), None).unwrap_err();
        assert_eq!(e.origin, ".tandem/config.toml");
        assert_eq!(e.list, "ask");
    }

    #[test]
    fn rule_lists_deserialize_from_toml() {
        let l: RuleLists = toml::from_str(
            "allow = [\"shell(ls:*)\"]\ndeny = [\"read(.env)\"]\ntrust_project_allow = true",
        )
        .unwrap();
        assert_eq!(l.allow, ["shell(ls:*)"]);
        assert_eq!(l.deny, ["read(.env)"]);
        assert!(l.ask.is_empty());
    }

    #[test]
    fn shell_suggestions() {
        let s = |c: &str| suggest_rules(Category::Shell, c);
        assert_eq!(s("cargo test --release"), ["shell(cargo test:*)"]);
        assert_eq!(s("ls -la"), ["shell(ls:*)"]);
        assert_eq!(s("ls src"), ["shell(ls:*)"]);
        assert_eq!(s("./run.sh x"), ["shell(./run.sh:*)"]);
        assert_eq!(s("git status"), ["shell(git status:*)"]);
        assert_eq!(s("git -C sub status"), ["shell(git:*)"]);
        assert_eq!(s("rm foo"), ["shell(rm foo:*)"]);
        assert_eq!(s("make"), ["shell(make:*)"]);
        assert_eq!(s("npm run build"), ["shell(npm run:*)"]);
        assert_eq!(s("RUST_LOG=1 cargo run"), ["shell(cargo run:*)"]);
        assert_eq!(s("timeout 60 cargo test"), ["shell(cargo test:*)"]);
        assert_eq!(
            s("python3 scripts/gen.py --x"),
            ["shell(python3 scripts/gen.py:*)"]
        );
        assert!(s("python3 -c 'import os'").is_empty());
        assert_eq!(
            s("cargo fmt && cargo clippy -- -D warnings | tail; cargo fmt"),
            [
                "shell(cargo fmt:*)",
                "shell(cargo clippy:*)",
                "shell(tail:*)"
            ]
        );
        assert!(s("echo $(id)").is_empty());
        assert!(s("cargo test > log.txt").is_empty());
        assert!(s("").is_empty());
    }

    #[test]
    fn shell_suggestions_allow_what_was_asked() {
        for command in [
            "cargo test --release",
            "ls -la",
            "./run.sh x",
            "git commit -m 'a b'",
            "python3 gen.py",
            "a\\*b c",
            "cargo fmt && cargo clippy | tail",
            "bash -c 'git status'",
        ] {
            let mut p = Permissions::default();
            for rule in suggest_rules(Category::Shell, command) {
                p.allow_for_session(&rule).unwrap();
            }
            assert_eq!(shell(&p, command), "allow", "{command}");
        }
    }

    #[test]
    fn path_suggestions() {
        assert_eq!(
            suggest_rules(Category::Edit, "src/main.rs"),
            ["edit(src/main.rs)"]
        );
        assert_eq!(
            suggest_rules(Category::Edit, "Cargo.toml"),
            ["edit(./Cargo.toml)"]
        );
        assert_eq!(
            suggest_rules(Category::Edit, "./Cargo.toml"),
            ["edit(./Cargo.toml)"]
        );
        assert_eq!(
            suggest_rules(Category::Read, "/etc/hosts"),
            ["read(/etc/hosts)"]
        );
        assert_eq!(
            suggest_rules(Category::Edit, "a[1]*.rs"),
            [r"edit(./a\[1\]\*.rs)"]
        );
        assert_eq!(
            suggest_rules(Category::Mcp, "github:list"),
            ["mcp(github:list)"]
        );
        assert!(suggest_rules(Category::Edit, "").is_empty());
        for target in ["src/main.rs", "Cargo.toml", "a[1]*.rs", "/etc/hosts"] {
            let mut p = user(&[], &[], &[]);
            for rule in suggest_rules(Category::Edit, target) {
                p.allow_for_session(&rule).unwrap();
            }
            assert_eq!(path(&p, Category::Edit, target), "allow", "{target}");
            // Only that file: not the same name elsewhere.
            assert_eq!(path(&p, Category::Edit, "other/dir/x.rs"), "default");
        }
        let mut root_only = user(&[], &[], &[]);
        root_only.allow_for_session("edit(./Cargo.toml)").unwrap();
        assert_eq!(
            path(&root_only, Category::Edit, "sub/Cargo.toml"),
            "default"
        );
    }
}
