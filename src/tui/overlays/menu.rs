//! The transitions menu: what this user may do to the order now, and why the rest is blocked.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{Choice, Outcome, Pick};
use crate::domain::OrderId;
use crate::domain::text::display_safe;
use crate::tui::action::{ActionSet, MenuAction};
use crate::tui::keymap::{Bindings, KeyMap};
use crate::tui::theme::Theme;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{centered, hint_spans, pad, popup, wrap};
use crate::workflow::{BlockedTransition, Workflows};

/// Widest the menu gets on a large terminal.
const MAX_WIDTH: u16 = 90;

pub struct Menu {
    /// The order's workflow, for its states' labels.
    pub workflow: String,
    pub order_id: OrderId,
    pub version: i64,
    pub title: String,
    /// What the user may pick: the transitions, then hand retries and resolutions.
    pub available: Vec<Pick>,
    pub blocked: Vec<BlockedTransition>,
    /// Events that need another state, only counted.
    pub other_states: usize,
    pub selected: usize,
    /// Why the menu opened again (a lost race, a change by someone else): shown whole.
    pub notice: Option<String>,
    /// Viewing as another user: their transitions show, greyed, and none applies.
    pub read_only: bool,
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
            Some(pick) => Outcome::Chosen(Choice {
                order_id: self.order_id,
                version: self.version,
                pick: pick.clone(),
            }),
            None => Outcome::Stay,
        }
    }

    /// Every row the menu shows inside its border, wrapped to `width`: the notice, the
    /// transitions (one row each), the blocked ones with their reasons, the keys. Drawing,
    /// sizing and the mouse all measure this one list.
    fn rows(
        &self,
        context: (&KeyMap, &Workflows),
        theme: &Theme,
        width: usize,
    ) -> (Vec<Line<'static>>, usize) {
        let (keymap, workflows) = context;
        let label = |state: &str| {
            workflows
                .get(&self.workflow)
                .map(|w| w.state_label(state).to_string())
                .unwrap_or_else(|| state.to_string())
        };
        let mut rows = match &self.notice {
            Some(text) => wrap(
                vec![Line::from(Span::styled(
                    display_safe(text).into_owned(),
                    theme.status_error,
                ))],
                width,
            ),
            None => Vec::new(),
        };
        if self.available.is_empty() {
            rows.push(Line::from(Span::styled(
                "Nothing you may do to this order now.",
                theme.muted,
            )));
        }
        if self.read_only {
            rows.push(Line::from(Span::styled(
                "read-only: what this user could do, nothing applies",
                theme.muted,
            )));
        }
        let first_item = rows.len();
        for (index, option) in self.available.iter().enumerate() {
            let style = match (self.read_only, index == self.selected) {
                (true, true) => theme.blocked_item.add_modifier(Modifier::REVERSED),
                (true, false) => theme.blocked_item,
                (false, true) => theme.selected_card,
                (false, false) => theme.available_item,
            };
            let mut text = match option {
                Pick::Transition(transition) => {
                    format!(" {} → {}", transition.label, label(&transition.to))
                }
                Pick::Effect(_) => format!(" {}", option.label()),
            };
            if option.note_required() {
                text.push_str("  (note)");
            }
            if option.needs_confirmation() {
                text.push_str("  (confirm)");
            }
            rows.push(Line::from(Span::styled(pad(&text, width), style)));
        }
        let mut rest = Vec::new();
        if !self.blocked.is_empty() {
            rest.push(Line::from(Span::styled("Not for you now:", theme.muted)));
        }
        for blocked in &self.blocked {
            rest.push(Line::from(vec![
                Span::styled(
                    format!("  {} ", blocked.label),
                    theme.blocked_item.add_modifier(Modifier::CROSSED_OUT),
                ),
                Span::styled(format!("— {}", blocked.reason), theme.blocked_item),
            ]));
        }
        if self.other_states > 0 {
            rest.push(Line::from(Span::styled(
                format!("  ({} more need another state)", self.other_states),
                theme.muted,
            )));
        }
        // Read-only, nothing is applied: the key that would apply is not offered.
        let offered: Vec<MenuAction> = MenuAction::ALL
            .iter()
            .copied()
            .filter(|a| !(self.read_only && *a == MenuAction::Choose))
            .collect();
        let hints = keymap.menu.hints(&offered);
        rest.push(Line::from(hint_spans(&hints, " · ", theme)));
        rows.extend(wrap(rest, width));
        (rows, first_item)
    }

    /// Where the menu sits in `area`, and its rows (the same for drawing and the mouse).
    fn layout(
        &self,
        context: (&KeyMap, &Workflows),
        theme: &Theme,
        area: Rect,
    ) -> (Rect, Vec<Line<'static>>, usize) {
        let width = area.width.saturating_sub(4).min(MAX_WIDTH);
        let (rows, first_item) = self.rows(context, theme, width.saturating_sub(2) as usize);
        let height = (rows.len() as u16 + 2).min(area.height.saturating_sub(2));
        (centered(area, width, height), rows, first_item)
    }

    /// The transition under a click, if the click is on one.
    pub fn item_at(
        &self,
        context: (&KeyMap, &Workflows),
        area: Rect,
        (x, y): (u16, u16),
    ) -> Option<usize> {
        let (rect, _, first_item) = self.layout(context, &Theme::dark(), area);
        let inside = x > rect.x && x + 1 < rect.x + rect.width;
        let row = y.checked_sub(rect.y + 1 + first_item as u16)? as usize;
        (inside && row < self.available.len()).then_some(row)
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let (rect, mut rows, _) = self.layout((context.keymap, context.workflows), theme, area);
        let inner = popup(
            area,
            rect.width,
            rect.height,
            format!(" {} ", self.title),
            theme,
            buf,
        );
        // Too many rows for the screen: the key hints stay, the middle gives way.
        if rows.len() > inner.height as usize && inner.height > 0 {
            let hints = rows.pop();
            rows.truncate(inner.height as usize - 1);
            rows.extend(hints);
        }
        Paragraph::new(rows).render(inner, buf);
    }
}
