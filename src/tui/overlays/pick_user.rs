//! "View as" (`A`, admin): the users to see the board as, from the service; choosing one
//! returns it for the board to open read-only as that user. Keys are the menu's.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::Outcome;
use crate::domain::text::display_safe;
use crate::service::UserSummary;
use crate::tui::action::MenuAction;
use crate::tui::keymap::Bindings;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{hint_spans, pad, popup};

const WIDTH: u16 = 48;

/// The users, once loaded (`Err`: why they could not be).
#[derive(Default)]
pub struct UserPicker {
    pub users: Option<Result<Vec<UserSummary>, String>>,
    pub selected: usize,
    pub offset: usize,
}

impl UserPicker {
    /// The users who can be viewed as: enabled ones other than the admin themself.
    pub fn loaded(&mut self, admin: &str, result: Result<Vec<UserSummary>, String>) {
        self.users = Some(result.map(|users| {
            users
                .into_iter()
                .filter(|u| !u.disabled && u.name != admin)
                .collect()
        }));
        self.selected = 0;
        self.offset = 0;
    }

    fn count(&self) -> usize {
        match &self.users {
            Some(Ok(users)) => users.len(),
            _ => 0,
        }
    }

    pub fn on_key(
        &mut self,
        keys: &Bindings<MenuAction>,
        size: (u16, u16),
        key: KeyEvent,
    ) -> Outcome {
        match keys.action(&key) {
            Some(MenuAction::Close) => return Outcome::Close,
            Some(MenuAction::Up) => self.selected = self.selected.saturating_sub(1),
            Some(MenuAction::Down) => {
                self.selected = (self.selected + 1).min(self.count().saturating_sub(1));
            }
            Some(MenuAction::Choose) => {
                if let Some(Ok(users)) = &self.users
                    && let Some(user) = users.get(self.selected)
                {
                    return Outcome::ViewAs(user.name.clone());
                }
            }
            None => {}
        }
        let rows = list_rows(size.1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        Outcome::Stay
    }

    pub fn draw(&self, context: &DrawContext, area: Rect, buf: &mut Buffer) {
        let theme = context.theme;
        let rows = list_rows(area.height);
        let shown = self.count().clamp(1, rows) as u16;
        let inner = popup(
            area,
            WIDTH,
            shown + 4,
            " View the board as… ".into(),
            theme,
            buf,
        );
        let width = inner.width as usize;
        let mut lines: Vec<Line> = match &self.users {
            None => vec![Line::from(Span::styled("loading the users…", theme.muted))],
            Some(Err(error)) => vec![Line::from(Span::styled(
                display_safe(error).into_owned(),
                theme.status_error,
            ))],
            Some(Ok(users)) if users.is_empty() => {
                vec![Line::from(Span::styled(
                    "no other enabled users",
                    theme.muted,
                ))]
            }
            Some(Ok(users)) => users
                .iter()
                .enumerate()
                .skip(self.offset)
                .take(rows)
                .map(|(index, user)| {
                    let style = if index == self.selected {
                        theme.selected_card
                    } else {
                        theme.available_item
                    };
                    let text = format!(" {} ({})", display_safe(&user.name), user.role);
                    Line::from(Span::styled(pad(&text, width), style))
                })
                .collect(),
        };
        lines.push(Line::from(Span::styled(
            "read-only: nothing can be applied",
            theme.muted,
        )));
        let keys = &context.keymap.menu;
        let mut hints = keys.hints(&[MenuAction::Up, MenuAction::Down]);
        if let Some(choose) = keys.keys(MenuAction::Choose).first() {
            hints.push((choose.label(), "view as"));
        }
        hints.extend(keys.hints(&[MenuAction::Close]));
        lines.push(Line::from(hint_spans(&hints, " · ", theme)));
        Paragraph::new(lines).render(inner, buf);
    }
}

/// How many users the box lists on a screen `height` rows high.
fn list_rows(height: u16) -> usize {
    (height.saturating_sub(8) as usize).clamp(1, 20)
}
