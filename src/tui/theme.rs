//! Themes: `themes/*.toml` turned into ratatui styles for the terminal's
//! colour depth.
//!
//! Colours are written once, as truecolor hex; [`ColorDepth`] maps them to
//! the nearest 256- or 16-colour value for terminals that cannot show RGB,
//! and `NO_COLOR` drops colour entirely (modifiers such as bold stay, so
//! structure is still visible).

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The themes shipped in the binary, by name; the first is the default.
const BUILT_IN: [(&str, &str); 5] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "solarized-dark",
        include_str!("../../themes/solarized-dark.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// The theme used when none is named or the named one cannot be used.
pub const DEFAULT_THEME: &str = "dark";

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    /// 24-bit RGB.
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
    /// The 16 basic ANSI colours.
    Ansi16,
    /// No colour at all (`NO_COLOR`).
    None,
}

impl ColorDepth {
    /// Detects the depth from the environment: `NO_COLOR` (any value) turns
    /// colour off; `COLORTERM=truecolor|24bit` means RGB; a `TERM` with
    /// `256color` means 256 colours; anything else gets 16.
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Self {
        if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::None;
        }
        let colorterm = var("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm.contains("truecolor") || colorterm.contains("24bit") {
            return ColorDepth::TrueColor;
        }
        let term = var("TERM").unwrap_or_default();
        if term.contains("256color") || term.contains("direct") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }

    fn map(self, (r, g, b): (u8, u8, u8)) -> Option<Color> {
        match self {
            ColorDepth::TrueColor => Some(Color::Rgb(r, g, b)),
            ColorDepth::Ansi256 => Some(Color::Indexed(nearest_256(r, g, b))),
            ColorDepth::Ansi16 => Some(nearest_16(r, g, b)),
            ColorDepth::None => None,
        }
    }
}

/// The nearest colour of the xterm 256 palette (6×6×6 cube or grey ramp).
fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let level = |c: u8| {
        LEVELS
            .iter()
            .enumerate()
            .min_by_key(|(_, l)| (i32::from(**l) - i32::from(c)).abs())
            .map(|(i, _)| i as u8)
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = 16 + 36 * ri + 6 * gi + bi;
    let cube_rgb = (
        LEVELS[ri as usize],
        LEVELS[gi as usize],
        LEVELS[bi as usize],
    );
    let avg = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    let grey_index = ((avg.saturating_sub(8)) / 10).min(23) as u8;
    let grey = 8 + 10 * grey_index;
    let dist = |(a, b2, c): (u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(a, r) + d(b2, g) + d(c, b)
    };
    if dist((grey, grey, grey)) < dist(cube_rgb) {
        232 + grey_index
    } else {
        cube
    }
}

