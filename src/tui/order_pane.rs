//! The order pane: the selected order in four tabs (details, timeline, ledger, effects),
//! scrolled within its content.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::{Context, Status};
use super::clock::Zone;
use super::msg::{Detail, Effect};
use super::theme::Theme;
use super::view::DrawContext;
use super::widgets::{Scroll, age, pane_block, position_label, wrap};
use crate::domain::text::display_safe;
use crate::domain::{Actor, Money, Order, OrderId};
use crate::service::TimelineEntry;
use crate::store::{Attempt, EffectRecord, EffectStatus, HistoryEntry};
use crate::workflow::Workflows;

#[derive(Default)]
pub struct OrderPane {
    pub detail: Option<Detail>,
    pub tab: OrderTab,
    pub scroll: Scroll,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderTab {
    #[default]
    Details,
    Timeline,
    Ledger,
    Effects,
}

impl OrderTab {
    pub const ALL: [OrderTab; 4] = [
        OrderTab::Details,
        OrderTab::Timeline,
        OrderTab::Ledger,
        OrderTab::Effects,
    ];

    pub fn label(self) -> &'static str {
        match self {
            OrderTab::Details => "details",
            OrderTab::Timeline => "timeline",
            OrderTab::Ledger => "ledger",
            OrderTab::Effects => "effects",
        }
    }

    /// The next tab (`step` 1) or the previous one (`step` -1), round.
    pub fn step(self, step: isize) -> OrderTab {
        let at = OrderTab::ALL.iter().position(|t| *t == self).unwrap_or(0) as isize;
        OrderTab::ALL[(at + step).rem_euclid(OrderTab::ALL.len() as isize) as usize]
    }
}

impl OrderPane {
    /// Asks for an order's details unless they are loaded for its version; `None` clears.
    pub fn load_for(&mut self, actor: &Actor, order: Option<(OrderId, i64)>) -> Option<Effect> {
        self.scroll = Scroll::default();
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

    /// Another tab: its content starts at the top.
    pub fn switch_tab(&mut self, step: isize) {
        self.tab = self.tab.step(step);
        self.scroll = Scroll::default();
    }

    /// The active tab's content, before wrapping: what both drawing and scrolling measure.
    pub fn content(
        &self,
        order: Option<&Order>,
        workflows: &Workflows,
        (now, zone): (DateTime<Utc>, Zone),
        theme: &Theme,
    ) -> Vec<Line<'static>> {
        let Some(order) = order else {
            return vec![Line::from(Span::styled("no order selected", theme.muted))];
        };
        let waiting = || vec![Line::from(Span::styled("loading…", theme.muted))];
        match (self.tab, &self.detail) {
            (OrderTab::Details, _) => summary_lines(order, workflows, (now, zone), theme),
            (_, None) => waiting(),
            (OrderTab::Timeline, Some(detail)) => timeline_lines(detail, zone, theme),
            (OrderTab::Ledger, Some(detail)) => ledger_lines(detail, order, zone, theme),
            (OrderTab::Effects, Some(detail)) => effect_lines(detail, (now, zone), theme),
        }
    }

    /// Rows of content and rows on screen, for a pane drawn in `area`.
    pub fn measure(
        &self,
        order: Option<&Order>,
        workflows: &Workflows,
        clock: (DateTime<Utc>, Zone),
        area: Rect,
    ) -> (usize, usize) {
        let inner = content_area(area);
        let rows = wrap(
            self.content(order, workflows, clock, &Theme::dark()),
            inner.width as usize,
        );
        (rows.len(), inner.height as usize)
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
        let inner = content_area(area);
        let rows = wrap(
            self.content(order, context.workflows, (context.now, context.zone), theme),
            inner.width as usize,
        );
        let height = inner.height as usize;
        let offset = self.scroll.clamped(rows.len(), height);
        let mut block = pane_block(" Order ", focused, theme);
        if let Some(position) = position_label(offset, height, rows.len()) {
            block =
                block.title_bottom(Line::from(Span::styled(position, theme.muted)).right_aligned());
        }
        block.render(area, buf);
        self.draw_tabs(theme, Rect::new(inner.x, inner.y - 1, inner.width, 1), buf);
        let shown: Vec<Line> = rows.into_iter().skip(offset).take(height).collect();
        Paragraph::new(shown).render(inner, buf);
    }

