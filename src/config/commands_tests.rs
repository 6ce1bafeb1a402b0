use std::path::Path;

use super::*;
use crate::config::command_format::{CommandFile, parse};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository, a config dir and a home, each a temp dir.
struct Places {
    repo: tempfile::TempDir,
    config: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Places {
    fn new() -> Self {
        let places = Self {
            repo: tempfile::tempdir().unwrap(),
            config: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(places.repo.path().join(".git")).unwrap();
        places
    }

    fn discover(&self, built_ins: &[&str]) -> Commands {
        discover(
            self.repo.path(),
            self.config.path(),
            Some(self.home.path()),
            built_ins,
        )
    }
}

// ---- discovery -------------------------------------------------------------

#[test]
fn finds_commands_in_all_four_places_with_subdirectory_names() {
    let p = Places::new();
    write(
        &p.repo.path().join(".tandem/commands/deploy.md"),
        "Deploy it",
    );
    write(&p.repo.path().join(".claude/commands/Review.md"), "Review");
    write(&p.config.path().join("commands/git/commit.md"), "Commit");
    write(&p.home.path().join(".claude/commands/a/b/deep.md"), "Deep");
    write(&p.home.path().join(".claude/commands/notes.txt"), "ignored");
    write(
        &p.home.path().join(".claude/commands/.hidden.md"),
        "ignored",
    );
    let found = p.discover(&[]);
    let names: Vec<(&str, Origin)> = found
        .commands
        .iter()
        .map(|c| (c.name.as_str(), c.origin))
        .collect();
    assert_eq!(
        names,
        [
            ("a:b:deep", Origin::UserClaude),
            ("deploy", Origin::ProjectTandem),
            ("git:commit", Origin::UserTandem),
            ("review", Origin::ProjectClaude),
        ]
    );
    assert!(found.issues.is_empty(), "{:?}", found.issues);
    assert_eq!(found.find("Review").unwrap().body, "Review");
    assert_eq!(Origin::ProjectClaude.scope(), "project");
    assert_eq!(Origin::UserClaude.scope(), "user");
}

#[test]
fn the_more_important_place_wins_and_the_others_are_reported() {
    let p = Places::new();
    let project = p.repo.path().join(".tandem/commands/fix.md");
    write(&project, "project tandem");
    write(
        &p.repo.path().join(".claude/commands/fix.md"),
        "project claude",
    );
    write(&p.config.path().join("commands/fix.md"), "user tandem");
    write(
        &p.home.path().join(".claude/commands/fix.md"),
        "user claude",
    );
    write(
        &p.config.path().join("commands/tidy.md"),
        "user tandem tidy",
    );
    write(
        &p.home.path().join(".claude/commands/tidy.md"),
        "user claude tidy",
    );
    let found = p.discover(&[]);
    assert_eq!(found.find("fix").unwrap().body, "project tandem");
    assert_eq!(found.find("tidy").unwrap().body, "user tandem tidy");
    let shadowed: Vec<String> = found.issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(shadowed.len(), 4, "{shadowed:?}");
    assert!(found.issues.iter().all(|i| !i.is_warning()));
    assert_eq!(
        shadowed[0],
        format!(
            "custom command /fix from {} is used instead of {}",
            project.display(),
            p.repo.path().join(".claude/commands/fix.md").display()
        )
    );
}

#[test]
fn a_command_cannot_replace_a_built_in() {
    let p = Places::new();
    write(&p.repo.path().join(".tandem/commands/help.md"), "my help");
    write(&p.repo.path().join(".tandem/commands/helper.md"), "fine");
    let found = p.discover(&["help", "quit"]);
    assert!(found.find("help").is_none());
    assert!(found.find("helper").is_some());
    assert_eq!(found.issues.len(), 1);
    assert!(found.issues[0].is_warning());
    assert_eq!(found.issues[0].name(), Some("help"));
    assert!(
        found.issues[0]
            .to_string()
            .contains("/help is a built-in command; rename the file"),
        "{}",
        found.issues[0]
    );
}

#[test]
fn bad_files_are_reported_and_the_rest_still_load() {
    let p = Places::new();
    let dir = p.repo.path().join(".tandem/commands");
    write(&dir.join("good.md"), "Good");
    write(&dir.join("badpane.md"), "---\npane: left\n---\nBody");
    write(
        &dir.join("big.md"),
        &"x".repeat(MAX_FILE_BYTES as usize + 1),
    );
    std::fs::write(dir.join("binary.md"), b"ab\0cd").unwrap();
    std::fs::write(dir.join("latin1.md"), b"caf\xe9").unwrap();
    write(&dir.join("with space.md"), "unreachable");
    let found = p.discover(&[]);
    let names: Vec<&str> = found.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["good"]);
    let issues: Vec<String> = found.issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(issues.len(), 5, "{issues:?}");
    let about = |name: &str| {
        found
            .issues
            .iter()
            .find(|i| i.name() == Some(name))
            .unwrap_or_else(|| panic!("no issue about {name}: {issues:?}"))
            .to_string()
    };
    assert!(
        about("badpane")
            .contains("badpane.md is not loaded: `pane: left` is not a pane: use chat or run")
    );
    assert!(about("big").contains("bigger than 64 KiB"));
    assert!(about("binary").contains("binary"));
    assert!(about("latin1").contains("not UTF-8"));
    assert!(about("with space").contains("cannot be typed as a command name"));
}

#[test]
fn a_file_at_the_size_cap_loads() {
    let p = Places::new();
    let text = "y".repeat(MAX_FILE_BYTES as usize);
    write(&p.repo.path().join(".tandem/commands/max.md"), &text);
    assert_eq!(p.discover(&[]).find("max").unwrap().body, text);
}

#[test]
fn no_directories_means_no_commands_and_no_issues() {
    let p = Places::new();
    let found = discover(p.repo.path(), p.config.path(), None, &["help"]);
    assert_eq!(found, Commands::default());
}

#[test]
fn expand_line_runs_only_custom_commands() {
    let p = Places::new();
    write(
        &p.repo.path().join(".tandem/commands/greet.md"),
        "Say hello to $1.",
    );
    let found = p.discover(&[]);
    let (command, prompt) = found.expand_line("/greet Bob").unwrap();
    assert_eq!(command.name, "greet");
    assert_eq!(prompt, "Say hello to Bob.");
    assert!(found.expand_line("/greeting Bob").is_none());
    assert!(found.expand_line("greet Bob").is_none());
    assert!(command.takes_arguments());
}

// ---- the file format -------------------------------------------------------

#[test]
fn frontmatter_keys_are_read_and_unknown_ones_ignored() {
    let file = parse(
        "---\n\
         description: Review a pull request\n\
         argument-hint: [pr-number] [focus]\n\
         allowed-tools:\n  - Bash(git diff:*)\n  - Read\n\
         pane: Run\n\
         model: \"claude-opus-4-1\"\n\
         # a comment\n\
         ---\n\
         Review PR $1.\n",
    )
    .unwrap();
    assert_eq!(
        file,
        CommandFile {
            description: "Review a pull request".into(),
            argument_hint: "[pr-number] [focus]".into(),
            pane: Some(CommandPane::Run),
            model: Some("claude-opus-4-1".into()),
            body: "Review PR $1.\n".into(),
        }
    );
}

#[test]
fn without_frontmatter_the_description_is_the_first_body_line() {
    let file = parse("\n\n  # Explain the code  \nMore words.\n").unwrap();
    assert_eq!(file.description, "Explain the code");
    assert_eq!(file.argument_hint, "");
    assert_eq!((file.pane, file.model), (None, None));
    assert_eq!(file.body, "\n\n  # Explain the code  \nMore words.\n");
    let long = parse(&"word ".repeat(40)).unwrap().description;
    assert_eq!(long.chars().count(), 80);
    assert!(long.ends_with('…'), "{long}");
}

#[test]
fn crlf_files_parse_like_lf_files() {
    let file = parse(
        "\u{feff}---\r\ndescription: Fix it\r\npane: chat\r\n---\r\nFix $ARGUMENTS\r\nnow\r\n",
    )
    .unwrap();
    assert_eq!(file.description, "Fix it");
    assert_eq!(file.pane, Some(CommandPane::Chat));
    assert_eq!(file.body, "Fix $ARGUMENTS\nnow\n");
}

#[test]
fn a_bad_pane_is_an_error_and_an_unclosed_block_is_body() {
    assert_eq!(
        parse("---\npane: both\n---\nx").unwrap_err(),
        "`pane: both` is not a pane: use chat or run"
    );
    let file = parse("---\ndescription: never closed\nbody").unwrap();
    assert_eq!(file.body, "---\ndescription: never closed\nbody");
    assert_eq!(file.description, "---");
    // A comment after a value, as YAML allows; quoted values keep theirs.
    let file =
        parse("---\npane: run   # the autonomous one\ndescription: \"Fix #12 # now\"\n---\nx")
            .unwrap();
    assert_eq!(file.pane, Some(CommandPane::Run));
    assert_eq!(file.description, "Fix #12 # now");
    // Empty values count as absent.
    let file = parse("---\npane:\nmodel:\ndescription:\n---\nHello").unwrap();
    assert_eq!((file.pane, file.model), (None, None));
    assert_eq!(file.description, "Hello");
}

// ---- substitution ----------------------------------------------------------

#[test]
fn arguments_and_positionals_are_substituted() {
    assert_eq!(
        expand("Fix issue $1 in $2: $ARGUMENTS", "  42 parser  "),
        "Fix issue 42 in parser: 42 parser"
    );
    assert_eq!(expand("[$1] [$2] [$9]", "one"), "[one] [] []");
    assert_eq!(expand("$ARGUMENTS", ""), "");
}

#[test]
fn quoted_arguments_stay_together() {
    assert_eq!(
        split_arguments(r#"a "b c" 'd e' f"g h"i "" 'it"s'"#),
        ["a", "b c", "d e", "fg hi", "", "it\"s"]
    );
    assert_eq!(split_arguments("x 'unclosed rest"), ["x", "unclosed rest"]);
    assert_eq!(
        expand("title=$1 body=$2", r#""Fix the bug" 'now please'"#),
        "title=Fix the bug body=now please"
    );
    // $ARGUMENTS keeps the quotes as typed.
    assert_eq!(expand("$ARGUMENTS", r#"say "hi""#), r#"say "hi""#);
}

#[test]
fn dollar_signs_without_a_placeholder_stay_as_they_are() {
    assert_eq!(
        expand("cost $$ and $x, $0, $1", "a"),
        "cost $$ and $x, $0, a"
    );
    assert_eq!(expand("$$1", "a"), "$a");
    assert_eq!(expand("$10 $", "a"), "a0 $");
    assert_eq!(expand("$ARGUMENTSX", "a b"), "a bX");
    // One pass: arguments are not expanded again.
    assert_eq!(
        expand("<$1> $ARGUMENTS", "$2 $ARGUMENTS"),
        "<$2> $2 $ARGUMENTS"
    );
}

#[test]
fn a_body_without_placeholders_gets_the_arguments_appended() {
    assert_eq!(expand("Explain this.\n", ""), "Explain this.\n");
    assert_eq!(
        expand("Explain this.\n", "the parser"),
        "Explain this.\n\nARGUMENTS: the parser"
    );
    assert_eq!(
        expand("Costs $$ a lot.", "x"),
        "Costs $$ a lot.\n\nARGUMENTS: x"
    );
}
