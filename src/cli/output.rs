//! What commands print: the JSON shapes of the command-line contract, and plain text for people.
//! Text from the database or a workflow file is made display-safe before it reaches a
//! terminal; JSON keeps it exact (its escaping is already safe).

use serde_json::Value;

use crate::domain::text::display_safe;
use crate::service::{BulkLine, BulkOutcome, OrderView};
use crate::shapes::{
    AppliedJson, AttemptJson, EffectJson, HistoryJson, OrderJson, TimelineJson, to_value,
};
use crate::store::{Applied, ExplorerEntry, hand_action};

/// One JSON value on stdout, pretty-printed (`--json`).
pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

use crate::shapes::csv_row;
pub use crate::shapes::{CSV_HEADER, order_json_csv, rfc3339};

pub fn order_view_json(view: &OrderView) -> Value {
    to_value(&OrderJson::of_view(view))
}

pub fn applied_json(applied: &Applied) -> Value {
    to_value(&AppliedJson::from(applied))
}

/// One line of an order's timeline, from its JSON shape (the same from the database and
/// from a server).
pub fn timeline_line(entry: &TimelineJson) -> String {
    match entry {
        TimelineJson::Transition(transition) => history_line(transition),
        TimelineJson::Attempt(attempt) => attempt_line(attempt),
        TimelineJson::EffectAction(action) => format!(
            "{}  {}",
            display_safe(&action.at),
            hand_action(
                &action.actor,
                action.effect_id,
                &action.action,
                action.note.as_deref()
            )
        ),
    }
}

/// The columns of `history --all --format csv`.
pub const EXPLORER_CSV_HEADER: &str = "at,order_id,workflow,actor,role,event,from,to,note,refused";

/// One explorer entry: a transition, or a refused attempt marked ✗ with its reason.
pub fn explorer_line(entry: &ExplorerEntry) -> String {
    let at = rfc3339(entry.at);
    let who = format!("{} ({})", entry.actor, entry.role);
    match &entry.refused {
        Some(reason) => format!(
            "{at} #{} [{}] ✗ {who} tried {}: {reason}",
            entry.order_id, entry.workflow, entry.event
        ),
        None => format!(
            "{at} #{} [{}] {who} {} {} → {}{}",
            entry.order_id,
            entry.workflow,
            entry.event,
            entry.from_state,
            entry.to_state,
            entry
                .note
                .as_ref()
                .map(|n| format!(" “{n}”"))
                .unwrap_or_default()
        ),
    }
}

pub fn explorer_csv(entry: &ExplorerEntry) -> String {
    csv_row(&[
        rfc3339(entry.at),
        entry.order_id.to_string(),
        entry.workflow.clone(),
        entry.actor.clone(),
        entry.role.clone(),
        entry.event.clone(),
        entry.from_state.clone(),
        entry.to_state.clone(),
        entry.note.clone().unwrap_or_default(),
        entry.refused.clone().unwrap_or_default(),
    ])
}

/// "#12 applied: paid → inprogress", "#13 blocked: …", "#14 would move to inprogress".
pub fn bulk_line(line: &BulkLine) -> String {
    let id = line.id;
    match &line.outcome {
        BulkOutcome::WouldApply { to, .. } => format!("#{id} would move to {to}"),
        BulkOutcome::Applied { from, to, version } => {
            format!("#{id} applied: {from} → {to} (version {version})")
        }
        BulkOutcome::NeedsNote => format!("#{id} needs a note (--note)"),
        BulkOutcome::Blocked { reason } => format!("#{id} blocked: {reason}"),
        BulkOutcome::NotFound { reason } => format!("#{id}: {reason}"),
    }
}

/// An amount with its currency; the currency made display-safe (through a server it has not
/// been checked by this machine).
pub fn money(cents: i64, currency: &str) -> String {
    let currency = display_safe(currency);
    crate::domain::Money {
        cents,
        currency: &currency,
    }
    .to_string()
}

pub fn order_line(order: &OrderJson) -> String {
    format!(
        "#{:<6} {:<12} {:<22} {:>12}  {} → {}  {}{}",
        order.id,
        display_safe(&order.workflow),
        display_safe(&order.state),
        money(order.amount_cents, &order.currency),
        display_safe(&order.customer),
        display_safe(&order.seller),
        display_safe(&order.title),
        if order.late { "  [LATE]" } else { "" }
    )
}

