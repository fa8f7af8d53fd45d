//! One event on many orders: first a preview of what would happen to each, then each order
//! applied through the one apply path in its own transaction, so one order's refusal or lost
//! race never undoes or blocks the others.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Backoffice, ServiceError};
use crate::domain::{Actor, Order, OrderId};
use crate::store::ApplyError;
use crate::workflow::Refusal;

/// The most orders one bulk action takes: a screenful of columns, not the whole database.
pub const MAX_BULK_ORDERS: usize = 10_000;

/// What happened, or would happen, to one order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum BulkOutcome {
    /// Dry run: the transition is legal now and would move the order, read at `version`,
    /// to `to`.
    WouldApply { to: String, version: i64 },
    Applied {
        from: String,
        to: String,
        version: i64,
    },
    /// The transition needs a note and none was given.
    NeedsNote,
    /// Refused: the engine's reason, or someone else moved the order first.
    Blocked { reason: String },
    /// Missing, or not visible to the actor: the same answer for both.
    NotFound { reason: String },
}

impl BulkOutcome {
    /// Whether the order moved, or would move.
    pub fn succeeded(&self) -> bool {
        matches!(
            self,
            BulkOutcome::WouldApply { .. } | BulkOutcome::Applied { .. }
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BulkLine {
    pub id: OrderId,
    #[serde(flatten)]
    pub outcome: BulkOutcome,
}

impl Backoffice {
    /// `event` on each order of `ids`: previewed with `dry_run`, else applied one by one.
    pub async fn bulk(
        &self,
        actor: &Actor,
        ids: &[OrderId],
        event: &str,
        note: Option<&str>,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<BulkLine>, ServiceError> {
        check_size(ids.len())?;
        let ids = first_of_each(ids, |id| *id);
        if dry_run {
            return self.preview_all(actor, &ids, event, note, now).await;
        }
        Self::writable(actor)?;
        let mut lines = Vec::with_capacity(ids.len());
        for id in ids {
            let outcome = self.apply_one(actor, id, event, note, None, now).await?;
            lines.push(BulkLine { id, outcome });
        }
        Ok(lines)
    }

    /// Applies what a dry run showed: each order only while it is at the version the dry run
    /// read, so one changed since (moved, or edited by someone) is reported and left alone,
    /// never acted on unseen.
    pub async fn bulk_as_previewed(
        &self,
        actor: &Actor,
        previewed: &[(OrderId, i64)],
        event: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<BulkLine>, ServiceError> {
        check_size(previewed.len())?;
        Self::writable(actor)?;
        let previewed = first_of_each(previewed, |(id, _)| *id);
        let mut lines = Vec::with_capacity(previewed.len());
        for (id, version) in previewed {
            let outcome = self
                .apply_one(actor, id, event, note, Some(version), now)
                .await?;
            lines.push(BulkLine { id, outcome });
        }
        Ok(lines)
    }

    /// The dry run: every order read in a few queries, each decided by the engine.
    async fn preview_all(
        &self,
        actor: &Actor,
        ids: &[OrderId],
        event: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<BulkLine>, ServiceError> {
        let found: BTreeMap<OrderId, Order> = self
            .store
            .orders_by_ids(ids)
            .await?
            .into_iter()
            .filter(|order| order.is_visible_to(actor))
            .map(|order| (order.id, order))
            .collect();
        Ok(ids
            .iter()
            .map(|&id| BulkLine {
                id,
                outcome: match found.get(&id) {
                    Some(order) => self.preview(actor, order, event, note, now),
                    None => BulkOutcome::NotFound {
                        reason: super::orders::unseen(actor, id).to_string(),
                    },
                },
            })
            .collect())
    }

    /// What `event` would do to one order now, decided by the engine without writing.
    fn preview(
        &self,
        actor: &Actor,
        order: &Order,
        event: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> BulkOutcome {
        let Some(workflow) = self.workflows.get(&order.workflow) else {
            return BulkOutcome::Blocked {
                reason: format!("workflow \"{}\" is not loaded", order.workflow),
            };
        };
        match workflow.decide(order, actor, event, note, now) {
            Ok(decision) => BulkOutcome::WouldApply {
                to: decision.to,
                version: order.version,
            },
            Err(Refusal::NoteRequired { .. }) => BulkOutcome::NeedsNote,
            Err(refusal) => BulkOutcome::Blocked {
                reason: refusal.to_string(),
            },
        }
    }

    /// One order through the apply path, its refusal or lost race reported, not raised.
    async fn apply_one(
        &self,
        actor: &Actor,
        id: OrderId,
        event: &str,
        note: Option<&str>,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<BulkOutcome, ServiceError> {
        Ok(
            match self
                .advance(actor, id, event, note, expected_version, now)
                .await
            {
                Ok(applied) => BulkOutcome::Applied {
                    from: applied.from,
                    to: applied.to,
                    version: applied.version,
                },
                Err(ServiceError::Apply(ApplyError::Refused(Refusal::NoteRequired { .. }))) => {
                    BulkOutcome::NeedsNote
                }
                Err(error @ (ServiceError::Unseen { .. } | ServiceError::NotPermitted(_))) => {
                    BulkOutcome::NotFound {
                        reason: error.to_string(),
                    }
                }
                Err(ServiceError::Apply(changed @ ApplyError::Conflict { .. }))
                    if expected_version.is_some() =>
                {
                    BulkOutcome::Blocked {
                        reason: format!("changed since the dry run, not applied: {changed}"),
                    }
                }
                Err(ServiceError::Apply(refused)) if !matches!(refused, ApplyError::Store(_)) => {
                    BulkOutcome::Blocked {
                        reason: refused.to_string(),
                    }
                }
                // Held by another writer past the lock wait: this order is left, the others
                // go on.
                Err(busy) if busy.is_busy() => BulkOutcome::Blocked {
                    reason: busy.to_string(),
                },
                Err(other) => return Err(other),
            },
        )
    }
}

/// Each order once, where it first appears: a list that names an order many times acts on
/// it (and records a refusal) once, not once per mention.
fn first_of_each<T: Copy>(items: &[T], id: impl Fn(&T) -> OrderId) -> Vec<T> {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items
        .iter()
        .filter(|item| seen.insert(id(item)))
        .copied()
        .collect()
}

/// A bulk action is bounded: at most `MAX_BULK_ORDERS` orders.
fn check_size(count: usize) -> Result<(), ServiceError> {
    if count > MAX_BULK_ORDERS {
        return Err(ServiceError::BadInput(format!(
            "a bulk action takes at most {MAX_BULK_ORDERS} orders ({count} given)"
        )));
    }
    Ok(())
}
