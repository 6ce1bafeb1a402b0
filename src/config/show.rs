//! `tandem config show`: the effective configuration, one `key = value`
//! line per setting with the layer it came from (built-in defaults, the
//! user's config.toml, the project's .tandem/config.toml), so "why is this
//! set?" has an answer. Secret-looking values are never printed.

use std::collections::BTreeMap;

use super::Layer;

/// Shown instead of a secret value.
const REDACTED: &str = "\"[redacted]\"";

/// One setting of the effective configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The dotted key (`ui.theme`, `providers.openai.base_url`).
    pub key: String,
    /// The value as TOML (secrets redacted).
    pub value: String,
    /// The layer that set it last.
    pub origin: String,
}

/// The settings `layers` (lowest first) add up to, sorted by key. Each
/// layer's `[permissions]` are kept apart (every layer's rules apply), so
/// they are listed per layer, as `permissions.<kind>` with its origin.
pub fn effective(layers: &[Layer]) -> Vec<Setting> {
    let mut out: BTreeMap<String, Setting> = BTreeMap::new();
    let mut rules = Vec::new();
    for layer in layers {
        for (name, value) in &layer.table {
            if name == "permissions" {
                if let toml::Value::Table(section) = value {
                    for (kind, list) in section {
                        rules.push(Setting {
                            key: format!("permissions.{kind}"),
                            value: list.to_string(),
                            origin: layer.origin.clone(),
                        });
                    }
                }
                continue;
            }
            walk(name, value, &layer.origin, &mut out);
        }
    }
    out.into_values().chain(rules).collect()
}

fn walk(key: &str, value: &toml::Value, origin: &str, out: &mut BTreeMap<String, Setting>) {
    match value {
        toml::Value::Table(table) if !table.is_empty() => {
            for (name, inner) in table {
                walk(&format!("{key}.{name}"), inner, origin, out);
            }
        }
        _ => {
            let value = if is_secret(key) {
                REDACTED.to_string()
            } else {
                value.to_string()
            };
            out.insert(
                key.to_string(),
                Setting {
                    key: key.to_string(),
                    value,
                    origin: origin.to_string(),
                },
            );
        }
    }
}

/// Keys whose values may be credentials: header values, and anything named
/// like a key, token, secret or password — except the *names* of the
/// variables that hold keys (`env_key`, `base_url_env`), which are not
/// secret and which users need to see.
fn is_secret(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    if last == "env_key" || last.ends_with("_env") || last == "env_passthrough" {
        return false;
    }
    key.split('.').any(|part| part == "headers")
        || ["key", "token", "secret", "password"]
            .iter()
            .any(|word| last.contains(word))
}

/// The settings as aligned lines: `key = value   # origin`.
pub fn render(settings: &[Setting]) -> String {
    let width = settings
        .iter()
        .map(|s| s.key.len() + s.value.len() + 3)
        .max()
        .unwrap_or(0)
        .min(80);
    settings
        .iter()
        .map(|s| {
            let line = format!("{} = {}", s.key, s.value);
            format!("{line:<width$}   # {}\n", s.origin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_layer_wins_and_says_so_and_secrets_stay_hidden() {
        let defaults = Layer::parse(
            "built-in defaults",
            "[ui]\ntheme = \"dark\"\nmouse = false\n",
        )
        .unwrap();
        let user = Layer::parse(
            "/home/u/.config/tandem/config.toml",
            "[ui]\ntheme = \"light\"\n[providers.relay]\nenv_key = \"RELAY_KEY\"\nheaders = { x-api-key = \"sk-live-123\" }\n[permissions]\ndeny = [\"shell(rm *)\"]\n",
        )
        .unwrap();
        let settings = effective(&[defaults, user]);
        let get = |k: &str| settings.iter().find(|s| s.key == k).unwrap();
        assert_eq!(get("ui.theme").value, "\"light\"");
        assert_eq!(get("ui.theme").origin, "/home/u/.config/tandem/config.toml");
        assert_eq!(get("ui.mouse").origin, "built-in defaults");
        assert_eq!(get("providers.relay.env_key").value, "\"RELAY_KEY\"");
        assert_eq!(get("providers.relay.headers.x-api-key").value, REDACTED);
        assert_eq!(get("permissions.deny").value, "[\"shell(rm *)\"]");
        let text = render(&settings);
        assert!(!text.contains("sk-live-123"), "{text}");
        assert!(text.contains("ui.theme = \"light\""), "{text}");
    }
}
