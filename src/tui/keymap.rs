//! Keys to actions: defaults, overridden from `config.toml` [keys]. The help screen and the
//! footer read the same map, so what they show is what the keys do.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use crate::config::KeySpec;

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

    pub fn parse(text: &str) -> Result<Key, String> {
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
            other => return Err(format!("unknown key \"{other}\"")),
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

#[derive(Clone, Debug)]
pub struct KeyMap {
    bindings: BTreeMap<Key, Action>,
}

const DEFAULTS: &[(&str, Action)] = &[
    ("q", Action::Quit),
    ("ctrl-c", Action::Quit),
    ("?", Action::Help),
    ("up", Action::Up),
    ("k", Action::Up),
    ("down", Action::Down),
    ("j", Action::Down),
    ("left", Action::Left),
    ("h", Action::Left),
    ("right", Action::Right),
    ("l", Action::Right),
    ("home", Action::Top),
    ("end", Action::Bottom),
    ("pageup", Action::PageUp),
    ("pagedown", Action::PageDown),
    ("enter", Action::OpenMenu),
    ("esc", Action::Back),
    ("tab", Action::NextPane),
    ("backtab", Action::PreviousPane),
    ("/", Action::Filter),
    ("m", Action::MineOnly),
    ("L", Action::LateOnly),
    ("d", Action::DisputesOnly),
    ("w", Action::SwitchWorkflow),
    ("c", Action::ToggleTerminalColumns),
    ("ctrl-r", Action::Refresh),
];

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .filter_map(|(key, action)| Key::parse(key).ok().map(|k| (k, *action)))
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// Defaults, with each action named in `overrides` bound to exactly the keys given there.
    pub fn with_overrides(overrides: &BTreeMap<String, KeySpec>) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        for (name, spec) in overrides {
            let action: Action = serde_json::from_value(serde_json::Value::String(name.clone()))
                .map_err(|_| format!("[keys]: unknown action \"{name}\""))?;
            map.bindings.retain(|_, bound| *bound != action);
            for key in spec.keys() {
                let key = Key::parse(key).map_err(|e| format!("[keys] {name}: {e}"))?;
                map.bindings.insert(key, action);
            }
        }
        Ok(map)
    }

    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(event)?;
        self.bindings.get(&key).copied()
    }

    /// The keys bound to an action, for hints ("enter", "q, ctrl-c").
    pub fn keys_for(&self, action: Action) -> String {
        let mut keys: Vec<&Key> = self
            .bindings
            .iter()
            .filter(|(_, a)| **a == action)
            .map(|(k, _)| k)
            .collect();
        // Plain keys first: the footer shows the first one.
        keys.sort_by_key(|k| (k.ctrl, !matches!(k.code, KeyCodeKey::Char(_))));
        let keys: Vec<String> = keys.iter().map(|k| k.label()).collect();
        keys.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_an_actions_keys() {
        let overrides = BTreeMap::from([("quit".to_string(), KeySpec::One("x".into()))]);
        let map = KeyMap::with_overrides(&overrides).unwrap();
        assert_eq!(map.keys_for(Action::Quit), "x");
        let bad = BTreeMap::from([("teleport".to_string(), KeySpec::One("x".into()))]);
        assert_eq!(
            KeyMap::with_overrides(&bad).unwrap_err(),
            "[keys]: unknown action \"teleport\""
        );
    }
}