/// `order show`: the order, its money, and what the acting user may do with it now.
pub fn order_text(order: &OrderJson) -> String {
    let mut lines = vec![
        format!("Order #{} \"{}\"", order.id, display_safe(&order.title)),
        format!(
            "  workflow  {}   state {}   version {}",
            display_safe(&order.workflow),
            display_safe(&order.state),
            order.version
        ),
        format!(
            "  customer  {}   seller {}",
            display_safe(&order.customer),
            display_safe(&order.seller)
        ),
        format!("  amount    {}", money(order.amount_cents, &order.currency)),
        format!("  placed    {}", display_safe(&order.placed_at)),
    ];
    if let Some(due) = &order.due_at {
        lines.push(format!(
            "  due       {}{}",
            display_safe(due),
            if order.late { "  LATE" } else { "" }
        ));
    }
    for (name, value) in &order.counters {
        lines.push(format!("  counter   {} = {value}", display_safe(name)));
    }
    for (name, value) in &order.attrs {
        lines.push(format!(
            "  attribute {} = {}",
            display_safe(name),
            display_safe(&value.to_string())
        ));
    }
    for row in &order.ledger {
        lines.push(format!(
            "  ledger    {} {}",
            display_safe(&row.kind),
            money(row.amount_cents, &order.currency)
        ));
    }
    lines.push("Available:".into());
    if order.available.is_empty() {
        lines.push("  (none for you now)".into());
    }
    for option in &order.available {
        lines.push(format!(
            "  {:<28} → {}{}",
            display_safe(&option.event),
            display_safe(&option.to),
            if option.note_required {
                "  (note required)"
            } else {
                ""
            }
        ));
    }
    lines.push("Blocked:".into());
    for blocked in &order.blocked {
        lines.push(format!(
            "  {:<28} {}",
            display_safe(&blocked.event),
            display_safe(&blocked.reason)
        ));
    }
    lines.join("\n")
}

/// `advance`: what moved, from where to where, and the effects it recorded.
pub fn applied_line(applied: &AppliedJson) -> String {
    let effects = if applied.effects.is_empty() {
        String::new()
    } else {
        format!("  effects: {}", applied.effects.join(", "))
    };
    let line = format!(
        "order {}: {} → {} (version {}){effects}",
        applied.id, applied.from, applied.to, applied.version
    );
    display_safe(&line).into_owned()
}

pub fn history_line(entry: &HistoryJson) -> String {
    let behalf = entry
        .on_behalf_of
        .as_ref()
        .map(|c| format!(" for {}", display_safe(c)))
        .unwrap_or_default();
    let note = entry
        .note
        .as_ref()
        .map(|n| format!("  \"{}\"", display_safe(n)))
        .unwrap_or_default();
    format!(
        "{}  {} ({}){}  {}  {} → {}{}",
        display_safe(&entry.at),
        display_safe(&entry.actor),
        display_safe(&entry.role),
        behalf,
        display_safe(&entry.event),
        display_safe(&entry.from),
        display_safe(&entry.to),
        note
    )
}

pub fn attempt_line(attempt: &AttemptJson) -> String {
    format!(
        "{}  {} ({})  {}  REFUSED: {}",
        display_safe(&attempt.at),
        display_safe(&attempt.actor),
        display_safe(&attempt.role),
        display_safe(&attempt.event),
        display_safe(&attempt.reason)
    )
}

/// One effect as a line: id, order, effect, status, attempts, and what went wrong last.
pub fn effect_line(effect: &EffectJson) -> String {
    let mut line = format!(
        "effect {:<6} order #{:<6} {:<20} {:<10} attempts {}",
        effect.id,
        effect.order_id,
        display_safe(&effect.effect),
        display_safe(&effect.status),
        effect.attempts
    );
    if let Some(sink) = &effect.sink {
        line.push_str(&format!("  sink {}", display_safe(sink)));
    }
    if let Some(next) = effect
        .next_attempt_at
        .as_ref()
        .filter(|_| effect.attempts > 0)
    {
        line.push_str(&format!("  next try {}", display_safe(next)));
    }
    if let Some(error) = &effect.last_error {
        line.push_str(&format!("  last error: {}", display_safe(error)));
    }
    line
}
