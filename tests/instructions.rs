//! Project instructions: `AGENTS.md` / `CLAUDE.md` found at the three
//! levels in real directories, `@imports`, the size caps and their notes,
//! and subdirectory files loaded by a real session (the real HTTP client
//! against the scripted mock server) once, into the tool result the model
//! gets next.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tandem::agent::prompt::system_prompt;
use tandem::agent::{Event, Op, Pane, Session, SessionConfig};
use tandem::config::InstructionsConfig;
use tandem::config::instructions::{InstructionFile, Level, UserDirs, discover};
use tandem::exec::ApprovalMode;
use tandem::mockserver::{MockServer, Script};
use tandem::provider::{HttpClientConfig, HttpModelClient, Wire};

fn caps(file: usize, total: usize) -> InstructionsConfig {
    InstructionsConfig {
        max_file_bytes: file,
        max_total_bytes: total,
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A home with Tandem's config dir, `~/.claude` and `~/.codex`, and a git
/// repository with a workspace one level below its root.
struct World {
    _home: tempfile::TempDir,
    _repo: tempfile::TempDir,
    dirs: UserDirs,
    root: PathBuf,
}

fn world() -> World {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let h = home.path().canonicalize().unwrap();
    let root = repo.path().canonicalize().unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    let dirs = UserDirs {
        config_dir: h.join(".config/tandem"),
        home: Some(h.clone()),
        codex_home: Some(h.join(".codex")),
    };
    std::fs::create_dir_all(&dirs.config_dir).unwrap();
    World {
        _home: home,
        _repo: repo,
        dirs,
        root,
    }
}

fn summary(files: &[InstructionFile]) -> Vec<(Level, String, String)> {
    files
        .iter()
        .map(|f| (f.info.level, f.display.clone(), f.text.clone()))
        .collect()
}

#[test]
fn the_user_and_project_levels_are_read_in_order_with_both_names() {
    let w = world();
    let home = w.dirs.home.clone().unwrap();
    write(&w.dirs.config_dir.join("AGENTS.md"), "tandem agents");
    write(&w.dirs.config_dir.join("CLAUDE.md"), "tandem claude");
    write(&home.join(".claude/CLAUDE.md"), "claude home");
    write(&home.join(".codex/AGENTS.md"), "codex plain");
    write(&home.join(".codex/AGENTS.override.md"), "codex override");
    write(&w.root.join("AGENTS.md"), "root agents");
    write(&w.root.join("CLAUDE.local.md"), "root local");
    write(&w.root.join("CLAUDE.md"), "root claude");
    write(&w.root.join("pkg/AGENTS.md"), "pkg agents");
    write(&w.root.join("pkg/AGENTS.override.md"), "pkg override");
    write(&w.root.join("pkg/CLAUDE.local.md"), "pkg local");
    write(
        &w.root.join("pkg/sub/AGENTS.md"),
        "later, when an agent works there",
    );
    let set = discover(&w.dirs, &w.root.join("pkg"), &caps(1000, 10_000));
    let root = w.root.display();
    assert_eq!(
        summary(set.files()),
        [
            (
                Level::User,
                "~/.config/tandem/AGENTS.md".into(),
                "tandem agents".into()
            ),
            (
                Level::User,
                "~/.config/tandem/CLAUDE.md".into(),
                "tandem claude".into()
            ),
            (
                Level::User,
                "~/.claude/CLAUDE.md".into(),
                "claude home".into()
            ),
            (
                Level::User,
                "~/.codex/AGENTS.override.md".into(),
                "codex override".into()
            ),
            (
                Level::Project,
                format!("{root}/AGENTS.md"),
                "root agents".into()
            ),
            (
                Level::Project,
                format!("{root}/CLAUDE.md"),
                "root claude".into()
            ),
            (
                Level::Project,
                format!("{root}/CLAUDE.local.md"),
                "root local".into()
            ),
            (
                Level::Project,
                "AGENTS.override.md".into(),
                "pkg override".into()
            ),
            (Level::Project, "CLAUDE.local.md".into(), "pkg local".into()),
        ]
    );
    let prompt = system_prompt(Pane::Chat, ApprovalMode::Suggest, &w.root, set.files());
    let first = prompt.find("tandem agents").unwrap();
    let last = prompt.find("pkg local").unwrap();
    assert!(
        first < prompt.find("root agents").unwrap() && prompt.find("root agents").unwrap() < last
    );
    assert!(!prompt.contains("codex plain") && !prompt.contains("pkg agents"));
    assert!(set.searched().contains(&w.root.join("pkg/CLAUDE.md")));
    assert!(set.searched().contains(&home.join(".claude/CLAUDE.md")));
}

#[test]
fn claude_files_inline_their_imports_and_agents_md_does_not() {
    let w = world();
    write(
        &w.root.join("docs/style.md"),
        "Tabs, not spaces. @../rules/deep.md",
    );
    write(&w.root.join("rules/deep.md"), "No unwrap.");
    write(
        &w.root.join("CLAUDE.md"),
        "Style: @docs/style.md\n```\n@docs/style.md\n```\nMissing: @nope.md\n",
    );
    write(&w.root.join("AGENTS.md"), "See @docs/style.md");
    let set = discover(&w.dirs, &w.root, &caps(1000, 10_000));
    let files = set.files();
    assert_eq!(files[0].text, "See @docs/style.md");
    assert_eq!(
        files[1].text,
        "Style: Tabs, not spaces. No unwrap.\n```\n@docs/style.md\n```\nMissing: @nope.md\n"
    );
    assert_eq!(
        files[1].info.imports,
        [w.root.join("docs/style.md"), w.root.join("rules/deep.md")]
    );
}

#[test]
fn big_files_are_cut_and_files_past_the_total_are_skipped_with_notes() {
    let w = world();
    write(&w.dirs.config_dir.join("AGENTS.md"), &"u".repeat(300));
    write(&w.root.join("AGENTS.md"), &"a".repeat(100));
    write(&w.root.join("CLAUDE.md"), &"c".repeat(100));
    write(&w.root.join("CLAUDE.local.md"), "personal");
    let set = discover(&w.dirs, &w.root, &caps(200, 300));
    let files = set.files();
    assert_eq!(files.len(), 4);
    assert!(files[0].info.truncated && files[0].info.kept == 200);
    assert_eq!(
        files[0].info.note.as_deref(),
        Some(
            "[cut: ~/.config/tandem/AGENTS.md is 300 bytes; the first 200 are kept — raise [instructions] max_file_bytes]"
        )
    );
    assert!(
        files[0]
            .text
            .ends_with(files[0].info.note.as_deref().unwrap())
    );
    assert!(!files[1].info.truncated && files[1].info.kept == 100);
    let skipped = &files[2];
    assert!(skipped.info.skipped && skipped.text.is_empty());
    assert!(
        skipped
            .info
            .note
            .as_deref()
            .unwrap()
            .starts_with("[skipped: CLAUDE.md (100 bytes) — the instruction files before it already take all 300 bytes")
    );
    assert!(files[3].info.skipped);
    let prompt = system_prompt(Pane::Run, ApprovalMode::FullAuto, &w.root, files);
    assert!(
        prompt.contains("# Instructions skipped: CLAUDE.md"),
        "{prompt}"
    );
    assert!(prompt.contains("raise [instructions] max_file_bytes]"));
    assert!(!prompt.contains("personal"));
}

const READ_SUB: &str = r#"
[[reply]]
[[reply.tool_calls]]
id = "r1"
name = "read_file"
input = { path = "sub/a.txt" }

[[reply]]
[[reply.tool_calls]]
id = "r2"
name = "grep"
input = { pattern = "b", path = "sub" }

[[reply]]
text = "done"
"#;

#[tokio::test]
async fn a_subdirectory_file_reaches_the_model_once_with_the_first_tool_result_there() {
    let w = world();
    write(&w.root.join("AGENTS.md"), "ROOT-RULE-7");
    write(&w.root.join("sub/AGENTS.md"), "SUB-RULE-42: no unwrap here");
    write(&w.root.join("sub/a.txt"), "alpha");
    write(&w.root.join("sub/b.txt"), "beta");
    let set = discover(&w.dirs, &w.root, &caps(1000, 10_000));
    let server = MockServer::start(Script::from_toml_str(READ_SUB).unwrap())
        .await
        .unwrap();
    let client = HttpModelClient::new(HttpClientConfig {
        max_retries: 0,
        ..server.client_config(Wire::Anthropic)
    })
    .unwrap();
    let config = SessionConfig {
        pane: Pane::Run,
        mode: ApprovalMode::FullAuto,
        can_approve: false,
        system_prompt: system_prompt(Pane::Run, ApprovalMode::FullAuto, &w.root, set.files()),
        instructions: set,
        ..SessionConfig::basic(Arc::new(client), "mock-model", w.root.clone())
    };
    let mut h = Session::spawn(config);
    h.ops.send(Op::UserMessage("look in sub".into())).unwrap();
    let mut events = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), h.events.recv())
            .await
            .expect("the session answers")
            .expect("the session is alive");
        let done = matches!(event, Event::TaskComplete { .. });
        events.push(event);
        if done {
            break;
        }
    }
    let loaded: Vec<Vec<(Level, PathBuf)>> = events
        .iter()
        .filter_map(|e| match e {
            Event::InstructionsLoaded { files, .. } => {
                Some(files.iter().map(|f| (f.level, f.path.clone())).collect())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        loaded,
        [
            vec![(Level::Project, w.root.join("AGENTS.md"))],
            vec![(Level::Subdirectory, w.root.join("sub/AGENTS.md"))],
        ],
        "reported at start, then once when sub/ is first reached"
    );
    let bodies: Vec<String> = server
        .requests()
        .iter()
        .map(|r| serde_json::to_string(&r.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies[0].contains("ROOT-RULE-7") && !bodies[0].contains("SUB-RULE-42"));
    for body in &bodies[1..] {
        assert_eq!(body.matches("SUB-RULE-42").count(), 1, "{body}");
        assert!(body.contains("--- Instructions for sub/ from sub/AGENTS.md"));
        assert!(body.contains("alpha"));
    }
    let shown = events.iter().find_map(|e| match e {
        Event::ToolResult { id, output, .. } if id == "r1" => Some(output.clone()),
        _ => None,
    });
    let shown = shown.expect("the read's result is reported");
    assert!(
        shown.contains("alpha") && !shown.contains("SUB-RULE-42"),
        "the block is for the model; the user sees the load as its own event: {shown}"
    );
}
