//! The JSON shapes of the contract (`cli.md`, "JSON shapes"), written once for `--json` and
//! the HTTP API, with the schemas the API's OpenAPI document is generated from. Times are
//! RFC 3339 in UTC, money integer cents.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::text::display_safe;
use crate::domain::{Actor, Order};
use crate::service::{OrderPage, OrderView, TimelineEntry};
use crate::store::{
    Applied, Attempt, EffectRecord, EffectStatus, FeedEvent, HistoryEntry, LedgerRow,
};
use crate::workflow::{TransitionMenu, Workflows};

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// An order, with the transitions the acting user may take now and the blocked ones.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderJson {
    pub id: i64,
    pub workflow: String,
    pub state: String,
    pub version: i64,
    pub customer: String,
    pub seller: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    #[schema(format = DateTime)]
    pub placed_at: String,
    #[schema(format = DateTime)]
    pub due_at: Option<String>,
    pub late: bool,
    #[schema(value_type = Object)]
    pub attrs: BTreeMap<String, serde_json::Value>,
    pub counters: BTreeMap<String, i64>,
    pub ledger: Vec<LedgerJson>,
    pub available: Vec<AvailableJson>,
    pub blocked: Vec<BlockedJson>,
}

/// One keyset page of orders (`GET /orders`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderPageJson {
    pub orders: Vec<OrderJson>,
    /// Pass as `after` for the next page; null after the last. With `late=true` a page may
    /// hold fewer orders than `limit` and still have a next one.
    pub next_after: Option<i64>,
}

impl From<&OrderPage> for OrderPageJson {
    fn from(page: &OrderPage) -> Self {
        OrderPageJson {
            orders: page
                .orders
                .iter()
                .map(|o| OrderJson::new(&o.order, o.late, &o.ledger, &o.menu))
                .collect(),
            next_after: page.next_after,
        }
    }
}

