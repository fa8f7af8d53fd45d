//! Colours by meaning. Widgets ask for `theme.selected_card`, never for a raw colour; the
//! config's [theme] is resolved into this once at start.

use ratatui::style::{Color, Modifier, Style};

use crate::config::ThemeConfig;

/// The two themes the palette switches between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeName {
    Dark,
    Light,
}

impl ThemeName {
    pub const ALL: [ThemeName; 2] = [ThemeName::Dark, ThemeName::Light];

    pub fn label(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
        }
    }
}

/// The config's colours on each base, resolved once; without colour (NO_COLOR) both are
/// the monochrome theme.
#[derive(Clone, Debug)]
pub struct Themes {
    pub dark: Theme,
    pub light: Theme,
}

impl Themes {
    pub fn from_config(config: &ThemeConfig) -> Result<Themes, ThemeError> {
        let on = |base: ThemeName| {
            Theme::from_config(&ThemeConfig {
                base: Some(base.label().to_string()),
                ..config.clone()
            })
        };
        Ok(Themes {
            dark: on(ThemeName::Dark)?,
            light: on(ThemeName::Light)?,
        })
    }

    pub fn monochrome() -> Themes {
        Themes {
            dark: Theme::monochrome(),
            light: Theme::monochrome(),
        }
    }

