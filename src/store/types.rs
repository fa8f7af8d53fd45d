//! What the store reads and writes, as plain values.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Actor, OrderId, Role};
use crate::workflow::Refusal;

#[derive(Clone, Debug)]
pub struct NewOrder {
    pub workflow: String,
    pub state: String,
    pub customer: String,
    pub seller: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub attrs: BTreeMap<String, serde_json::Value>,
    pub timer: Option<(String, DateTime<Utc>)>,
    pub now: DateTime<Utc>,
    /// Who creates it: the creation's line in the live feed names them.
    pub created_by: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    /// Failed sign-ins in the current window since the last success.
    pub failed_sign_ins: i64,
    /// When the lock set by too many failures ends (it may already have ended).
    pub locked_until: Option<DateTime<Utc>>,
}

/// A live token and its user's standing now, read together at each request.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenUse {
    #[sqlx(flatten)]
    pub token: TokenRecord,
    pub role: String,
    pub disabled: bool,
}

/// An API token as an admin lists it: never its secret nor its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TokenRecord {
    pub name: String,
    #[sqlx(rename = "user_name")]
    #[serde(rename = "user")]
    pub user: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A live (not ended) session and its user's standing now, read together at each request.
/// Never its secret nor its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: i64,
    #[sqlx(rename = "user_name")]
    #[serde(rename = "user")]
    pub user: String,
    /// The client address it was opened from, when known.
    pub source: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// The absolute end: no use after this, however active.
    pub expires_at: DateTime<Utc>,
    pub role: String,
    pub disabled: bool,
}

/// What an idempotency key holds: nothing yet (`status` None) while its first request runs.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredResponse {
    pub status: Option<i64>,
    pub body: Option<String>,
    pub location: Option<String>,
}

/// A change an admin makes to a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserChange {
    Disable,
    Enable,
    SetRole(Role),
}

/// What `Store::change_user` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserChangeOutcome {
    Changed,
    NoSuchUser,
    /// Refused: the user is the last enabled admin and the change would leave none.
    LastEnabledAdmin,
}

/// How many failed sign-ins within `window` lock a subject, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInLimit {
    pub threshold: i64,
    pub window: chrono::Duration,
    pub lock: chrono::Duration,
}

/// The limits for one sign-in attempt: per user name and per source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    pub user: SignInLimit,
    pub source: SignInLimit,
    /// How long one attempt may hold a user name's lease (see `record_sign_in_attempt`).
    pub lease: chrono::Duration,
    /// Counters with no failure for this long (and no lock) are deleted.
    pub retention: chrono::Duration,
}

/// Attempts counted in the current windows, this one included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInCounts {
    pub user: i64,
    pub source: Option<i64>,
}

/// One committed transition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub order_id: OrderId,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub on_behalf_of: Option<String>,
    pub event: String,
    pub from: String,
    pub to: String,
    pub note: Option<String>,
    pub version: i64,
    pub effects: Vec<String>,
}

/// A refused attempt, kept for support and admin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, serde::Deserialize)]
pub struct Attempt {
    pub id: i64,
    pub order_id: OrderId,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub event: String,
    pub kind: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, serde::Deserialize)]
pub struct LedgerRow {
    pub kind: String,
    pub amount_cents: i64,
    pub share_percent: i64,
    pub version: i64,
    pub at: DateTime<Utc>,
}

impl LedgerRow {
    /// The row as a movement the ledger rules understand (`None` for an unknown kind, which
    /// the schema's CHECK keeps out).
    pub fn movement(&self) -> Option<crate::domain::ledger::Movement> {
        Some(crate::domain::ledger::Movement {
            kind: crate::domain::ledger::LedgerKind::parse(&self.kind)?,
            amount_cents: self.amount_cents,
            share_percent: u8::try_from(self.share_percent).ok()?,
        })
    }
}

/// Where an effect is on its way out (http.md, "The runner").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectStatus {
    /// Waiting for a runner (now, or at its next try after a failed attempt).
    Pending,
    /// A runner holds it under a lease and is delivering it.
    Delivering,
    Delivered,
    /// Gave up after the sink's attempts, or refused by the sink: support decides.
    Failed,
    /// No configured sink takes its kind.
    Unrouted,
    /// Closed by support or an admin by hand, with a note.
    Resolved,
}

