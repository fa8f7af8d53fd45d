//! Rendering: reads the state, never changes it. `impl Widget for &Frame` so a frame never
//! clones state; each screen draws itself from its own module. Every text that came from the
//! database goes through `display_safe`.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::app::{App, Screen, Status};
use super::clock::Zone;
use super::keymap::KeyMap;
use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use super::msg::ConnectionState;
use super::theme::Theme;
use super::widgets::centered;
use crate::workflow::Workflows;

/// What a frame needs besides the state.
pub struct Frame<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

/// What drawing reads besides a screen's own state.
pub struct DrawContext<'a> {
    pub keymap: &'a KeyMap,
    pub workflows: &'a Workflows,
    pub now: DateTime<Utc>,
    pub zone: Zone,
    pub status: Option<&'a Status>,
    pub connection: &'a ConnectionState,
    pub theme: &'a Theme,
    /// The server the board works through (`--server`), none on a database.
    pub server: Option<&'a str>,
}

impl Widget for &Frame<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            render_too_small(area, self.theme, buf);
            return;
        }
        let context = DrawContext {
            keymap: &app.keymap,
            workflows: &app.workflows,
            now: app.now,
            zone: app.zone,
            status: app.status.as_ref(),
            connection: &app.connection,
            theme: self.theme,
            server: app.server.as_deref(),
        };
        match &app.screen {
            Screen::Login(form) => form.draw(&context, area, buf),
            Screen::Board(board) => board.draw(&context, area, buf),
        }
    }
}

fn render_too_small(area: Rect, theme: &Theme, buf: &mut Buffer) {
    let text = vec![
        Line::from(Span::styled("terminal too small", theme.title)),
        Line::from(format!(
            "orderboard needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or press q to quit."),
    ];
    Paragraph::new(text)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true })
        .render(centered(area, area.width, 3.min(area.height)), buf);
}