    /// "[details] timeline ledger effects": the active tab bracketed, readable without colour.
    fn draw_tabs(&self, theme: &Theme, area: Rect, buf: &mut Buffer) {
        let mut spans = Vec::new();
        for tab in OrderTab::ALL {
            if tab == self.tab {
                spans.push(Span::styled(format!("[{}]", tab.label()), theme.highlight));
            } else {
                spans.push(Span::styled(format!(" {} ", tab.label()), theme.muted));
            }
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// Inside the border, below the tab row.
fn content_area(area: Rect) -> Rect {
    Rect::new(
        area.x + 1,
        area.y + 2,
        area.width.saturating_sub(2),
        area.height.saturating_sub(3),
    )
}

/// Title, state, parties, dates and counters: known from the card alone.
fn summary_lines(
    order: &Order,
    workflows: &Workflows,
    (now, zone): (DateTime<Utc>, Zone),
    theme: &Theme,
) -> Vec<Line<'static>> {
    let state_label = workflows
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
        .map(|d| format!("{} {}", zone.stamp(d), zone.label()))
        .unwrap_or_else(|| "none".into());
    lines.push(Line::from(Span::styled(
        format!(
            "placed {} · due {due} · in state {}",
            zone.at(order.placed_at).format("%Y-%m-%d"),
            age(order.state_entered_at, now)
        ),
        theme.muted,
    )));
    if let Some(timer) = &order.timer {
        let label = workflows
            .get(&order.workflow)
            .and_then(|w| {
                w.transitions
                    .iter()
                    .find(|t| t.event == timer.event)
                    .map(|t| t.label.clone())
            })
            .unwrap_or_else(|| timer.event.clone());
        let overdue = timer.due_at < now;
        lines.push(Line::from(Span::styled(
            zone.countdown(&display_safe(&label).to_lowercase(), timer.due_at, now),
            if overdue {
                theme.late_badge
            } else {
                theme.key_hint
            },
        )));
    }
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

/// Transitions and (for support and admin) refused attempts, in the service's one order.
fn timeline_lines(detail: &Detail, zone: Zone, theme: &Theme) -> Vec<Line<'static>> {
    if detail.timeline.is_empty() {
        return vec![Line::from(Span::styled("no transitions yet", theme.muted))];
    }
    detail
        .timeline
        .iter()
        .map(|entry| match entry {
            TimelineEntry::Transition(transition) => transition_line(transition, zone, theme),
            TimelineEntry::Attempt(attempt) => attempt_line(attempt, zone, theme),
            TimelineEntry::EffectAction(action) => Line::from(vec![
                Span::styled(format!("{} ⚙ ", zone.stamp(action.at)), theme.feed_time),
                Span::styled(action.hand_action(), theme.muted),
            ]),
        })
        .collect()
}

/// Each movement with its share of the order, then what went back and what went out.
fn ledger_lines(detail: &Detail, order: &Order, zone: Zone, theme: &Theme) -> Vec<Line<'static>> {
    let rows = &detail.view.ledger;
    if rows.is_empty() {
        return vec![Line::from(Span::styled("no money has moved", theme.muted))];
    }
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|row| {
            Line::from(vec![
                Span::styled(format!("{:<7}", row.kind), theme.text),
                Span::styled(
                    format!("{:>16}", money(row.amount_cents, &order.currency)),
                    theme.amount,
                ),
                Span::styled(
                    format!(
                        "  {:>3} %  v{}  {}",
                        row.share_percent,
                        row.version,
                        zone.stamp(row.at)
                    ),
                    theme.muted,
                ),
            ])
        })
        .collect();
    let sum = |kinds: &[&str]| -> i64 {
        rows.iter()
            .filter(|r| kinds.contains(&r.kind.as_str()))
            .map(|r| r.amount_cents)
            .sum()
    };
    lines.push(Line::from(Span::styled(
        format!(
            "returned {} · paid out {} · of {}",
            money(sum(&["refund", "credit"]), &order.currency),
            money(sum(&["payout"]), &order.currency),
            money(order.amount_cents, &order.currency)
        ),
        theme.title,
    )));
    lines
}