impl EffectStatus {
    pub const ALL: [EffectStatus; 6] = [
        EffectStatus::Pending,
        EffectStatus::Delivering,
        EffectStatus::Delivered,
        EffectStatus::Failed,
        EffectStatus::Unrouted,
        EffectStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EffectStatus::Pending => "pending",
            EffectStatus::Delivering => "delivering",
            EffectStatus::Delivered => "delivered",
            EffectStatus::Failed => "failed",
            EffectStatus::Unrouted => "unrouted",
            EffectStatus::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<EffectStatus> {
        EffectStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Needs a person: support retries or resolves it.
    pub fn needs_attention(self) -> bool {
        matches!(self, EffectStatus::Failed | EffectStatus::Unrouted)
    }
}

impl std::fmt::Display for EffectStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One effect of the outbox as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, serde::Deserialize)]
pub struct EffectRecord {
    pub id: i64,
    pub order_id: OrderId,
    /// The order version its transition produced (with the order, names the transition).
    pub version: i64,
    pub kind: String,
    /// The effect as the workflow file writes it: `refund(full)`, `notify(customer)`.
    pub payload: String,
    pub status: String,
    pub idempotency_key: String,
    /// Delivery attempts so far (since the last hand retry).
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub sink: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl EffectRecord {
    /// The status, `Failed` for a value the schema's check keeps out anyway.
    pub fn status(&self) -> EffectStatus {
        EffectStatus::parse(&self.status).unwrap_or(EffectStatus::Failed)
    }
}

/// An effect a runner claimed: deliver it, then report with `lease` (which names this claim
/// alone, so a runner whose lease ran out cannot overwrite the next claim's result).
#[derive(Clone, Debug)]
pub struct ClaimedEffect {
    pub effect: EffectRecord,
    pub lease: String,
    pub lease_until: DateTime<Utc>,
}

/// What one delivery attempt came to, as the runner reports it.
#[derive(Clone, Debug)]
pub struct AttemptReport {
    /// The effect's status afterwards: pending (retry later), delivered, failed or unrouted.
    pub status: EffectStatus,
    /// When a pending effect is tried next.
    pub next_attempt_at: DateTime<Utc>,
    pub sink: Option<String>,
    /// `delivered`, `retry`, `failed` or `unrouted` (the attempts table's outcome).
    pub outcome: &'static str,
    pub http_status: Option<i64>,
    /// The error, or for a delivered effect what the sink's answer did (the event applied,
    /// or why it was refused).
    pub detail: Option<String>,
    pub duration_ms: Option<i64>,
    pub at: DateTime<Utc>,
}

/// One row of an effect's record: a delivery attempt, or a hand retry or resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, serde::Deserialize)]
pub struct EffectAttempt {
    pub id: i64,
    pub effect_id: i64,
    pub order_id: OrderId,
    pub attempt: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub outcome: String,
    pub http_status: Option<i64>,
    pub detail: Option<String>,
    pub duration_ms: Option<i64>,
    pub note: Option<String>,
}

impl EffectAttempt {
    /// A hand action in words, display-safe: `sue: effect 12 resolved "paid by transfer"`.
    pub fn hand_action(&self) -> String {
        hand_action(
            &self.actor,
            self.effect_id,
            &self.outcome,
            self.note.as_deref(),
        )
    }
}

/// A hand retry or resolution as a line: who, which effect, what, and why.
pub fn hand_action(actor: &str, effect_id: i64, outcome: &str, note: Option<&str>) -> String {
    use crate::domain::text::display_safe;
    let what = if outcome == "resolved" {
        "resolved"
    } else {
        "sent for retry"
    };
    let note = note
        .map(|n| format!("  \"{}\"", display_safe(n)))
        .unwrap_or_default();
    format!("{}: effect {effect_id} {what}{note}", display_safe(actor))
}

/// Which effects a list asks for (support and admin, who see every order).
#[derive(Clone, Debug, Default)]
pub struct EffectQuery {
    pub status: Option<EffectStatus>,
    pub order_id: Option<OrderId>,
    /// Keyset paging: effects after this id.
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Which orders a list asks for. Visibility is not optional: it comes from the actor.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub workflow: Option<String>,
    pub state: Option<String>,
    /// Only orders with a due date before this instant (the late filter narrows by state after).
    pub due_before: Option<DateTime<Utc>>,
    /// Matches id, title, customer or seller.
    pub text: Option<String>,
    /// Only orders this user has acted on (the staff's "mine").
    pub acted_by: Option<String>,
    /// Only orders with an effect that failed or found no sink (support's queue).
    pub needs_attention: bool,
    /// Keyset paging: orders after this id (and, for a sorted column, after this key).
    pub after_id: Option<OrderId>,
    pub after_key: Option<crate::domain::SortKey>,
    /// How a board column is ordered (lists are always by id).
    pub sort: crate::domain::OrderSort,
    pub limit: i64,
}

/// The history explorer's filters: every one optional; times as a half-open range.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplorerFilter {
    pub actor: Option<String>,
    pub role: Option<String>,
    pub event: Option<String>,
    /// A transition from or to this state (refused attempts have none, so they drop out).
    pub state: Option<String>,
    pub workflow: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Where a page of the explorer ended, newest first: the last entry's time, kind and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplorerCursor {
    pub at: DateTime<Utc>,
    /// 0 a transition, 1 a refused attempt (attempts sort first among equal times).
    pub source: i64,
    pub id: i64,
}

/// One line of the history explorer: a transition, or a refused attempt (`refused`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, serde::Deserialize)]
pub struct ExplorerEntry {
    pub at: DateTime<Utc>,
    #[serde(skip)]
    pub source: i64,
    pub id: i64,
    pub order_id: OrderId,
    pub workflow: String,
    pub actor: String,
    pub role: String,
    pub event: String,
    pub from_state: String,
    pub to_state: String,
    pub note: Option<String>,
    /// Why it was refused, for an attempt.
    pub refused: Option<String>,
}

