//! The director's pacing, pause, speed, skip and hand-over, on a made-up
//! clock and a real `App` (whose panes have no sessions).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::script::{Step, Until};
use super::{Director, State};
use crate::agent::Pane;
use crate::exec::ApprovalMode;
use crate::tui::app::{App, PaneSlot};
use crate::tui::theme::{ColorDepth, Theme};

fn app() -> App {
    let slot = |pane| PaneSlot::new(pane, "demo".into(), "m".into(), ApprovalMode::Suggest);
    App::new(
        slot(Pane::Chat),
        slot(Pane::Run),
        Theme::built_in("dark", ColorDepth::None).unwrap(),
    )
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn composer(app: &App) -> String {
    app.panes[0].composer.text()
}

#[test]
fn typing_goes_one_key_at_a_time_at_the_scaled_pace() {
    let t0 = Instant::now();
    let mut app = app();
    let steps = vec![Step::Type {
        text: "abc",
        what: "a request",
    }];
    // Speed 2: 55 ms a character become 27.5 ms.
    let mut d = Director::new(steps, 2.0, t0);
    assert!(d.advance(&mut app, t0));
    assert_eq!(composer(&app), "a");
    assert_eq!(d.caption().unwrap().keys, "typing");
    assert!(!d.advance(&mut app, t0 + ms(20)), "not due yet");
    assert_eq!(composer(&app), "a");
    d.advance(&mut app, t0 + ms(28));
    assert_eq!(composer(&app), "ab");
    assert_eq!(
        d.next_wake(),
        Some(t0 + ms(28) + Duration::from_secs_f64(0.0275))
    );
}

#[test]
fn a_pressed_key_reaches_the_app_and_is_captioned() {
    let t0 = Instant::now();
    let mut app = app();
    let steps = vec![Step::Press {
        key: KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL),
        keys: "Ctrl-G",
        what: "open the diff viewer",
    }];
    let mut d = Director::new(steps, 1.0, t0);
    d.advance(&mut app, t0);
    let caption = d.caption().unwrap();
    assert_eq!(
        (caption.keys.as_str(), caption.text.as_str()),
        ("Ctrl-G", "open the diff viewer")
    );
    // The app took the key: with no change tracker it says why it cannot open.
    let flash = app.flash.clone().map(|(text, _)| text).unwrap_or_default();
    assert!(flash.contains("change tracking is off"), "{flash}");
}

#[test]
fn space_pauses_and_resumes_and_nothing_plays_while_paused() {
    let t0 = Instant::now();
    let mut app = app();
    let steps = vec![Step::Type {
        text: "hi",
        what: "x",
    }];
    let mut d = Director::new(steps, 1.0, t0);
    d.user_key(&mut app, key(KeyCode::Char(' ')), t0);
    assert_eq!(d.state(), State::Paused);
    assert_eq!(d.next_wake(), None);
    assert!(!d.advance(&mut app, t0 + ms(10_000)));
    assert_eq!(composer(&app), "", "no key fed while paused");
    d.user_key(&mut app, key(KeyCode::Char(' ')), t0 + ms(10_000));
    assert_eq!(d.state(), State::Playing);
    d.advance(&mut app, t0 + ms(10_000));
    assert_eq!(composer(&app), "h");
}

#[test]
fn plus_and_minus_change_the_speed_within_bounds() {
    let t0 = Instant::now();
    let mut app = app();
    let mut d = Director::new(Vec::new(), 1.0, t0);
    d.user_key(&mut app, key(KeyCode::Char('+')), t0);
    assert_eq!(d.speed(), 1.5);
    d.user_key(&mut app, key(KeyCode::Char('-')), t0);
    d.user_key(&mut app, key(KeyCode::Char('-')), t0);
    assert!((d.speed() - 1.0 / 1.5).abs() < 1e-9);
    for _ in 0..20 {
        d.user_key(&mut app, key(KeyCode::Char('-')), t0);
    }
    assert_eq!(d.speed(), 0.25);
}

