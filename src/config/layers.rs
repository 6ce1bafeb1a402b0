//! Building the list of layers: the files, the chosen profile, `-c
//! key=value` flags; and pointing a schema error at the line of the file
//! that caused it.

use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::{Config, ConfigError, Layer};

/// The configuration choices made on the command line.
#[derive(Debug, Clone, Default)]
pub struct ConfigFlags {
    /// `-c key=value`, in order (later wins).
    pub overrides: Vec<String>,
    /// `--profile NAME`.
    pub profile: Option<String>,
}

impl ConfigFlags {
    /// The `-c` flags as one layer each, named after the flag so `tandem
    /// config show` and errors say where a value came from.
    pub fn override_layers(&self) -> Result<Vec<Layer>, ConfigError> {
        self.overrides.iter().map(|o| override_layer(o)).collect()
    }
}

/// Parses `key.path=value`: the value is TOML (`3`, `true`, `"x"`,
/// `["a"]`), or taken as a string when it is not (`-c ui.theme=light`).
/// Keys may be quoted as in TOML (`pricing."gpt-4.1".input=2`).
fn override_layer(flag: &str) -> Result<Layer, ConfigError> {
    let origin = format!("-c {flag}");
    let Some((key, value)) = flag.split_once('=') else {
        return Err(ConfigError::Invalid {
            origin,
            message: "expected KEY=VALUE, e.g. -c ui.theme=light".into(),
        });
    };
    let (key, value) = (key.trim(), value.trim());
    let as_toml = format!("{key} = {value}");
    let table = match as_toml.parse::<toml::Table>() {
        Ok(table) => table,
        Err(_) => {
            let quoted = format!("{key} = {}", toml::Value::String(value.to_string()));
            quoted
                .parse::<toml::Table>()
                .map_err(|e| ConfigError::Invalid {
                    origin: origin.clone(),
                    message: format!("`{key}` is not a valid key: {}", e.message()),
                })?
        }
    };
    Ok(Layer {
        origin,
        project: false,
        table,
        text: None,
    })
}

/// The layer of profile `name`: its table as defined across `files`
/// (merged, later files win), or an error listing the profiles there are.
pub(super) fn profile_layer(files: &[Layer], name: &str) -> Result<Layer, ConfigError> {
    let mut table = toml::Table::new();
    let mut origins = Vec::new();
    let mut known = Vec::new();
    for layer in files {
        let Some(toml::Value::Table(profiles)) = layer.table.get("profiles") else {
            continue;
        };
        known.extend(profiles.keys().cloned());
        match profiles.get(name) {
            Some(toml::Value::Table(profile)) => {
                super::merge(&mut table, profile);
                origins.push(layer.origin.clone());
            }
            Some(_) => {
                return Err(ConfigError::Invalid {
                    origin: layer.origin.clone(),
                    message: format!("profiles.{name} must be a table ([profiles.{name}])"),
                });
            }
            None => {}
        }
    }
    if origins.is_empty() {
        known.sort();
        known.dedup();
        let known = if known.is_empty() {
            "none is defined; add a [profiles.NAME] table to config.toml".to_string()
        } else {
            format!("defined: {}", known.join(", "))
        };
        return Err(ConfigError::Invalid {
            origin: "--profile".into(),
            message: format!("unknown profile `{name}` ({known})"),
        });
    }
    for nested in ["profiles", "profile"] {
        if table.contains_key(nested) {
            return Err(ConfigError::Invalid {
                origin: origins.join(", "),
                message: format!("profile `{name}` cannot set `{nested}`"),
            });
        }
    }
    Ok(Layer {
        origin: format!("profile {name} ({})", origins.join(", ")),
        project: false,
        table,
        text: None,
    })
}

/// The profile chosen: the flag, else the last `profile = "NAME"` of the
/// files.
pub(super) fn chosen_profile(files: &[Layer], flags: &ConfigFlags) -> Option<String> {
    flags.profile.clone().or_else(|| {
        files
            .iter()
            .rev()
            .find_map(|l| l.table.get("profile")?.as_str().map(str::to_string))
    })
}

/// Checks the merged table against the schema; an error names `layer`'s
/// file, the line (when the layer has its text) and the dotted key.
pub(super) fn check(merged: &toml::Table, layer: &Layer) -> Result<(), ConfigError> {
    parse_as::<Config>(toml::Value::Table(merged.clone()), layer, &[]).map(|_| ())
}

/// Deserializes `value` (found at `prefix` in `layer`) as a `T`; an error
/// names the file, line and dotted key.
pub(super) fn parse_as<T: serde::de::DeserializeOwned>(
    value: toml::Value,
    layer: &Layer,
    prefix: &[&str],
) -> Result<T, ConfigError> {
    let error = match serde_path_to_error::deserialize(value) {
        Ok(parsed) => return Ok(parsed),
        Err(error) => error,
    };
    let segments: Vec<Segment> = prefix
        .iter()
        .map(|k| Segment::Key(k.to_string()))
        .chain(error.path().iter().filter_map(|s| match s {
            serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
            _ => None,
        }))
        .collect();
    let key = dotted(&segments);
    let line = layer
        .text
        .as_deref()
        .and_then(|text| line_of(text, &segments));
    let origin = match line {
        Some(line) => format!("{}:{line}", layer.origin),
        None => layer.origin.clone(),
    };
    let message = error.inner().message();
    let message = if key.is_empty() || message.contains(&format!("`{key}`")) {
        message.to_string()
    } else {
        format!("`{key}`: {message}")
    };
    Err(ConfigError::Invalid { origin, message })
}

/// One step of a path into the configuration.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn dotted(segments: &[Segment]) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The 1-based line in `text` of the deepest part of `path` that the text
/// defines (a key the error is about may come from a lower layer, whose
/// table this layer only extends).
fn line_of(text: &str, path: &[Segment]) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut span = None;
    let mut rest = path;
    while let Some((first, tail)) = rest.split_first() {
        let Segment::Key(key) = first else {
            return span.map(|s: std::ops::Range<usize>| line_at(text, s.start));
        };
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == key) else {
            break;
        };
        span = Some(k.span());
        let mut value = v.get_ref();
        rest = tail;
        while let (DeValue::Array(items), Some((Segment::Index(i), tail))) =
            (value, rest.split_first())
        {
            let item = items.get(*i)?;
            span = Some(item.span());
            value = item.get_ref();
            rest = tail;
        }
        match value {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    span.map(|s| line_at(text, s.start))
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads the project's `.tandem/config.toml` under `root`, marked as the
/// project's.
pub(super) fn project_layer(root: &Path) -> Result<Option<Layer>, ConfigError> {
    Ok(
        Layer::read(&root.join(".tandem").join("config.toml"))?.map(|mut layer| {
            layer.project = true;
            layer
        }),
    )
}

/// The `[hooks]` section of a layer, checked on its own.
pub(super) fn hooks_of(
    layer: &Layer,
    section: toml::Value,
) -> Result<super::HooksSection, ConfigError> {
    parse_as(section, layer, &["hooks"])
}

#[cfg(test)]
#[path = "layers_tests.rs"]
mod tests;