impl ExplorerEntry {
    pub fn cursor(&self) -> ExplorerCursor {
        ExplorerCursor {
            at: self.at,
            source: self.source,
            id: self.id,
        }
    }
}

/// A request to move one order.
#[derive(Clone, Debug)]
pub struct ApplyRequest {
    pub order_id: OrderId,
    pub actor: Actor,
    pub event: String,
    pub note: Option<String>,
    /// The version the actor saw; a mismatch is a conflict.
    pub expected_version: Option<i64>,
    pub now: DateTime<Utc>,
    /// The hash of the API token that named the actor, when one did: the token must still
    /// be live at the moment of acting, checked with the actor's standing.
    pub token_hash: Option<String>,
}

/// A committed transition, as `advance --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Applied {
    pub id: OrderId,
    pub event: String,
    pub from: String,
    pub to: String,
    pub version: i64,
    pub effects: Vec<String>,
    #[serde(skip)]
    pub history_id: i64,
}

/// What became of one request applied with others in one transaction (`apply_together`).
#[derive(Debug)]
pub enum Together {
    Applied(Applied),
    /// Another writer moved the order since the request's version: nothing to do.
    Taken,
    /// Another writer holds the order right now (PostgreSQL): skipped, not waited for. It may
    /// move it, or give up; `apply` waits for it and its version check tells.
    Held,
    /// Not done together, nothing written for it: the request goes through `apply` alone
    /// (a refusal to record, money to check against the ledger, an unknown workflow).
    Alone,
}

/// Why a transition was not committed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("order {0} does not exist")]
    NotFound(OrderId),
    #[error("order {0} is not visible to you")]
    NotVisible(OrderId),
    #[error("{0}")]
    Refused(Refusal),
    #[error("order {order_id} was changed first{}: it is now \"{state}\" at version {version}", moved_by.as_ref().map(|(who, event)| format!(" by {who} ({event})")).unwrap_or_default())]
    Conflict {
        order_id: OrderId,
        state: String,
        version: i64,
        moved_by: Option<(String, String)>,
    },
    #[error("order {order_id} uses workflow \"{workflow}\", which is not loaded")]
    UnknownWorkflow { order_id: OrderId, workflow: String },
    #[error(
        "order {order_id} is in state \"{state}\", which workflow \"{workflow}\" no longer has"
    )]
    UnknownState {
        order_id: OrderId,
        workflow: String,
        state: String,
    },
    /// The acting user was disabled (`role` None) or given another role since signing in.
    #[error("{}", actor_changed(name, role))]
    ActorChanged { name: String, role: Option<Role> },
    /// The API token that named the actor was revoked since the request was authenticated
    /// (the service answers it as every token that does not work).
    #[error("the API token was revoked")]
    TokenRevoked,
    #[error("order {order_id}: {refusal}")]
    LedgerRefused {
        order_id: OrderId,
        refusal: crate::domain::ledger::LedgerRefusal,
    },
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

fn actor_changed(name: &str, role: &Option<Role>) -> String {
    match role {
        Some(role) => format!(
            "{name} is a {role} now: nothing was changed; what you may do follows the new role"
        ),
        None => format!("{name} is disabled: nothing was changed"),
    }
}

/// A feed line: a committed transition, or an order's creation (`created`, with the initial
/// state as `to`), and the order's title.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedEvent {
    pub entry: HistoryEntry,
    pub workflow: String,
    pub title: String,
    pub created: bool,
}

/// An order that is due for a timer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueTimer {
    pub order_id: OrderId,
    pub version: i64,
    pub event: String,
    /// When it came due: with the order's id, the place to read on from.
    pub due_at: DateTime<Utc>,
}

impl DueTimer {
    /// Where the next page of due timers starts, after this one.
    pub fn position(&self) -> TimerPosition {
        (self.due_at, self.order_id)
    }
}

/// A place in the due timers' order (due time, then order id).
pub type TimerPosition = (DateTime<Utc>, OrderId);

/// A synthetic order with its whole life, for bulk seeding: every transition was decided by
/// the engine; only the writing is batched.
#[derive(Clone, Debug)]
pub struct SeededOrder {
    /// The final snapshot, with its explicit id.
    pub order: crate::domain::Order,
    pub timer: Option<(String, DateTime<Utc>)>,
    pub history: Vec<SeededTransition>,
}

#[derive(Clone, Debug)]
pub struct SeededTransition {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub on_behalf_of: Option<String>,
    pub event: String,
    pub from: String,
    pub to: String,
    pub note: Option<String>,
    pub version: i64,
    pub effects: Vec<crate::workflow::Effect>,
}

/// One order with everything `verify` checks.
#[derive(Clone, Debug)]
pub struct AuditedOrder {
    pub order: crate::domain::Order,
    pub history: Vec<HistoryEntry>,
    pub ledger: Vec<LedgerRow>,
}