#[test]
fn a_wait_holds_until_the_workbench_gets_there_and_enter_skips_it() {
    let t0 = Instant::now();
    let mut app = app();
    let steps = vec![
        Step::Wait(Until::RunDone(1)),
        Step::Say("after"),
        Step::Pause(60_000),
        Step::Say("later"),
    ];
    let mut d = Director::new(steps, 1.0, t0);
    assert!(!d.advance(&mut app, t0));
    assert_eq!(
        d.caption().unwrap().text,
        "waiting for Run to finish its task"
    );
    // Re-checked regularly, not only when something wakes the loop.
    assert!(d.next_wake().unwrap() <= t0 + ms(200));
    assert!(!d.advance(&mut app, t0 + ms(5000)), "Run never ran a task");
    d.user_key(&mut app, key(KeyCode::Enter), t0 + ms(5000));
    d.advance(&mut app, t0 + ms(5000));
    assert_eq!(d.caption().unwrap().text, "after");
    // The 60 s pause is skipped as well.
    d.advance(&mut app, t0 + ms(6400));
    assert_eq!(d.caption().unwrap().text, "after");
    d.user_key(&mut app, key(KeyCode::Enter), t0 + ms(6500));
    d.advance(&mut app, t0 + ms(6500));
    assert_eq!(d.caption().unwrap().text, "later");
}

#[test]
fn a_wait_ends_when_its_state_is_reached() {
    let t0 = Instant::now();
    let mut app = app();
    let steps = vec![Step::Wait(Until::ChatDone(1)), Step::Say("done")];
    let mut d = Director::new(steps, 1.0, t0);
    d.advance(&mut app, t0);
    app.panes[0].tasks = 1;
    d.advance(&mut app, t0 + ms(200));
    // Half a step later, the next step.
    d.advance(&mut app, t0 + ms(900));
    assert_eq!(d.caption().unwrap().text, "done");
}

#[test]
fn esc_hands_the_workbench_over_and_keys_then_reach_the_app() {
    let t0 = Instant::now();
    let mut app = app();
    let mut d = Director::new(
        vec![Step::Type {
            text: "xyz",
            what: "x",
        }],
        1.0,
        t0,
    );
    d.user_key(&mut app, key(KeyCode::Char('a')), t0);
    assert_eq!(composer(&app), "", "keys do not type while the demo plays");
    d.user_key(&mut app, key(KeyCode::Esc), t0);
    assert_eq!(d.state(), State::Stopped);
    assert!(d.caption().is_none());
    assert!(!d.advance(&mut app, t0 + ms(10_000)), "the story is over");
    d.user_key(&mut app, key(KeyCode::Char('a')), t0);
    assert_eq!(composer(&app), "a");
}

#[test]
fn q_quits_while_playing_and_after_the_end() {
    let t0 = Instant::now();
    let mut app = app();
    let mut d = Director::new(vec![Step::Pause(1000)], 1.0, t0);
    d.user_key(&mut app, key(KeyCode::Char('q')), t0);
    assert!(app.quit);

    let mut app2 = self::app();
    let mut d = Director::new(vec![Step::End("the end")], 1.0, t0);
    d.advance(&mut app2, t0);
    assert_eq!(d.state(), State::Ended);
    assert_eq!(d.caption().unwrap().text, "the end");
    d.user_key(&mut app2, key(KeyCode::Char('q')), t0);
    assert!(app2.quit);
}

#[test]
fn after_the_end_another_key_starts_exploring() {
    let t0 = Instant::now();
    let mut app = app();
    let mut d = Director::new(vec![Step::End("the end")], 1.0, t0);
    d.advance(&mut app, t0);
    d.user_key(&mut app, key(KeyCode::Char('w')), t0);
    assert_eq!(d.state(), State::Stopped);
    assert_eq!(composer(&app), "w", "the key is the user's first own one");
    assert!(!app.quit);
}

#[test]
fn the_story_waits_for_each_pane_before_its_next_key() {
    let steps = super::super::script::story();
    let handoff = steps
        .iter()
        .position(|s| matches!(s, Step::Press { keys: "Alt-H", .. }))
        .expect("the story hands over with Alt-H");
    let chat_done = steps
        .iter()
        .position(|s| *s == Step::Wait(Until::ChatDone(1)))
        .unwrap();
    let run_done = steps
        .iter()
        .position(|s| *s == Step::Wait(Until::RunDone(1)))
        .unwrap();
    assert!(chat_done < handoff && handoff < run_done);
    assert!(matches!(steps.last(), Some(Step::End(_))));
}
