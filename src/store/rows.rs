//! Rows as both backends return them, turned into domain values.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::StoreError;
use super::types::{FeedEvent, HistoryEntry, UserRecord};
use crate::domain::search::Match;
use crate::domain::{Order, PendingTimer, Role, SortFields};

#[derive(sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub workflow: String,
    pub state: String,
    pub version: i64,
    pub customer: String,
    pub seller: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub state_entered_at: DateTime<Utc>,
    pub attrs: String,
    pub counters: String,
    pub timer_event: Option<String>,
    pub timer_due_at: Option<DateTime<Utc>>,
}

impl OrderRow {
    pub fn into_order(self) -> Result<Order, StoreError> {
        let attrs: BTreeMap<String, serde_json::Value> = serde_json::from_str(&self.attrs)
            .map_err(|e| {
                StoreError::Corrupt(format!("order {} has unreadable attributes: {e}", self.id))
            })?;
        let counters: BTreeMap<String, i64> =
            serde_json::from_str(&self.counters).map_err(|e| {
                StoreError::Corrupt(format!("order {} has unreadable counters: {e}", self.id))
            })?;
        Ok(Order {
            id: self.id,
            workflow: self.workflow,
            state: self.state,
            version: self.version,
            customer: self.customer,
            seller: self.seller,
            title: self.title,
            amount_cents: self.amount_cents,
            currency: self.currency,
            placed_at: self.placed_at,
            due_at: self.due_at,
            state_entered_at: self.state_entered_at,
            attrs,
            counters,
            timer: self
                .timer_event
                .zip(self.timer_due_at)
                .map(|(event, due_at)| PendingTimer { event, due_at }),
        })
    }
}

/// One match of a search, as much as a board needs to count and place it.
#[derive(sqlx::FromRow)]
pub struct MatchRow {
    pub id: i64,
    pub workflow: String,
    pub state: String,
    pub due_at: Option<DateTime<Utc>>,
    pub state_entered_at: DateTime<Utc>,
    pub amount_cents: i64,
}

impl From<MatchRow> for Match {
    fn from(row: MatchRow) -> Match {
        Match {
            workflow: row.workflow,
            state: row.state,
            fields: SortFields {
                id: row.id,
                due_at: row.due_at,
                state_entered_at: row.state_entered_at,
                amount_cents: row.amount_cents,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct HistoryRow {
    pub id: i64,
    pub order_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub on_behalf_of: Option<String>,
    pub event: String,
    pub from_state: String,
    pub to_state: String,
    pub note: Option<String>,
    pub version: i64,
    pub effects: String,
}

impl From<HistoryRow> for HistoryEntry {
    fn from(row: HistoryRow) -> Self {
        row.into_entry()
    }
}

impl HistoryRow {
    pub fn into_entry(self) -> HistoryEntry {
        HistoryEntry {
            id: self.id,
            order_id: self.order_id,
            at: self.at,
            actor: self.actor,
            role: self.role,
            on_behalf_of: self.on_behalf_of,
            event: self.event,
            from: self.from_state,
            to: self.to_state,
            note: self.note,
            version: self.version,
            // Written by us as a JSON array of strings; an unreadable one shows as empty.
            effects: serde_json::from_str(&self.effects).unwrap_or_default(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct FeedRow {
    #[sqlx(flatten)]
    pub history: HistoryRow,
    pub kind: String,
    pub workflow: String,
    pub title: String,
}

impl FeedRow {
    pub fn into_event(self) -> FeedEvent {
        FeedEvent {
            created: self.kind == "created",
            entry: self.history.into_entry(),
            workflow: self.workflow,
            title: self.title,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub failed_sign_ins: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

impl UserRow {
    pub fn into_record(self) -> Result<UserRecord, StoreError> {
        let role: Role = self
            .role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("user {}: {e}", self.name)))?;
        Ok(UserRecord {
            name: self.name,
            role,
            password_hash: self.password_hash,
            disabled: self.disabled,
            failed_sign_ins: self.failed_sign_ins,
            locked_until: self.locked_until,
        })
    }
}
