//! Help: every key of every mode, generated from the key maps, so it shows what the keys do.

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
use crate::tui::widgets::{hint_spans, popup};

/// Wide enough for the longest key list and description.
const WIDTH: u16 = 64;
/// Width of the keys column.
const KEYS_WIDTH: usize = 16;

pub fn on_key(keys: &Bindings<HelpAction>, key: KeyEvent) -> Outcome {
    match keys.action(&key) {
        Some(HelpAction::Close) => Outcome::Close,
        None => Outcome::Stay,
    }
}

pub fn draw(context: &DrawContext, area: Rect, buf: &mut Buffer) {
    let theme = context.theme;
    let lines = lines(context.keymap, theme);
    let inner = popup(
        area,
        WIDTH.min(area.width - 2),
        (lines.len() as u16 + 2).min(area.height - 2),
        " Keys ".to_string(),
        theme,
        buf,
    );
    Paragraph::new(lines).render(inner, buf);
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
    lines.push(mode_line("confirm", &keymap.confirm, theme));
    lines.push(mode_line("help", &keymap.help, theme));
    lines.push(Line::from(Span::styled(
        "mouse: click a card to select it, wheel to scroll",
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