/// The closest of the 16 ANSI colours by hue rather than by distance:
/// terminals draw those 16 very differently, and plain RGB distance sends
/// every muted theme colour to grey. Greys go by lightness; colours keep the
/// channels within 80% of the strongest, bright when that one is strong.
fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    if max - min < 40 {
        return match max {
            0..=63 => Color::Black,
            64..=159 => Color::DarkGray,
            160..=223 => Color::Gray,
            _ => Color::White,
        };
    }
    let strong = |c: u8| u16::from(c) * 10 >= u16::from(max) * 8;
    let bright = max >= 200;
    match (strong(r), strong(g), strong(b), bright) {
        (true, false, false, false) => Color::Red,
        (true, false, false, true) => Color::LightRed,
        (false, true, false, false) => Color::Green,
        (false, true, false, true) => Color::LightGreen,
        (true, true, false, false) => Color::Yellow,
        (true, true, false, true) => Color::LightYellow,
        (false, false, true, false) => Color::Blue,
        (false, false, true, true) => Color::LightBlue,
        (true, false, true, false) => Color::Magenta,
        (true, false, true, true) => Color::LightMagenta,
        (false, true, true, false) => Color::Cyan,
        (false, true, true, true) => Color::LightCyan,
        (_, _, _, true) => Color::White,
        _ => Color::Gray,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    syntax: String,
    ui: UiColors,
    diff: DiffColors,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UiColors {
    foreground: String,
    dim: String,
    border: String,
    border_focused: String,
    accent: String,
    user: String,
    heading: String,
    code: String,
    link: String,
    quote: String,
    error: String,
    warning: String,
    success: String,
    selection: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffColors {
    added: String,
    added_background: String,
    removed: String,
    removed_background: String,
    added_emphasis_background: String,
    removed_emphasis_background: String,
}

/// A theme file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme `{name}`; the themes are: {known}")]
    Unknown { name: String, known: String },
    #[error("theme `{name}`: {message}")]
    Invalid { name: String, message: String },
    #[error("cannot read theme file {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Ready-to-use styles for every role in the UI.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// syntect theme used for code blocks.
    pub syntax: String,
    /// Whether colours are drawn at all (false under `NO_COLOR`).
    pub colored: bool,
    pub text: Style,
    pub dim: Style,
    pub border: Style,
    pub border_focused: Style,
    pub accent: Style,
    pub user: Style,
    pub heading: Style,
    pub code: Style,
    pub link: Style,
    pub quote: Style,
    pub error: Style,
    pub warning: Style,
    pub success: Style,
    pub selection: Style,
    pub diff_added: Style,
    pub diff_removed: Style,
    pub diff_added_emphasis: Style,
    pub diff_removed_emphasis: Style,
    /// The colour depth the styles were built for, kept so colours that do
    /// not come from the theme file (syntax highlighting) degrade the same way.
    depth: ColorDepth,
}

fn parse_hex(name: &str, key: &str, hex: &str) -> Result<(u8, u8, u8), ThemeError> {
    let invalid = || ThemeError::Invalid {
        name: name.to_string(),
        message: format!("`{key}`: `{hex}` is not a #rrggbb colour"),
    };
    let h = hex.strip_prefix('#').ok_or_else(invalid)?;
    if h.len() != 6 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).map_err(|_| invalid());
    Ok((byte(0)?, byte(2)?, byte(4)?))
}