    pub fn get(&self, name: ThemeName) -> &Theme {
        match name {
            ThemeName::Dark => &self.dark,
            ThemeName::Light => &self.light,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Theme {
    pub text: Style,
    pub muted: Style,
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub column_header: Style,
    pub terminal_column: Style,
    pub card: Style,
    pub selected_card: Style,
    pub late_badge: Style,
    pub amount: Style,
    pub available_item: Style,
    pub blocked_item: Style,
    pub highlight: Style,
    pub feed_time: Style,
    pub status_info: Style,
    pub status_error: Style,
    pub reconnecting: Style,
    pub key_hint: Style,
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            text: Style::new().fg(Color::Gray),
            muted: Style::new().fg(Color::DarkGray),
            title: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            border_focused: Style::new().fg(Color::Cyan),
            column_header: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            terminal_column: Style::new().fg(Color::DarkGray),
            card: Style::new().fg(Color::Gray),
            selected_card: Style::new().fg(Color::Black).bg(Color::Cyan),
            late_badge: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            amount: Style::new().fg(Color::Green),
            available_item: Style::new().fg(Color::White),
            blocked_item: Style::new().fg(Color::DarkGray),
            highlight: Style::new().fg(Color::Black).bg(Color::Yellow),
            feed_time: Style::new().fg(Color::DarkGray),
            status_info: Style::new().fg(Color::Green),
            status_error: Style::new().fg(Color::White).bg(Color::Red),
            reconnecting: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            key_hint: Style::new().fg(Color::Cyan),
        }
    }

    /// For light terminals: dark text, and no light grey or white that would vanish on a
    /// white background.
    pub fn light() -> Theme {
        Theme {
            text: Style::new().fg(Color::Black),
            muted: Style::new().fg(Color::DarkGray),
            title: Style::new().fg(Color::Black).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            border_focused: Style::new().fg(Color::Blue),
            column_header: Style::new().fg(Color::Black).add_modifier(Modifier::BOLD),
            terminal_column: Style::new().fg(Color::DarkGray),
            card: Style::new().fg(Color::Black),
            selected_card: Style::new().fg(Color::White).bg(Color::Blue),
            late_badge: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            amount: Style::new().fg(Color::Blue),
            available_item: Style::new().fg(Color::Black),
            blocked_item: Style::new().fg(Color::DarkGray),
            highlight: Style::new().fg(Color::Black).bg(Color::Yellow),
            feed_time: Style::new().fg(Color::DarkGray),
            status_info: Style::new().fg(Color::Blue),
            status_error: Style::new().fg(Color::White).bg(Color::Red),
            reconnecting: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            key_hint: Style::new().fg(Color::Blue),
        }
    }

    /// No colour at all (NO_COLOR): meaning carried by bold, dim, reversed and crossed-out
    /// text, and by the symbols every theme draws (▸ for the selection, LATE, ✗, [tab]).
    pub fn monochrome() -> Theme {
        let plain = Style::new();
        Theme {
            text: plain,
            muted: plain.add_modifier(Modifier::DIM),
            title: plain.add_modifier(Modifier::BOLD),
            border: plain,
            border_focused: plain.add_modifier(Modifier::BOLD),
            column_header: plain.add_modifier(Modifier::BOLD),
            terminal_column: plain.add_modifier(Modifier::DIM),
            card: plain,
            selected_card: plain.add_modifier(Modifier::REVERSED),
            late_badge: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            amount: plain,
            available_item: plain.add_modifier(Modifier::BOLD),
            blocked_item: plain.add_modifier(Modifier::DIM),
            highlight: plain.add_modifier(Modifier::REVERSED),
            feed_time: plain.add_modifier(Modifier::DIM),
            status_info: plain,
            status_error: plain.add_modifier(Modifier::REVERSED),
            reconnecting: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            key_hint: plain.add_modifier(Modifier::BOLD),
        }
    }

    /// Every style, for checks over the whole theme.
    pub fn styles(&self) -> [Style; 19] {
        [
            self.text,
            self.muted,
            self.title,
            self.border,
            self.border_focused,
            self.column_header,
            self.terminal_column,
            self.card,
            self.selected_card,
            self.late_badge,
            self.amount,
            self.available_item,
            self.blocked_item,
            self.highlight,
            self.feed_time,
            self.status_info,
            self.status_error,
            self.reconnecting,
            self.key_hint,
        ]
    }

    /// The base theme with [theme.colors] overrides (foreground colours by meaning).
    pub fn from_config(config: &ThemeConfig) -> Result<Theme, ThemeError> {
        let mut theme = match config.base.as_deref() {
            None | Some("dark") => Theme::dark(),
            Some("light") => Theme::light(),
            Some(other) => {
                return Err(ThemeError::UnknownBase(other.to_string()));
            }
        };
        for (meaning, colour) in &config.colors {
            let colour: Color = colour.parse().map_err(|_| ThemeError::NotAColour {
                meaning: meaning.clone(),
                colour: colour.clone(),
            })?;
            let slot = match meaning.as_str() {
                "text" => &mut theme.text,
                "muted" => &mut theme.muted,
                "title" => &mut theme.title,
                "border" => &mut theme.border,
                "border_focused" => &mut theme.border_focused,
                "column_header" => &mut theme.column_header,
                "terminal_column" => &mut theme.terminal_column,
                "card" => &mut theme.card,
                "selected_card" => &mut theme.selected_card,
                "late_badge" => &mut theme.late_badge,
                "amount" => &mut theme.amount,
                "available_item" => &mut theme.available_item,
                "blocked_item" => &mut theme.blocked_item,
                "highlight" => &mut theme.highlight,
                "feed_time" => &mut theme.feed_time,
                "status_info" => &mut theme.status_info,
                "status_error" => &mut theme.status_error,
                "reconnecting" => &mut theme.reconnecting,
                "key_hint" => &mut theme.key_hint,
                other => {
                    return Err(ThemeError::UnknownMeaning(other.to_string()));
                }
            };
            // Highlighted meanings keep their foreground and take the colour as background.
            *slot = if slot.bg.is_some() {
                slot.bg(colour)
            } else {
                slot.fg(colour)
            };
        }
        Ok(theme)
    }
}

/// Why a [theme] table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("[theme] base \"{0}\" is neither \"dark\" nor \"light\"")]
    UnknownBase(String),
    #[error("[theme.colors] {meaning}: \"{colour}\" is not a colour")]
    NotAColour { meaning: String, colour: String },
    #[error("[theme.colors]: unknown colour meaning \"{0}\"")]
    UnknownMeaning(String),
}
