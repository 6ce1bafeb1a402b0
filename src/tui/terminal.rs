//! Terminal hygiene: raw mode, alternate screen, bracketed paste, focus
//! events, and the promise that the terminal is restored on every way out —
//! normal exit, panic (a hook restores before the message is printed), and
//! SIGTERM/SIGHUP. Ctrl-Z suspends with the terminal restored and resumes
//! into a fresh full redraw.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture, KeyboardEnhancementFlags, PopKeyboardEnhancementFlags,
    PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};

/// Whether the terminal is currently in the TUI's state (so restoring twice,
/// from the panic hook and a drop, does nothing the second time).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether keyboard enhancement (Shift-Enter as its own key) was pushed.
static ENHANCED: AtomicBool = AtomicBool::new(false);

/// Whether mouse capture was enabled (wheel scrolling; `ui.mouse`).
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal into the TUI's state. With `mouse`, the wheel scrolls
/// the history (and the terminal's own text selection then needs Shift).
pub fn enter(mouse: bool) -> io::Result<()> {
    enable_raw_mode()?;
    let mut out = io::stdout();
    execute!(
        out,
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableFocusChange,
        cursor::Hide
    )?;
    // Lets terminals that support it tell Shift-Enter from Enter; terminals
    // that do not ignore the request.
    if crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false) {
        execute!(
            out,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        ENHANCED.store(true, Ordering::SeqCst);
    }
    if mouse {
        execute!(out, EnableMouseCapture)?;
        MOUSE.store(true, Ordering::SeqCst);
    }
    ACTIVE.store(true, Ordering::SeqCst);
    Ok(())
}

/// Gives the terminal back: main screen, cooked mode, cursor visible. Safe to
/// call more than once and from the panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if ENHANCED.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, PopKeyboardEnhancementFlags);
    }
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(
        out,
        DisableFocusChange,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal when dropped, however the scope is left.
pub struct Guard;

impl Guard {
    /// Enters the TUI state and installs the panic hook.
    pub fn new(mouse: bool) -> io::Result<Self> {
        install_panic_hook();
        enter(mouse)?;
        Ok(Guard)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Restores the terminal before the default panic message is printed, so the
/// message lands on a usable screen.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Suspends the process like a shell's Ctrl-Z: restores the terminal, stops
/// with SIGTSTP, and on `fg` re-enters the TUI state. The caller redraws.
pub fn suspend(mouse: bool) -> io::Result<()> {
    restore();
    // SAFETY: raising a signal on ourselves; SIGTSTP's default action stops
    // the process until SIGCONT, then execution continues here.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    enter(mouse)
}