impl Theme {
    /// The built-in theme `name` for a terminal of `depth`.
    pub fn built_in(name: &str, depth: ColorDepth) -> Result<Self, ThemeError> {
        let text = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| ThemeError::Unknown {
                name: name.to_string(),
                known: Self::names(None).join(", "),
            })?;
        Self::parse(text, depth)
    }

    /// Theme `name`: the user's `<user_dir>/NAME.toml` if there is one (a
    /// user theme may also replace a built-in), else the built-in.
    pub fn load(name: &str, depth: ColorDepth, user_dir: &Path) -> Result<Self, ThemeError> {
        let path = user_dir.join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, depth).map_err(|e| match e {
                ThemeError::Invalid { message, .. } => ThemeError::Invalid {
                    name: path.display().to_string(),
                    message,
                },
                other => other,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::built_in(name, depth)
                .map_err(|e| match e {
                    ThemeError::Unknown { name, .. } => ThemeError::Unknown {
                        name,
                        known: Self::names(Some(user_dir)).join(", "),
                    },
                    other => other,
                }),
            Err(source) => Err(ThemeError::Read { path, source }),
        }
    }

    /// Theme `name`, or the default theme with the reason when `name`
    /// cannot be used: a broken theme file must not keep Tandem from
    /// starting (the reason is shown to the user).
    pub fn load_or_default(
        name: &str,
        depth: ColorDepth,
        user_dir: &Path,
    ) -> (Self, Option<String>) {
        match Self::load(name, depth, user_dir) {
            Ok(theme) => (theme, None),
            Err(e) => {
                let theme = Self::built_in(DEFAULT_THEME, depth).expect("built-in theme parses");
                (theme, Some(format!("{e}; using the {DEFAULT_THEME} theme")))
            }
        }
    }

    /// Every theme name: built-ins, then the user's (`user_dir/*.toml`).
    pub fn names(user_dir: Option<&Path>) -> Vec<String> {
        let mut names: Vec<String> = BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
        if let Some(dir) = user_dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            let mut user: Vec<String> = entries
                .flatten()
                .filter_map(|e| {
                    let path = e.path();
                    (path.extension()? == "toml")
                        .then(|| path.file_stem()?.to_str().map(str::to_string))?
                })
                .filter(|n| !names.contains(n))
                .collect();
            user.sort();
            names.extend(user);
        }
        names
    }

    /// Parses a theme file for a terminal of `depth`. An error names the
    /// key (`ui.accent: missing`, `diff.added: not a #rrggbb colour`).
    pub fn parse(text: &str, depth: ColorDepth) -> Result<Self, ThemeError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ThemeError::Invalid {
                    name: "theme".into(),
                    message: format!("not valid TOML: {}", e.message()),
                })?;
        let file: ThemeFile =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let path = e.path().to_string();
                ThemeError::Invalid {
                    name: "theme".into(),
                    message: if path.is_empty() || path == "." {
                        e.inner().message().to_string()
                    } else {
                        format!("`{path}`: {}", e.inner().message())
                    },
                }
            })?;
        let name = file.name.clone();
        let fg = |key: &str, hex: &str| -> Result<Style, ThemeError> {
            let rgb = parse_hex(&name, key, hex)?;
            Ok(match depth.map(rgb) {
                Some(c) => Style::new().fg(c),
                None => Style::new(),
            })
        };
        let bg = |key: &str, hex: &str| -> Result<Style, ThemeError> {
            let rgb = parse_hex(&name, key, hex)?;
            Ok(match depth.map(rgb) {
                Some(c) => Style::new().bg(c),
                None => Style::new(),
            })
        };
        let ui = &file.ui;
        let diff = &file.diff;
        let colored = depth != ColorDepth::None;
        let bold = Modifier::BOLD;
        Ok(Theme {
            name: file.name.clone(),
            syntax: file.syntax.clone(),
            colored,
            text: fg("ui.foreground", &ui.foreground)?,
            dim: fg("ui.dim", &ui.dim)?.add_modifier(if colored {
                Modifier::empty()
            } else {
                Modifier::DIM
            }),
            border: fg("ui.border", &ui.border)?,
            border_focused: fg("ui.border_focused", &ui.border_focused)?.add_modifier(bold),
            accent: fg("ui.accent", &ui.accent)?,
            user: fg("ui.user", &ui.user)?.add_modifier(bold),
            heading: fg("ui.heading", &ui.heading)?.add_modifier(bold),
            code: fg("ui.code", &ui.code)?,
            link: fg("ui.link", &ui.link)?.add_modifier(Modifier::UNDERLINED),
            quote: fg("ui.quote", &ui.quote)?.add_modifier(Modifier::ITALIC),
            error: fg("ui.error", &ui.error)?.add_modifier(bold),
            warning: fg("ui.warning", &ui.warning)?,
            success: fg("ui.success", &ui.success)?,
            selection: bg("ui.selection", &ui.selection)?.add_modifier(if colored {
                Modifier::empty()
            } else {
                Modifier::REVERSED
            }),
            diff_added: fg("diff.added", &diff.added)?
                .patch(bg("diff.added_background", &diff.added_background)?),
            diff_removed: fg("diff.removed", &diff.removed)?
                .patch(bg("diff.removed_background", &diff.removed_background)?),
            diff_added_emphasis: fg("diff.added", &diff.added)?
                .patch(bg(
                    "diff.added_emphasis_background",
                    &diff.added_emphasis_background,
                )?)
                .add_modifier(bold),
            diff_removed_emphasis: fg("diff.removed", &diff.removed)?
                .patch(bg(
                    "diff.removed_emphasis_background",
                    &diff.removed_emphasis_background,
                )?)
                .add_modifier(bold),
            depth,
        })
    }

    /// The colour depth this theme was built for.
    pub fn depth(&self) -> ColorDepth {
        self.depth
    }

    /// Maps an RGB colour from outside the theme file (a syntect theme, say)
    /// to this terminal's depth, exactly as the theme's own colours were
    /// mapped; `None` under `NO_COLOR`.
    pub fn color(&self, r: u8, g: u8, b: u8) -> Option<Color> {
        self.depth.map((r, g, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse_at_every_depth() {
        for name in Theme::names(None) {
            for depth in [
                ColorDepth::TrueColor,
                ColorDepth::Ansi256,
                ColorDepth::Ansi16,
                ColorDepth::None,
            ] {
                let t = Theme::built_in(&name, depth).unwrap();
                assert_eq!(t.colored, depth != ColorDepth::None);
            }
        }
        assert!(Theme::built_in("neon", ColorDepth::TrueColor).is_err());
    }

    #[test]
    fn every_built_in_theme_has_its_syntax_theme() {
        let syntect = syntect::highlighting::ThemeSet::load_defaults();
        for name in Theme::names(None) {
            let t = Theme::built_in(&name, ColorDepth::TrueColor).unwrap();
            assert_eq!(t.name, name, "the file's name matches its table entry");
            assert!(
                syntect.themes.contains_key(&t.syntax),
                "{name}: {}",
                t.syntax
            );
        }
    }

    #[test]
    fn the_colour_blind_theme_tells_added_from_removed_without_red_or_green() {
        let t = Theme::built_in("colorblind", ColorDepth::TrueColor).unwrap();
        let rgb = |s: Style| match s.fg {
            Some(Color::Rgb(r, g, b)) => (i32::from(r), i32::from(g), i32::from(b)),
            other => panic!("{other:?}"),
        };
        let (added, removed) = (rgb(t.diff_added), rgb(t.diff_removed));
        // Blue against orange: they differ on the blue–yellow axis, which
        // every common colour-vision deficiency keeps.
        assert!(
            added.2 > added.0 && removed.0 > removed.2,
            "{added:?} {removed:?}"
        );
        assert!((added.2 - added.0) - (removed.2 - removed.0) > 200);
    }

    #[test]
    fn a_broken_theme_file_names_the_key_and_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let dark = include_str!("../../themes/dark.toml");
        std::fs::write(
            dir.path().join("mine.toml"),
            dark.replace("name = \"dark\"", "name = \"mine\"")
                .replace("accent = \"#c678dd\"", "accent = \"purple\""),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("typo.toml"),
            dark.replace("accent =", "acent ="),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("odd.toml"),
            dark.replace("#3e4451", "#aéaaa"),
        )
        .unwrap();
        let err = Theme::load("mine", ColorDepth::TrueColor, dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mine.toml") && err.contains("ui.accent") && err.contains("purple"),
            "{err}"
        );
        let err = Theme::load("typo", ColorDepth::TrueColor, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("acent"), "{err}");
        assert!(Theme::load("odd", ColorDepth::TrueColor, dir.path()).is_err());
        let (theme, warning) = Theme::load_or_default("mine", ColorDepth::TrueColor, dir.path());
        assert_eq!(theme.name, "dark");
        assert!(warning.unwrap().contains("using the dark theme"));
        let (theme, warning) = Theme::load_or_default("light", ColorDepth::TrueColor, dir.path());
        assert_eq!((theme.name.as_str(), warning), ("light", None));
        let names = Theme::names(Some(dir.path()));
        assert!(names.starts_with(&["dark".to_string()]) && names.contains(&"typo".to_string()));
        let err = Theme::load("neon", ColorDepth::TrueColor, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("colorblind") && err.contains("mine"), "{err}");
    }

    #[test]
    fn colours_degrade_to_the_terminal() {
        let t = Theme::built_in("dark", ColorDepth::Ansi256).unwrap();
        assert!(matches!(t.error.fg, Some(Color::Indexed(_))));
        let t = Theme::built_in("dark", ColorDepth::Ansi16).unwrap();
        assert_eq!(t.error.fg, Some(Color::LightRed));
        let t = Theme::built_in("dark", ColorDepth::None).unwrap();
        assert_eq!(t.error.fg, None);
        assert!(t.error.add_modifier.contains(Modifier::BOLD));
        assert_eq!(nearest_16(0x98, 0xc3, 0x79), Color::Green);
        assert_eq!(nearest_16(0x56, 0xb6, 0xc2), Color::Cyan);
        assert_eq!(nearest_16(0x7f, 0x84, 0x8e), Color::DarkGray);
        assert_eq!(nearest_256(255, 0, 0), 196);
        assert_eq!(nearest_256(128, 128, 128), 244);
        let t = Theme::built_in("dark", ColorDepth::Ansi16).unwrap();
        assert_eq!(t.depth(), ColorDepth::Ansi16);
        assert_eq!(t.color(0x98, 0xc3, 0x79), Some(Color::Green));
        let t = Theme::built_in("dark", ColorDepth::None).unwrap();
        assert_eq!(t.color(0x98, 0xc3, 0x79), None);
    }

    #[test]
    fn depth_detection_follows_the_conventions() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            ColorDepth::detect(env(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")])),
            ColorDepth::None
        );
        assert_eq!(
            ColorDepth::detect(env(&[("COLORTERM", "truecolor")])),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "screen-256color")])),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm")])),
            ColorDepth::Ansi16
        );
    }
}
