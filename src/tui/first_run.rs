//! The first-run screen: Tandem started and neither pane could reach a
//! model (no key set, no server configured). Instead of two error panes it
//! says, in one place, how to connect each kind of provider — Anthropic,
//! OpenAI, a relay, a local server (detected when one answers on its usual
//! port) — and offers the demo, which needs nothing.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::{AfterExit, App};
use super::theme::Theme;

/// A local model server that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalServer {
    /// What it probably is, by its port.
    pub name: &'static str,
    /// Its OpenAI-compatible base URL.
    pub base_url: String,
    /// The models it listed.
    pub models: Vec<String>,
}

/// The usual ports of local servers.
const LOCAL_SERVERS: [(&str, u16); 3] =
    [("Ollama", 11434), ("llama.cpp", 8080), ("LM Studio", 1234)];

/// How long a local port may take to answer: it is on this machine, so a
/// live server answers in milliseconds, and the first frame must not wait.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

/// Asks every usual local port for its models, all at once; those that
/// answer with a model list are returned.
pub async fn detect_local() -> Vec<LocalServer> {
    detect_on(
        &LOCAL_SERVERS
            .iter()
            .map(|(name, port)| (*name, format!("http://127.0.0.1:{port}/v1")))
            .collect::<Vec<_>>(),
    )
    .await
}

/// [`detect_local`] over explicit candidates (tests use a mock server).
pub async fn detect_on(candidates: &[(&'static str, String)]) -> Vec<LocalServer> {
    // reqwest is built without a default crypto provider; ring is ours.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Ok(http) = reqwest::Client::builder().timeout(PROBE_TIMEOUT).build() else {
        return Vec::new();
    };
    let probes = candidates.iter().map(|(name, base_url)| {
        let http = http.clone();
        async move {
            let response = http.get(format!("{base_url}/models")).send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            let body = response.bytes().await.ok()?;
            let json: serde_json::Value = serde_json::from_slice(&body).ok()?;
            let models = json
                .get("data")?
                .as_array()?
                .iter()
                .filter_map(|m| m.get("id")?.as_str().map(str::to_string))
                .collect();
            Some(LocalServer {
                name,
                base_url: base_url.clone(),
                models,
            })
        }
    });
    futures_util::future::join_all(probes)
        .await
        .into_iter()
        .flatten()
        .collect()
}

impl App {
    /// A key while the first-run screen is up: `d` runs the demo, `q`
    /// quits, anything else (Esc, Enter) shows the workbench.
    pub(super) fn first_run_key(&mut self, key: KeyEvent) {
        self.overlay = None;
        match key.code {
            KeyCode::Char('d') | KeyCode::Char('D') => {
                self.after_exit = Some(AfterExit::Demo);
                self.quit = true;
            }
            KeyCode::Char('q') | KeyCode::Char('Q') => self.quit = true,
            _ => {}
        }
    }
}

/// The screen's text.
pub fn lines(local: &[LocalServer], theme: &Theme) -> Vec<Line<'static>> {
    let heading = |t: &str| Line::styled(t.to_string(), theme.heading);
    let text = |t: &str| Line::styled(t.to_string(), theme.text);
    let code = |t: &str| Line::styled(format!("    {t}"), theme.code);
    let mut out = vec![
        text("Tandem puts an interactive agent (Chat) and an autonomous one (Run) on one"),
        text("workspace. Neither can reach a model yet. Connect one of these, then start"),
        text("tandem again — or watch the demo first:"),
        Line::from(vec![
            Span::styled("  d ", theme.accent),
            Span::styled("watch the demo (no key, no network)   ", theme.text),
            Span::styled("Esc ", theme.accent),
            Span::styled("look around   ", theme.text),
            Span::styled("q ", theme.accent),
            Span::styled("quit", theme.text),
        ]),
        Line::default(),
        heading("Anthropic (Chat's default)"),
        code("export ANTHROPIC_API_KEY=sk-ant-..."),
        heading("OpenAI (Run's default)"),
        code("export OPENAI_API_KEY=sk-..."),
        heading("A relay (one URL and key for both)"),
        code("[relays.hub]  base_url = \"https://...\"  env_key = \"HUB_KEY\""),
        code("then provider = \"hub-anthropic\" / \"hub-openai\" under [panes.*]"),
        heading("A local server"),
    ];
    if local.is_empty() {
        out.push(text(
            "  none answers on 11434 (Ollama), 8080 (llama.cpp) or 1234 (LM Studio); once one runs:",
        ));
        out.extend(start_command("http://127.0.0.1:11434/v1", "MODEL", theme));
    } else {
        for server in local {
            let model = server.models.first().map_or("MODEL", String::as_str);
            let listed = match server.models.len() {
                0 => "no models pulled yet".to_string(),
                n => format!("{n} model{}", if n == 1 { "" } else { "s" }),
            };
            out.push(Line::from(vec![
                Span::styled(
                    format!("  {} answers at {} ", server.name, server.base_url),
                    theme.success,
                ),
                Span::styled(format!("({listed})"), theme.dim),
            ]));
            out.extend(start_command(&server.base_url, model, theme));
        }
    }
    out.extend([
        Line::default(),
        text("Keys are read from the environment only and never reach the commands agents run."),
        text("`tandem doctor` checks each provider; README.md has the details."),
    ]);
    out
}