/// A money movement: `refund`, `payout` or `credit`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerJson {
    pub kind: String,
    pub amount_cents: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AvailableJson {
    pub event: String,
    pub to: String,
    pub note_required: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockedJson {
    pub event: String,
    pub reason: String,
}

impl OrderJson {
    pub fn new(order: &Order, late: bool, ledger: &[LedgerRow], menu: &TransitionMenu) -> Self {
        OrderJson {
            id: order.id,
            workflow: order.workflow.clone(),
            state: order.state.clone(),
            version: order.version,
            customer: order.customer.clone(),
            seller: order.seller.clone(),
            title: order.title.clone(),
            amount_cents: order.amount_cents,
            currency: order.currency.clone(),
            placed_at: rfc3339(order.placed_at),
            due_at: order.due_at.map(rfc3339),
            late,
            attrs: order.attrs.clone(),
            counters: order.counters.clone(),
            ledger: ledger
                .iter()
                .map(|row| LedgerJson {
                    kind: row.kind.clone(),
                    amount_cents: row.amount_cents,
                })
                .collect(),
            available: menu
                .available
                .iter()
                .map(|a| AvailableJson {
                    event: a.event.clone(),
                    to: a.to.clone(),
                    note_required: a.note_required,
                })
                .collect(),
            blocked: menu
                .blocked
                .iter()
                .map(|b| BlockedJson {
                    event: b.event.clone(),
                    reason: b.reason.to_string(),
                })
                .collect(),
        }
    }

    pub fn of_view(view: &OrderView) -> Self {
        OrderJson::new(&view.order, view.late, &view.ledger, &view.menu)
    }

    /// An order of a list (`order list --json`, the board's export): the transitions are the
    /// actor's at `at`, none when its workflow is gone or no longer has its state.
    pub fn listed(
        order: &Order,
        workflows: &Workflows,
        ledger: &[LedgerRow],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Self {
        let workflow = workflows.get(&order.workflow);
        let late = workflow.is_some_and(|w| w.is_late(order, at));
        let menu = workflow
            .filter(|w| w.state(&order.state).is_some())
            .map(|w| w.available_transitions(order, actor, at))
            .unwrap_or_default();
        OrderJson::new(order, late, ledger, &menu)
    }
}

/// The columns of `order list --format csv`.
pub const CSV_HEADER: &str =
    "id,workflow,state,version,customer,seller,title,amount,currency,placed_at,due_at,late";

/// One order as a CSV row (RFC 4180 quoting; amounts in units, times in RFC 3339).
pub fn order_csv(order: &Order, late: bool) -> String {
    order_json_csv(&OrderJson::new(
        order,
        late,
        &[],
        &TransitionMenu::default(),
    ))
}

/// The same row from the order's JSON shape (what the remote office receives).
pub fn order_json_csv(order: &OrderJson) -> String {
    csv_row(&[
        order.id.to_string(),
        order.workflow.clone(),
        order.state.clone(),
        order.version.to_string(),
        order.customer.clone(),
        order.seller.clone(),
        order.title.clone(),
        crate::domain::order::amount_text(order.amount_cents),
        order.currency.clone(),
        order.placed_at.clone(),
        order.due_at.clone().unwrap_or_default(),
        order.late.to_string(),
    ])
}

/// Fields as one CSV row.
pub fn csv_row(fields: &[String]) -> String {
    fields
        .iter()
        .map(|field| csv_field(field))
        .collect::<Vec<_>>()
        .join(",")
}

/// A CSV field: quoted when it holds a comma, a quote or a line break, and made inert when
/// a spreadsheet would take it for a formula (a title starting with "=" runs nothing).
fn csv_field(text: &str) -> String {
    let text = display_safe(text).replace(['\n', '\r'], " ");
    let inert = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text
    };
    if inert.contains([',', '"']) {
        format!("\"{}\"", inert.replace('"', "\"\""))
    } else {
        inert
    }
}

/// One committed transition, as `advance --json` prints it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AppliedJson {
    pub id: i64,
    pub event: String,
    pub from: String,
    pub to: String,
    pub version: i64,
    /// As written in the workflow: `refund(full)`, `notify(customer)`, …
    pub effects: Vec<String>,
}

impl From<&Applied> for AppliedJson {
    fn from(applied: &Applied) -> Self {
        AppliedJson {
            id: applied.id,
            event: applied.event.clone(),
            from: applied.from.clone(),
            to: applied.to.clone(),
            version: applied.version,
            effects: applied.effects.clone(),
        }
    }
}

/// One entry of an order's history.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryJson {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub role: String,
    pub on_behalf_of: Option<String>,
    pub event: String,
    pub from: String,
    pub to: String,
    pub note: Option<String>,
    pub effects: Vec<String>,
}

impl From<&HistoryEntry> for HistoryJson {
    fn from(entry: &HistoryEntry) -> Self {
        HistoryJson {
            id: entry.id,
            at: rfc3339(entry.at),
            actor: entry.actor.clone(),
            role: entry.role.clone(),
            on_behalf_of: entry.on_behalf_of.clone(),
            event: entry.event.clone(),
            from: entry.from.clone(),
            to: entry.to.clone(),
            note: entry.note.clone(),
            effects: entry.effects.clone(),
        }
    }
}

/// A refused attempt (support and admin): `attempt` is always true.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptJson {
    pub attempt: bool,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub role: String,
    pub event: String,
    /// `unknown_event`, `not_permitted`, `not_allowed_now` or `note_required`.
    pub refused: String,
    pub reason: String,
}

impl From<&Attempt> for AttemptJson {
    fn from(attempt: &Attempt) -> Self {
        AttemptJson {
            attempt: true,
            at: rfc3339(attempt.at),
            actor: attempt.actor.clone(),
            role: attempt.role.clone(),
            event: attempt.event.clone(),
            refused: attempt.kind.clone(),
            reason: attempt.reason.clone(),
        }
    }
}