/// Each effect with where it is on its way out: status, attempts, the sink, the next try and
/// the last error. Those that need a person (failed, unrouted) stand out, first.
fn effect_lines(
    detail: &Detail,
    (now, zone): (DateTime<Utc>, Zone),
    theme: &Theme,
) -> Vec<Line<'static>> {
    let effects = &detail.view.effects;
    if effects.is_empty() {
        return vec![Line::from(Span::styled("no effects", theme.muted))];
    }
    let trouble = effects
        .iter()
        .filter(|e| e.status().needs_attention())
        .count();
    let mut lines = Vec::new();
    if trouble > 0 {
        let (one, many) = if detail.view.settles_effects {
            ("1 effect needs a person", "effects need a person")
        } else {
            (
                "1 effect is waiting for support",
                "effects are waiting for support",
            )
        };
        let how = if detail.view.settles_effects {
            ": enter → retry or resolve"
        } else {
            ""
        };
        lines.push(Line::from(Span::styled(
            if trouble == 1 {
                format!("{one}{how}")
            } else {
                format!("{trouble} {many}{how}")
            },
            theme.late_badge,
        )));
    }
    let (troubled, others): (Vec<&EffectRecord>, Vec<&EffectRecord>) =
        effects.iter().partition(|e| e.status().needs_attention());
    for effect in troubled.into_iter().chain(others) {
        lines.extend(effect_entry(effect, (now, zone), theme));
    }
    lines
}

fn effect_entry(
    effect: &EffectRecord,
    (now, zone): (DateTime<Utc>, Zone),
    theme: &Theme,
) -> Vec<Line<'static>> {
    let status = effect.status();
    let status_style = match status {
        EffectStatus::Failed | EffectStatus::Unrouted => theme.late_badge,
        EffectStatus::Delivered | EffectStatus::Resolved => theme.muted,
        _ => theme.highlight,
    };
    let sink = effect
        .sink
        .as_deref()
        .map(|s| format!(" · {}", display_safe(s)))
        .unwrap_or_default();
    let plural = if effect.attempts == 1 { "" } else { "s" };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "#{} v{} {} ",
                effect.id,
                effect.version,
                display_safe(&effect.payload)
            ),
            theme.text,
        ),
        Span::styled(status.to_string(), status_style),
        Span::styled(
            format!(" · {} attempt{plural}{sink}", effect.attempts),
            theme.muted,
        ),
    ])];
    if status == EffectStatus::Pending && effect.attempts > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "  {}",
                zone.countdown("next try", effect.next_attempt_at, now)
            ),
            theme.muted,
        )));
    }
    if let Some(error) = &effect.last_error {
        lines.push(Line::from(Span::styled(
            format!("  last error: {}", display_safe(error)),
            if status.needs_attention() {
                theme.status_error
            } else {
                theme.muted
            },
        )));
    }
    lines
}

fn transition_line(entry: &HistoryEntry, zone: Zone, theme: &Theme) -> Line<'static> {
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
        Span::styled(format!("{} ", zone.stamp(entry.at)), theme.feed_time),
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

/// A refused attempt, marked with ✗ so it reads apart from transitions without colour.
fn attempt_line(attempt: &Attempt, zone: Zone, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{} ✗ ", zone.stamp(attempt.at)), theme.feed_time),
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