/// The command that starts both panes on a local OpenAI-compatible server.
fn start_command(base_url: &str, model: &str, theme: &Theme) -> [Line<'static>; 3] {
    [
        format!("OPENAI_BASE_URL={base_url} \\"),
        "  tandem --chat-provider openai-chat --run-provider openai-chat \\".to_string(),
        format!("  --chat-model {model} --run-model {model}"),
    ]
    .map(|t| Line::styled(format!("    {t}"), theme.code))
}

/// Draws the screen over the whole `area`.
pub fn draw(area: Rect, buf: &mut Buffer, theme: &Theme, local: &[LocalServer]) {
    let lines = lines(local, theme);
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 92.min(area.width);
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Rounded)
                .border_style(theme.border_focused)
                .title(Span::styled(" Welcome to Tandem ", theme.heading)),
        )
        .render(rect, buf);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::agent::Pane;
    use crate::exec::ApprovalMode;
    use crate::mockserver::{MockServer, Script};
    use crate::tui::app::{Overlay, PaneSlot};
    use crate::tui::theme::ColorDepth;

    /// An app whose panes both failed to connect, first-run screen up.
    fn app(local: Vec<LocalServer>) -> App {
        let slot = |pane, provider: &str, var: &str| {
            let mut slot =
                PaneSlot::new(pane, provider.into(), String::new(), ApprovalMode::Suggest);
            slot.setup_error = Some(format!("provider `{provider}` needs an API key: set {var}"));
            slot
        };
        let mut app = App::new(
            slot(Pane::Chat, "anthropic", "ANTHROPIC_API_KEY"),
            slot(Pane::Run, "openai", "OPENAI_API_KEY"),
            Theme::built_in("dark", ColorDepth::None).unwrap(),
        );
        app.local_servers = local;
        app.overlay = Some(Overlay::FirstRun);
        app
    }

    fn frame(app: &mut App) -> String {
        let mut terminal = Terminal::new(TestBackend::new(100, 34)).unwrap();
        terminal.draw(|f| crate::tui::view::draw(app, f)).unwrap();
        terminal.backend().to_string()
    }

    #[test]
    fn first_run_screen_without_a_local_server() {
        let text = frame(&mut app(Vec::new()));
        for needle in [
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "[relays.hub]",
            "11434",
            "watch the demo",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        insta::assert_snapshot!(text);
    }

    #[test]
    fn first_run_screen_with_a_detected_local_server() {
        let text = frame(&mut app(vec![LocalServer {
            name: "Ollama",
            base_url: "http://127.0.0.1:11434/v1".into(),
            models: vec!["qwen2.5-coder:14b".into(), "llama3.1".into()],
        }]));
        assert!(text.contains("Ollama answers at http://127.0.0.1:11434/v1"));
        assert!(text.contains("--chat-model qwen2.5-coder:14b"));
        insta::assert_snapshot!(text);
    }

    #[test]
    fn the_screens_keys_choose_the_demo_quit_or_the_workbench() {
        let key = |c| KeyEvent::from(KeyCode::Char(c));
        let mut a = app(Vec::new());
        a.on_key(key('d'));
        assert_eq!((a.quit, a.after_exit), (true, Some(AfterExit::Demo)));
        let mut a = app(Vec::new());
        a.on_key(KeyEvent::from(KeyCode::Esc));
        assert_eq!((a.quit, a.overlay), (false, None));
        a.on_key(key('q'));
        assert!(!a.quit, "once closed, q is an ordinary key again");
        let mut a = app(Vec::new());
        a.on_key(key('q'));
        assert!(a.quit && a.after_exit.is_none());
    }

    #[tokio::test]
    async fn a_server_that_lists_models_is_detected_and_a_closed_port_is_not() {
        let server = MockServer::start(Script::from_toml_str("models = [\"qwen3\"]\n").unwrap())
            .await
            .unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_url = format!("http://{}/v1", closed.local_addr().unwrap());
        drop(closed);
        let found = detect_on(&[
            ("Ollama", format!("{}/v1", server.base_url())),
            ("llama.cpp", closed_url),
        ])
        .await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "Ollama");
        assert_eq!(found[0].models, ["qwen3"]);
    }
}