/// A line of an order's timeline: a transition, or (with attempts) a refused attempt.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TimelineJson {
    Transition(HistoryJson),
    Attempt(AttemptJson),
    EffectAction(EffectActionJson),
}

/// A hand retry (`retry_requested`) or resolution (`resolved`) of an effect, with who and why.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EffectActionJson {
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub effect_id: i64,
    pub action: String,
    pub note: Option<String>,
}

/// An effect of the outbox (`effects list --json`, `GET /effects`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EffectJson {
    pub id: i64,
    pub order_id: i64,
    /// The order version its transition produced.
    pub version: i64,
    pub kind: String,
    /// As the workflow writes it: `refund(full)`, `notify(customer)`.
    pub effect: String,
    /// `pending`, `delivering`, `delivered`, `failed`, `unrouted` or `resolved`.
    pub status: String,
    pub idempotency_key: String,
    pub attempts: i64,
    /// When a pending effect is tried next.
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    pub sink: Option<String>,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
}

impl From<&EffectRecord> for EffectJson {
    fn from(effect: &EffectRecord) -> Self {
        EffectJson {
            id: effect.id,
            order_id: effect.order_id,
            version: effect.version,
            kind: effect.kind.clone(),
            effect: effect.payload.clone(),
            status: effect.status.clone(),
            idempotency_key: effect.idempotency_key.clone(),
            attempts: effect.attempts,
            next_attempt_at: (effect.status() == EffectStatus::Pending)
                .then(|| rfc3339(effect.next_attempt_at)),
            sink: effect.sink.clone(),
            last_error: effect.last_error.clone(),
            created_at: rfc3339(effect.created_at),
            finished_at: effect.finished_at.map(rfc3339),
        }
    }
}

impl From<&TimelineEntry> for TimelineJson {
    fn from(entry: &TimelineEntry) -> Self {
        match entry {
            TimelineEntry::Transition(t) => TimelineJson::Transition(t.into()),
            TimelineEntry::Attempt(a) => TimelineJson::Attempt(a.into()),
            TimelineEntry::EffectAction(action) => TimelineJson::EffectAction(EffectActionJson {
                at: rfc3339(action.at),
                actor: action.actor.clone(),
                effect_id: action.effect_id,
                action: action.outcome.clone(),
                note: action.note.clone(),
            }),
        }
    }
}

/// What the event stream says, as an SSE comment, while the server's database is away and
/// once it is back.
pub const DATABASE_LOST_COMMENT: &str = "the database is unreachable; waiting";
pub const DATABASE_BACK_COMMENT: &str = "online";

/// A line of the live feed: an order's creation (`kind` "created", `to` its first state) or
/// a transition. Its `id` is the feed's cursor (`after`, `Last-Event-ID`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedJson {
    pub id: i64,
    /// `created` or `transition`.
    pub kind: String,
    pub order_id: i64,
    pub workflow: String,
    pub title: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub role: String,
    pub event: String,
    pub from: String,
    pub to: String,
    pub version: i64,
    pub note: Option<String>,
    pub effects: Vec<String>,
    /// The customer a member of staff acted for, when they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl From<&FeedEvent> for FeedJson {
    fn from(event: &FeedEvent) -> Self {
        let entry = &event.entry;
        FeedJson {
            id: entry.id,
            kind: if event.created {
                "created"
            } else {
                "transition"
            }
            .to_string(),
            order_id: entry.order_id,
            workflow: event.workflow.clone(),
            title: event.title.clone(),
            at: rfc3339(entry.at),
            actor: entry.actor.clone(),
            role: entry.role.clone(),
            event: entry.event.clone(),
            from: entry.from.clone(),
            to: entry.to.clone(),
            version: entry.version,
            note: entry.note.clone(),
            effects: entry.effects.clone(),
            on_behalf_of: entry.on_behalf_of.clone(),
        }
    }
}

/// A value as JSON; these shapes always serialise, so a failure would be a bug shown as null.
pub fn to_value(shape: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(shape).unwrap_or_default()
}
