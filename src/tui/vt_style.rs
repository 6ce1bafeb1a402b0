//! How a `vt100` screen cell looks in ratatui: shared by the live output of
//! commands in the history and by hosted programs' screens, so both show a
//! program's colours the same way.

use ratatui::style::{Color, Modifier, Style};

use super::theme::Theme;

/// The style of `cell`: its colours at the theme's depth (none under
/// `NO_COLOR`) and its attributes (kept always, so structure stays).
pub fn cell_style(cell: &vt100::Cell, theme: &Theme) -> Style {
    let mut style = Style::new();
    if theme.colored {
        if let Some(fg) = color(cell.fgcolor(), theme) {
            style = style.fg(fg);
        }
        if let Some(bg) = color(cell.bgcolor(), theme) {
            style = style.bg(bg);
        }
    }
    for (on, m) in [
        (cell.bold(), Modifier::BOLD),
        (cell.dim(), Modifier::DIM),
        (cell.italic(), Modifier::ITALIC),
        (cell.underline(), Modifier::UNDERLINED),
        (cell.inverse(), Modifier::REVERSED),
    ] {
        if on {
            style = style.add_modifier(m);
        }
    }
    style
}

/// A vt100 colour as a ratatui colour: the 16 basic colours as named ones
/// (the terminal's own palette), the rest of the 256 as indexed, RGB at the
/// theme's depth.
fn color(c: vt100::Color, theme: &Theme) -> Option<Color> {
    const BASIC: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match c {
        vt100::Color::Default => None,
        vt100::Color::Idx(i) => Some(
            BASIC
                .get(usize::from(i))
                .copied()
                .unwrap_or(Color::Indexed(i)),
        ),
        vt100::Color::Rgb(r, g, b) => theme.color(r, g, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorDepth;

    #[test]
    fn rgb_follows_the_colour_depth_and_basic_colours_keep_their_names() {
        let mut parser = vt100::Parser::new(
            std::num::NonZeroU16::new(2).unwrap(),
            std::num::NonZeroU16::new(10).unwrap(),
            0,
        );
        parser.process(b"\x1b[38;2;255;0;0mr\x1b[0m\x1b[32mg");
        let cell = |col| parser.screen().cell(0, col).unwrap().clone();
        let ansi256 = Theme::built_in("dark", ColorDepth::Ansi256).unwrap();
        assert!(matches!(
            cell_style(&cell(0), &ansi256).fg,
            Some(Color::Indexed(_))
        ));
        assert_eq!(cell_style(&cell(1), &ansi256).fg, Some(Color::Green));
        let none = Theme::built_in("dark", ColorDepth::None).unwrap();
        assert_eq!(cell_style(&cell(0), &none).fg, None);
    }
}
