//! The confirmation before a transition that moves money or ends the order.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Choice, Outcome};
use crate::domain::text::display_safe;
use crate::tui::action::{ActionSet, ConfirmAction};
use crate::tui::keymap::Bindings;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{hint_spans, popup};

/// Widest the confirmation gets on a large terminal.
const MAX_WIDTH: u16 = 70;
const HEIGHT: u16 = 9;

pub struct Confirmation {
    pub choice: Choice,
    pub note: Option<String>,
    /// What the transition records, as the workflow writes it.
    pub effects: Vec<String>,
    pub busy: bool,
}

impl Confirmation {
    pub fn on_key(&mut self, keys: &Bindings<ConfirmAction>, key: KeyEvent) -> Outcome {
        if self.busy {
            return Outcome::Stay;
        }
        match keys.action(&key) {
            Some(ConfirmAction::Yes) => Outcome::Confirmed(self.choice.clone(), self.note.clone()),
            Some(ConfirmAction::No) => Outcome::Close,
            None => Outcome::Stay,
        }
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let width = (area.width - 4).min(MAX_WIDTH);
        let inner = popup(area, width, HEIGHT, " Confirm ".to_string(), theme, buf);
        let transition = &self.choice.transition;
        let mut lines = vec![
            Line::from(Span::styled(
                format!(
                    "{} order #{} → {}?",
                    transition.label, self.choice.order_id, transition.to
                ),
                theme.title,
            )),
            Line::from(Span::styled(
                if self.effects.is_empty() {
                    "This ends the order.".to_string()
                } else {
                    format!("Records: {}", self.effects.join(", "))
                },
                theme.text,
            )),
        ];
        if let Some(note) = &self.note {
            lines.push(Line::from(Span::styled(
                format!("Note: {}", display_safe(note)),
                theme.muted,
            )));
        }
        lines.push(Line::from(""));
        lines.push(if self.busy {
            Line::from(Span::styled("applying…", theme.muted))
        } else {
            let hints = context.keymap.confirm.hints(ConfirmAction::ALL);
            Line::from(hint_spans(&hints, " · ", theme))
        });
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}
