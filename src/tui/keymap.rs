//! Keys to actions, one map per mode: defaults, overridden from `config.toml` ([keys] for
//! the board, [keys.menu], [keys.input], [keys.confirm], [keys.help], [keys.login],
//! [keys.graph], [keys.explorer], [keys.palette]). The help
//! screen, the footer and every overlay's hints read the same maps, so what they show is
//! what the keys do.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{
    Action, ActionSet, ConfirmAction, ExplorerAction, GraphAction, HelpAction, InputAction,
    LoginAction, MenuAction, PaletteAction,
};
use crate::config::{KeySpec, KeysConfig};

/// Why a [keys] table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyMapError {
    #[error("unknown key \"{0}\"")]
    UnknownKey(String),
    #[error("{table}: unknown action \"{name}\"")]
    UnknownAction { table: &'static str, name: String },
    #[error("{table} {name}: {source}")]
    BadKey {
        table: &'static str,
        name: String,
        source: Box<KeyMapError>,
    },
    #[error("{table} {name}: \"{key}\" is also bound to {other}")]
    Conflict {
        table: &'static str,
        name: String,
        key: String,
        other: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeKey,
    pub ctrl: bool,
}

/// A comparable stand-in for crossterm's KeyCode (which is not Ord).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

impl Key {
    pub fn from_event(event: &KeyEvent) -> Option<Key> {
        let code = match event.code {
            KeyCode::Char(c) => KeyCodeKey::Char(c.to_ascii_lowercase()),
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => KeyCodeKey::BackTab,
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            _ => return None,
        };
        // Upper-case letters are their own keys only through shift; keep '?' and 'G' apart.
        let code = match (event.code, code) {
            (KeyCode::Char(c), _) if c.is_ascii_uppercase() => KeyCodeKey::Char(c),
            (_, code) => code,
        };
        Some(Key {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        })
    }

    pub fn parse(text: &str) -> Result<Key, KeyMapError> {
        let (ctrl, name) = match text.strip_prefix("ctrl-") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let code = match name {
            "enter" => KeyCodeKey::Enter,
            "esc" => KeyCodeKey::Esc,
            "tab" => KeyCodeKey::Tab,
            "backtab" => KeyCodeKey::BackTab,
            "up" => KeyCodeKey::Up,
            "down" => KeyCodeKey::Down,
            "left" => KeyCodeKey::Left,
            "right" => KeyCodeKey::Right,
            "home" => KeyCodeKey::Home,
            "end" => KeyCodeKey::End,
            "pageup" => KeyCodeKey::PageUp,
            "pagedown" => KeyCodeKey::PageDown,
            "space" => KeyCodeKey::Char(' '),
            single if single.chars().count() == 1 => {
                KeyCodeKey::Char(single.chars().next().unwrap_or(' '))
            }
            other => return Err(KeyMapError::UnknownKey(other.to_string())),
        };
        Ok(Key { code, ctrl })
    }

    pub fn label(&self) -> String {
        let name = match self.code {
            KeyCodeKey::Char(' ') => "space".to_string(),
            KeyCodeKey::Char(c) => c.to_string(),
            KeyCodeKey::Enter => "enter".into(),
            KeyCodeKey::Esc => "esc".into(),
            KeyCodeKey::Tab => "tab".into(),
            KeyCodeKey::BackTab => "shift-tab".into(),
            KeyCodeKey::Up => "↑".into(),
            KeyCodeKey::Down => "↓".into(),
            KeyCodeKey::Left => "←".into(),
            KeyCodeKey::Right => "→".into(),
            KeyCodeKey::Home => "home".into(),
            KeyCodeKey::End => "end".into(),
            KeyCodeKey::PageUp => "pgup".into(),
            KeyCodeKey::PageDown => "pgdn".into(),
        };
        if self.ctrl {
            format!("ctrl-{name}")
        } else {
            name
        }
    }
}

/// One mode's bindings, in the order they were given: hints show an action's first key.
#[derive(Clone, Debug)]
pub struct Bindings<A> {
    bindings: Vec<(Key, A)>,
}

impl<A: ActionSet> Default for Bindings<A> {
    fn default() -> Self {
        let bindings = A::DEFAULTS
            .iter()
            .filter_map(|(key, action)| Key::parse(key).ok().map(|k| (k, *action)))
            .collect();
        Bindings { bindings }
    }
}

impl<A: ActionSet + std::fmt::Debug> Bindings<A> {
    /// Defaults, with each action named in `overrides` bound to exactly the keys given there.
    /// A key bound to two actions of the mode is refused: one of them could never be used.
    pub fn with_overrides(overrides: &BTreeMap<String, KeySpec>) -> Result<Self, KeyMapError> {
        let mut map = Self::default();
        let mut parsed = Vec::new();
        for (name, spec) in overrides {
            let action: A = serde_json::from_value(serde_json::Value::String(name.clone()))
                .map_err(|_| KeyMapError::UnknownAction {
                    table: A::TABLE,
                    name: name.clone(),
                })?;
            map.bindings.retain(|(_, bound)| *bound != action);
            for text in spec.keys() {
                let key = Key::parse(text).map_err(|e| KeyMapError::BadKey {
                    table: A::TABLE,
                    name: name.clone(),
                    source: Box::new(e),
                })?;
                parsed.push((name, key, action));
            }
        }
        for (name, key, action) in parsed {
            match map.lookup(key) {
                Some(other) if other != action => {
                    return Err(KeyMapError::Conflict {
                        table: A::TABLE,
                        name: name.clone(),
                        key: key.label(),
                        other: action_name(other),
                    });
                }
                Some(_) => {}
                None => map.bindings.push((key, action)),
            }
        }
        Ok(map)
    }

    fn lookup(&self, key: Key) -> Option<A> {
        self.bindings
            .iter()
            .find(|(bound, _)| *bound == key)
            .map(|(_, action)| *action)
    }

    pub fn action(&self, event: &KeyEvent) -> Option<A> {
        self.lookup(Key::from_event(event)?)
    }

    /// The keys bound to an action, in the order they were given.
    pub fn keys(&self, action: A) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// The keys bound to an action, for help ("q, ctrl-c").
    pub fn keys_for(&self, action: A) -> String {
        let keys: Vec<String> = self.keys(action).iter().map(Key::label).collect();
        keys.join(", ")
    }

    /// The first key of each action with its hint, for a footer or an overlay's last line;
    /// actions with no key are left out.
    pub fn hints(&self, actions: &[A]) -> Vec<(String, &'static str)> {
        actions
            .iter()
            .filter_map(|action| {
                let key = self.keys(*action).first()?.label();
                Some((key, action.hint()))
            })
            .collect()
    }
}

/// An action's name as `config.toml` writes it.
fn action_name<A: std::fmt::Debug>(action: A) -> String {
    let debug = format!("{action:?}");
    let mut name = String::new();
    for (index, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// Every mode's bindings.
#[derive(Clone, Debug, Default)]
pub struct KeyMap {
    pub board: Bindings<Action>,
    pub menu: Bindings<MenuAction>,
    pub input: Bindings<InputAction>,
    pub confirm: Bindings<ConfirmAction>,
    pub help: Bindings<HelpAction>,
    pub login: Bindings<LoginAction>,
    pub graph: Bindings<GraphAction>,
    pub explorer: Bindings<ExplorerAction>,
    pub palette: Bindings<PaletteAction>,
}

impl KeyMap {
    pub fn with_overrides(config: &KeysConfig) -> Result<KeyMap, KeyMapError> {
        Ok(KeyMap {
            board: Bindings::with_overrides(&config.board)?,
            menu: Bindings::with_overrides(&config.menu)?,
            input: Bindings::with_overrides(&config.input)?,
            confirm: Bindings::with_overrides(&config.confirm)?,
            help: Bindings::with_overrides(&config.help)?,
            login: Bindings::with_overrides(&config.login)?,
            graph: Bindings::with_overrides(&config.graph)?,
            explorer: Bindings::with_overrides(&config.explorer)?,
            palette: Bindings::with_overrides(&config.palette)?,
        })
    }

    /// The board's action for a key.
    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.board.action(event)
    }

    /// The keys bound to a board action ("q, ctrl-c").
    pub fn keys_for(&self, action: Action) -> String {
        self.board.keys_for(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(pairs: &[(&str, &str)]) -> KeysConfig {
        KeysConfig {
            board: pairs
                .iter()
                .map(|(a, k)| (a.to_string(), KeySpec::One(k.to_string())))
                .collect(),
            ..KeysConfig::default()
        }
    }

    #[test]
    fn overrides_replace_an_actions_keys() {
        let map = KeyMap::with_overrides(&board(&[("quit", "Q")])).unwrap();
        assert_eq!(map.keys_for(Action::Quit), "Q");
        assert_eq!(
            KeyMap::with_overrides(&board(&[("teleport", "x")]))
                .unwrap_err()
                .to_string(),
            "[keys]: unknown action \"teleport\""
        );
    }

    #[test]
    fn a_key_bound_to_two_actions_is_refused() {
        let error = KeyMap::with_overrides(&board(&[("quit", "j")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "[keys] quit: \"j\" is also bound to down"
        );
        // Swapping two actions' keys is no conflict.
        let swapped = KeyMap::with_overrides(&board(&[("up", "j"), ("down", "k")])).unwrap();
        assert_eq!(swapped.keys_for(Action::Up), "j");
    }
}
