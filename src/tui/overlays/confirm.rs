//! The confirmation before a transition that moves money or ends the order.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Choice, Outcome};
use crate::domain::ledger::{LedgerKind, WHOLE_PERCENT};
use crate::domain::text::display_safe;
use crate::domain::{Money, Order};
use crate::tui::action::{ActionSet, ConfirmAction};
use crate::tui::keymap::Bindings;
use crate::tui::view::DrawContext;
use crate::tui::widgets::{hint_spans, popup};
use crate::workflow::Effect;

/// Widest the confirmation gets on a large terminal.
const MAX_WIDTH: u16 = 70;
/// Borders, the question, a blank line, the note and the keys: consequences come on top.
const MIN_HEIGHT: u16 = 6;

pub struct Confirmation {
    pub choice: Choice,
    /// The state it moves to, by its label.
    pub to_label: String,
    pub note: Option<String>,
    /// What the transition records, as the workflow writes it.
    pub effects: Vec<String>,
    /// What happens, in words and numbers: "Refund 198.39 EUR to dave (full)".
    pub consequences: Vec<String>,
    pub busy: bool,
}

/// What a transition's effects do to this order, in words and numbers, and whether it ends
/// the order, for the confirmation to name before anything moves.
pub fn consequences(effects: &[Effect], order: &Order, ends_order: Option<&str>) -> Vec<String> {
    let customer = display_safe(&order.customer);
    let seller = display_safe(&order.seller);
    let mut lines = Vec::new();
    let mut others = Vec::new();
    for effect in effects {
        let entry = match effect.ledger_entry(order.amount_cents) {
            Ok(Some(entry)) => entry,
            Ok(None) => {
                others.push(effect.to_string());
                continue;
            }
            Err(refusal) => {
                lines.push(format!("{effect}: {refusal}"));
                continue;
            }
        };
        let money = Money {
            cents: entry.amount_cents,
            currency: &order.currency,
        };
        lines.push(match entry.kind {
            LedgerKind::Refund if entry.share_percent == WHOLE_PERCENT => {
                format!("Refund {money} to {customer} (full)")
            }
            LedgerKind::Refund => {
                format!("Refund {money} to {customer} ({}%)", entry.share_percent)
            }
            LedgerKind::Payout => format!("Pay out {money} to {seller}"),
            LedgerKind::Credit => format!("Credit {money} to {customer} as store credit"),
        });
    }
    if let Some(state) = ends_order {
        lines.push(format!(
            "This ends the order: it moves to {} for good.",
            display_safe(state)
        ));
    }
    if !others.is_empty() {
        lines.push(format!("Also: {}", others.join(", ")));
    }
    lines
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
        let height = MIN_HEIGHT + self.consequences.len() as u16;
        let inner = popup(area, width, height, " Confirm ".to_string(), theme, buf);
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "{} (#{} → {})?",
                self.choice.pick.label(),
                self.choice.order_id,
                self.to_label
            ),
            theme.title,
        ))];
        lines.extend(
            self.consequences
                .iter()
                .map(|line| Line::from(Span::styled(line.clone(), theme.amount))),
        );
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
