use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::*;

fn sh(script: &str) -> HostCommand {
    HostCommand {
        label: "test".into(),
        program: "sh".into(),
        args: vec!["-c".into(), script.into()],
    }
}

fn opts() -> HostOptions {
    HostOptions {
        cwd: std::env::temp_dir(),
        size: (10, 40),
        extra_env: Vec::new(),
        key_vars: Vec::new(),
    }
}

/// Waits until the screen's text contains `text`.
fn wait_text(program: &HostedProgram, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if program.with_screen(|s| s.contents().contains(text)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "timed out waiting for {text:?}; the screen:\n{}",
        program.with_screen(|s| s.contents())
    );
}

/// The next exit event, skipping output events.
fn exit_of(rx: &mut mpsc::UnboundedReceiver<HostEvent>) -> HostEvent {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match rx.try_recv() {
            Ok(e @ HostEvent::Exited { .. }) => return e,
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    panic!("the program did not exit");
}

#[test]
fn output_reaches_the_screen_with_colour_and_input_reaches_the_program() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let program = HostedProgram::spawn(
        &sh("printf '\\033[31mred\\033[0m\\n'; read line; echo \"got $line\"; exit 3"),
        opts(),
        tx,
    )
    .unwrap();
    wait_text(&program, "red");
    let red = program.with_screen(|s| s.cell(0, 0).map(|c| c.fgcolor()));
    assert_eq!(red, Some(vt100::Color::Idx(1)));
    program.write(b"hello\r").unwrap();
    wait_text(&program, "got hello");
    assert_eq!(
        exit_of(&mut rx),
        HostEvent::Exited {
            id: program.id(),
            code: Some(3),
            signal: None
        }
    );
}

#[test]
fn resizing_reaches_the_program_as_sigwinch() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut program = HostedProgram::spawn(
        &sh("trap 'echo size $(stty size)' WINCH; echo ready; while :; do sleep 0.05; done"),
        opts(),
        tx,
    )
    .unwrap();
    wait_text(&program, "ready");
    program.resize(12, 50).unwrap();
    assert_eq!(program.size(), (12, 50));
    wait_text(&program, "size 12 50");
    assert_eq!(program.with_screen(|s| s.size()).1.get(), 50);
}

#[test]
fn keys_never_reach_the_program_and_extra_env_does() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut o = opts();
    // HOME stands in for a provider key variable the config names.
    o.key_vars = vec!["HOME".into()];
    o.extra_env = vec![
        ("ANTHROPIC_BASE_URL".into(), "http://127.0.0.1:9/x".into()),
        ("LEAK_API_KEY".into(), "secret".into()),
        (
            "OPENAI_API_KEY".into(),
            crate::proxy::PLACEHOLDER_KEY.into(),
        ),
    ];
    let program = HostedProgram::spawn(
        &sh("echo \"home=${HOME-unset} url=$ANTHROPIC_BASE_URL leak=${LEAK_API_KEY-unset} placeholder=$OPENAI_API_KEY term=$TERM\"; sleep 5"),
        o,
        tx,
    )
    .unwrap();
    wait_text(
        &program,
        "home=unset url=http://127.0.0.1:9/x leak=unset placeholder=tandem-proxy term=xterm-256color",
    );
}

#[test]
fn dropping_the_program_kills_its_whole_session() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let program =
        HostedProgram::spawn(&sh("sleep 300 & echo \"bg $!\"; wait"), opts(), tx).unwrap();
    wait_text(&program, "bg ");
    let text = program.with_screen(|s| s.contents());
    let pid: i32 = text
        .split("bg ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .expect("the background pid");
    drop(program);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| !s[s.rfind(')').unwrap() + 1..].trim_start().starts_with('Z'));
        if !alive {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the background job outlived the program"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_missing_program_or_directory_is_a_clear_error() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let missing = HostCommand {
        label: "nope".into(),
        program: "tandem-no-such-program".into(),
        args: Vec::new(),
    };
    let err = HostedProgram::spawn(&missing, opts(), tx.clone())
        .err()
        .expect("no such program");
    assert!(err.to_string().contains("tandem-no-such-program"), "{err}");
    let mut o = opts();
    o.cwd = "/no/such/dir".into();
    let err = HostedProgram::spawn(&sh("true"), o, tx).err().unwrap();
    assert!(err.to_string().contains("/no/such/dir"), "{err}");
}

#[test]
fn scrollback_keeps_lines_that_left_the_screen() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let program = HostedProgram::spawn(
        &sh("for i in $(seq 1 30); do echo line$i; done; sleep 5"),
        opts(),
        tx,
    )
    .unwrap();
    wait_text(&program, "line30");
    assert!(!program.with_screen(|s| s.contents().contains("line5\n")));
    assert_eq!(program.set_scrollback(100), 21);
    assert!(program.with_screen(|s| s.contents().starts_with("line1\n")));
    assert_eq!(program.set_scrollback(0), 0);
}
