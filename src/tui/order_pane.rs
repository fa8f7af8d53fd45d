//! The order pane: the selected order's details, ledger, effects and timeline.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::app::{Context, Status};
use super::msg::{Detail, Effect};
use super::theme::Theme;
use super::view::DrawContext;
use super::widgets::{age, pane_block};
use crate::domain::text::display_safe;
use crate::domain::{Actor, Money, Order, OrderId};
use crate::service::TimelineEntry;
use crate::store::{Attempt, HistoryEntry};

#[derive(Default)]
pub struct OrderPane {
    pub detail: Option<Detail>,
    pub scroll: u16,
}

impl OrderPane {
    /// Asks for an order's details unless they are loaded for its version; `None` clears.
    pub fn load_for(&mut self, actor: &Actor, order: Option<(OrderId, i64)>) -> Option<Effect> {
        self.scroll = 0;
        let Some((order_id, version)) = order else {
            self.detail = None;
            return None;
        };
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.view.order.id == order_id && d.view.order.version == version)
        {
            return None;
        }
        self.detail = None;
        Some(Effect::LoadDetail {
            actor: actor.clone(),
            order_id,
        })
    }

    /// A late answer for an order no longer selected is dropped.
    pub fn on_detail_loaded(
        &mut self,
        context: &mut Context,
        selected: Option<OrderId>,
        result: Result<Detail, String>,
    ) {
        match result {
            Ok(detail) if Some(detail.view.order.id) == selected => self.detail = Some(detail),
            Ok(_) => {}
            Err(error) => *context.status = Status::error(error),
        }
    }

    pub fn draw(
        &self,
        order: Option<&Order>,
        focused: bool,
        context: &DrawContext,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let theme = context.theme;
        let block = pane_block(" Order ", focused, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        let Some(order) = order else {
            Paragraph::new(Span::styled("no order selected", theme.muted)).render(inner, buf);
            return;
        };
        let mut lines = summary_lines(order, context);
        match &self.detail {
            None => lines.push(Line::from(Span::styled("loading history…", theme.muted))),
            Some(detail) => lines.extend(detail_lines(detail, order, theme)),
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((self.scroll, 0))
            .render(inner, buf);
    }
}

/// Title, state, parties, dates and counters: known from the card alone.
fn summary_lines(order: &Order, context: &DrawContext) -> Vec<Line<'static>> {
    let theme = context.theme;
    let state_label = context
        .workflows
        .get(&order.workflow)
        .map(|w| w.state_label(&order.state).to_string())
        .unwrap_or_else(|| order.state.clone());
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("#{} ", order.id), theme.title),
            Span::styled(display_safe(&order.title).into_owned(), theme.title),
        ]),
        Line::from(vec![
            Span::styled(format!("{state_label} "), theme.highlight),
            Span::styled(
                format!(" v{} · {} · ", order.version, order.workflow),
                theme.muted,
            ),
            Span::styled(money(order.amount_cents, &order.currency), theme.amount),
        ]),
        Line::from(Span::styled(
            format!(
                "customer {} · seller {}",
                display_safe(&order.customer),
                display_safe(&order.seller)
            ),
            theme.text,
        )),
    ];
    let due = order
        .due_at
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "none".into());
    lines.push(Line::from(Span::styled(
        format!(
            "placed {} · due {due} · in state {}",
            order.placed_at.format("%Y-%m-%d"),
            age(order.state_entered_at, context.now)
        ),
        theme.muted,
    )));
    let counters: Vec<String> = order
        .counters
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !counters.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("counters: {}", counters.join(", ")),
            theme.text,
        )));
    }
    lines
}

fn money(cents: i64, currency: &str) -> String {
    Money { cents, currency }.to_string()
}

/// Ledger, effects and the timeline: what the detail load brought.
fn detail_lines(detail: &Detail, order: &Order, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if !detail.view.ledger.is_empty() {
        let ledger: Vec<String> = detail
            .view
            .ledger
            .iter()
            .map(|row| format!("{} {}", row.kind, money(row.amount_cents, &order.currency)))
            .collect();
        lines.push(Line::from(Span::styled(
            format!("ledger: {}", ledger.join(", ")),
            theme.amount,
        )));
    }
    if !detail.view.effects.is_empty() {
        let effects: Vec<String> = detail
            .view
            .effects
            .iter()
            .map(|e| format!("{} ({})", e.payload, e.status))
            .collect();
        lines.push(Line::from(Span::styled(
            format!("effects: {}", effects.join(", ")),
            theme.muted,
        )));
    }
    lines.push(Line::from(Span::styled("History", theme.column_header)));
    if detail.timeline.is_empty() {
        lines.push(Line::from(Span::styled("no transitions yet", theme.muted)));
    }
    lines.extend(detail.timeline.iter().map(|entry| match entry {
        TimelineEntry::Transition(transition) => transition_line(transition, theme),
        TimelineEntry::Attempt(attempt) => attempt_line(attempt, theme),
    }));
    lines
}

fn transition_line(entry: &HistoryEntry, theme: &Theme) -> Line<'static> {
    let behalf = entry
        .on_behalf_of
        .as_ref()
        .map(|c| format!(" for {}", display_safe(c)))
        .unwrap_or_default();
    let note = entry
        .note
        .as_ref()
        .map(|n| format!(" “{}”", display_safe(n)))
        .unwrap_or_default();
    Line::from(vec![
        Span::styled(
            format!("{} ", entry.at.format("%m-%d %H:%M")),
            theme.feed_time,
        ),
        Span::styled(
            format!("{} ({}){behalf} ", display_safe(&entry.actor), entry.role),
            theme.text,
        ),
        Span::styled(
            format!("{} {}→{}", entry.event, entry.from, entry.to),
            theme.available_item,
        ),
        Span::styled(note, theme.muted),
    ])
}

fn attempt_line(attempt: &Attempt, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!("{} ", attempt.at.format("%m-%d %H:%M")),
            theme.feed_time,
        ),
        Span::styled(
            format!(
                "{} ({}) tried {} ",
                display_safe(&attempt.actor),
                attempt.role,
                display_safe(&attempt.event)
            ),
            theme.blocked_item,
        ),
        Span::styled(
            format!("refused: {}", display_safe(&attempt.reason)),
            theme.blocked_item,
        ),
    ])
}
