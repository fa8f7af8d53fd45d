//! The transitions menu: what this user may do to the order now, and why the rest is blocked.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Choice, Outcome};
use crate::domain::OrderId;
use crate::tui::action::{ActionSet, MenuAction};
use crate::tui::keymap::Bindings;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{hint_spans, pad, popup};
use crate::workflow::{AvailableTransition, BlockedTransition};

/// Widest the menu gets on a large terminal.
const MAX_WIDTH: u16 = 90;

pub struct Menu {
    pub order_id: OrderId,
    pub version: i64,
    pub title: String,
    pub available: Vec<AvailableTransition>,
    pub blocked: Vec<BlockedTransition>,
    /// Events that need another state, only counted.
    pub other_states: usize,
    pub selected: usize,
}

impl Menu {
    pub fn on_key(&mut self, keys: &Bindings<MenuAction>, key: KeyEvent) -> Outcome {
        match keys.action(&key) {
            Some(MenuAction::Close) => Outcome::Close,
            Some(MenuAction::Up) => {
                self.selected = self.selected.saturating_sub(1);
                Outcome::Stay
            }
            Some(MenuAction::Down) => {
                if self.selected + 1 < self.available.len() {
                    self.selected += 1;
                }
                Outcome::Stay
            }
            Some(MenuAction::Choose) => match self.available.get(self.selected) {
                Some(transition) => Outcome::Chosen(Choice {
                    order_id: self.order_id,
                    version: self.version,
                    transition: transition.clone(),
                }),
                None => Outcome::Stay,
            },
            None => Outcome::Stay,
        }
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let rows = (self.available.len() + self.blocked.len() + 5) as u16;
        let width = (area.width - 4).min(MAX_WIDTH);
        let inner = popup(
            area,
            width,
            rows.min(area.height - 2),
            format!(" {} ", self.title),
            theme,
            buf,
        );
        let mut lines = Vec::new();
        if self.available.is_empty() {
            lines.push(Line::from(Span::styled(
                "Nothing you may do to this order now.",
                theme.muted,
            )));
        }
        for (index, option) in self.available.iter().enumerate() {
            let style = if index == self.selected {
                theme.selected_card
            } else {
                theme.available_item
            };
            let mut text = format!(" {} → {}", option.label, option.to);
            if option.note_required {
                text.push_str("  (note)");
            }
            if option.needs_confirmation {
                text.push_str("  (confirm)");
            }
            lines.push(Line::from(Span::styled(
                pad(&text, inner.width as usize),
                style,
            )));
        }
        if !self.blocked.is_empty() {
            lines.push(Line::from(Span::styled("Not for you now:", theme.muted)));
        }
        for blocked in &self.blocked {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} ", blocked.label),
                    theme.blocked_item.add_modifier(Modifier::CROSSED_OUT),
                ),
                Span::styled(format!("— {}", blocked.reason), theme.blocked_item),
            ]));
        }
        if self.other_states > 0 {
            lines.push(Line::from(Span::styled(
                format!("  ({} more need another state)", self.other_states),
                theme.muted,
            )));
        }
        let hints = context.keymap.menu.hints(MenuAction::ALL);
        lines.push(Line::from(hint_spans(&hints, " · ", theme)));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}
