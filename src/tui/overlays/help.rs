//! Help: every key of every mode, generated from the key maps, so it shows what the keys do.
//! It scrolls within its content, so it is complete at any size.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::Outcome;
use crate::tui::action::{Action, ActionSet, HelpAction};
use crate::tui::keymap::{Bindings, KeyMap};
use crate::tui::theme::Theme;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{Scroll, ScrollMove, centered, hint_spans, popup, position_label};

/// Wide enough for the longest key list and description.
const WIDTH: u16 = 76;
/// Width of the keys column.
const KEYS_WIDTH: usize = 16;

pub fn on_key(scroll: &mut Scroll, keymap: &KeyMap, size: (u16, u16), key: KeyEvent) -> Outcome {
    let step = match keymap.help.action(&key) {
        Some(HelpAction::Close) => return Outcome::Close,
        Some(HelpAction::Up) => ScrollMove::Up,
        Some(HelpAction::Down) => ScrollMove::Down,
        Some(HelpAction::PageUp) => ScrollMove::PageUp,
        Some(HelpAction::PageDown) => ScrollMove::PageDown,
        Some(HelpAction::Top) => ScrollMove::Top,
        Some(HelpAction::Bottom) => ScrollMove::Bottom,
        None => return Outcome::Stay,
    };
    let total = lines(keymap, &Theme::dark()).len();
    let area = Rect::new(0, 0, size.0, size.1);
    scroll.apply(step, total, body(area, total).height as usize);
    Outcome::Stay
}

/// The help box's inside for `total` lines of help in `area`.
fn body(area: Rect, total: usize) -> Rect {
    let rect = centered(
        area,
        WIDTH.min(area.width.saturating_sub(2)),
        (total as u16 + 2).min(area.height.saturating_sub(2)),
    );
    Rect::new(
        rect.x + 1,
        rect.y + 1,
        rect.width.saturating_sub(2),
        rect.height.saturating_sub(2),
    )
}

pub fn draw(scroll: &Scroll, context: &DrawContext, area: Rect, buf: &mut Buffer) {
    let theme = context.theme;
    let lines = lines(context.keymap, theme);
    let total = lines.len();
    let inner = body(area, total);
    let height = inner.height as usize;
    let offset = scroll.clamped(total, height);
    let title = match position_label(offset, height, total) {
        Some(position) => format!(" Keys ·{position}"),
        None => " Keys ".to_string(),
    };
    popup(area, inner.width + 2, inner.height + 2, title, theme, buf);
    let shown: Vec<Line> = lines.into_iter().skip(offset).take(height).collect();
    Paragraph::new(shown).render(inner, buf);
}

fn lines(keymap: &KeyMap, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = Action::ALL
        .iter()
        .map(|action| {
            Line::from(vec![
                Span::styled(
                    format!("{:<KEYS_WIDTH$}", keymap.board.keys_for(*action)),
                    theme.key_hint,
                ),
                Span::styled(action.description(), theme.text),
            ])
        })
        .collect();
    lines.push(mode_line("menu", &keymap.menu, theme));
    lines.push(mode_line("note, filter", &keymap.input, theme));
    lines.push(mode_line("palette", &keymap.palette, theme));
    lines.push(mode_line("confirm", &keymap.confirm, theme));
    lines.push(mode_line("help", &keymap.help, theme));
    lines.push(mode_line("state graph", &keymap.graph, theme));
    lines.push(mode_line("history", &keymap.explorer, theme));
    lines.push(Line::from(Span::styled(
        "order pane: ←/→ switch tabs · feed: enter opens the order",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "filter: #1234 + enter goes to that order, in any workflow",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "mouse: click a card or pane, wheel scrolls what is under it",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "palette: a number goes to that order; saved views come from [[views]]",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        "keys are set under [keys] in config.toml",
        theme.muted,
    )));
    lines
}

/// One overlay's keys on one line: "menu: ↑ up · ↓ down · enter apply · esc close".
fn mode_line<A: ActionSet + std::fmt::Debug>(
    name: &str,
    bindings: &Bindings<A>,
    theme: &Theme,
) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("{:<KEYS_WIDTH$}", format!("{name}:")),
        theme.muted,
    )];
    spans.extend(hint_spans(&bindings.hints(A::ALL), " · ", theme));
    Line::from(spans)
}
