//! The transitions menu: what this user may do to the order now, and why the rest is blocked.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Choice, Outcome};
use crate::domain::OrderId;
use crate::domain::text::display_safe;
use crate::tui::action::{ActionSet, MenuAction};
use crate::tui::keymap::Bindings;
use crate::tui::theme::Theme;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{centered, hint_spans, pad, popup, wrap};
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
    /// Why the menu opened again (a lost race, a change by someone else): shown whole.
    pub notice: Option<String>,
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
            Some(MenuAction::Choose) => self.choose(),
            None => Outcome::Stay,
        }
    }

    /// The selected transition, chosen (by key or by a click).
    pub fn choose(&self) -> Outcome {
        match self.available.get(self.selected) {
            Some(transition) => Outcome::Chosen(Choice {
                order_id: self.order_id,
                version: self.version,
                transition: transition.clone(),
            }),
            None => Outcome::Stay,
        }
    }

    /// The notice's rows, wrapped to the menu's width.
    fn notice_rows(&self, width: u16, theme: &Theme) -> Vec<Line<'static>> {
        self.notice
            .as_ref()
            .map(|text| {
                wrap(
                    vec![Line::from(Span::styled(
                        display_safe(text).into_owned(),
                        theme.status_error,
                    ))],
                    width.saturating_sub(2) as usize,
                )
            })
            .unwrap_or_default()
    }

    /// Where the menu sits in `area` (the same for drawing and for the mouse).
    fn rect(&self, area: Rect) -> (Rect, usize) {
        let width = area.width.saturating_sub(4).min(MAX_WIDTH);
        let notice = self.notice_rows(width, &Theme::dark()).len();
        let rows = (self.available.len() + self.blocked.len() + notice + 5) as u16;
        (
            centered(area, width, rows.min(area.height.saturating_sub(2))),
            notice,
        )
    }

    /// The transition under a click, if the click is on one.
    pub fn item_at(&self, area: Rect, x: u16, y: u16) -> Option<usize> {
        let (rect, notice) = self.rect(area);
        let inside = x > rect.x && x + 1 < rect.x + rect.width;
        let row = y.checked_sub(rect.y + 1 + notice as u16)? as usize;
        (inside && row < self.available.len()).then_some(row)
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let (rect, _) = self.rect(area);
        let notice = self.notice_rows(rect.width, theme);
        let inner = popup(
            area,
            rect.width,
            rect.height,
            format!(" {} ", self.title),
            theme,
            buf,
        );
        let mut lines = notice;
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
