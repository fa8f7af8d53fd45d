//! An order's timeline: its transitions and, for support and admin, its refused attempts, in
//! one order that every face shows the same way.

use super::{Backoffice, ServiceError};
use crate::domain::access::Permission;
use crate::domain::{Actor, OrderId};
use crate::store::{
    Attempt, EffectAttempt, ExplorerCursor, ExplorerEntry, ExplorerFilter, HistoryEntry,
};

/// One line of an order's timeline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimelineEntry {
    Transition(HistoryEntry),
    Attempt(Attempt),
    /// A hand retry or resolution of a failed effect, with who and why.
    EffectAction(EffectAttempt),
}

impl TimelineEntry {
    fn at(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            TimelineEntry::Transition(entry) => entry.at,
            TimelineEntry::Attempt(attempt) => attempt.at,
            TimelineEntry::EffectAction(action) => action.at,
        }
    }
}

impl Backoffice {
    /// The order's transitions, and with `attempts` (support and admin) its refused attempts.
    pub async fn history(
        &self,
        actor: &Actor,
        id: OrderId,
        attempts: bool,
    ) -> Result<(Vec<HistoryEntry>, Vec<Attempt>), ServiceError> {
        if attempts {
            Self::require(actor, Permission::SeeAttempts)?;
        }
        self.visible_order(actor, id).await?;
        let history = self.store.history(id).await?;
        let attempts = if attempts {
            self.store.attempts(id).await?
        } else {
            Vec::new()
        };
        Ok((history, attempts))
    }

    /// The timeline, oldest first: transitions in commit order (never reordered by their
    /// clocks, which may disagree), each refused attempt placed before the first transition
    /// committed after it.
    pub async fn timeline(
        &self,
        actor: &Actor,
        id: OrderId,
        attempts: bool,
    ) -> Result<Vec<TimelineEntry>, ServiceError> {
        let with_staff_entries = attempts;
        let (history, attempts) = self.history(actor, id, attempts).await?;
        let mut asides: Vec<TimelineEntry> =
            attempts.into_iter().map(TimelineEntry::Attempt).collect();
        if with_staff_entries {
            let actions = self.store.effect_attempts(id).await?;
            asides.extend(
                actions
                    .into_iter()
                    .filter(|a| matches!(a.outcome.as_str(), "retry_requested" | "resolved"))
                    .map(TimelineEntry::EffectAction),
            );
            // Stable: entries of one kind keep their commit order among equal times.
            asides.sort_by_key(TimelineEntry::at);
        }
        Ok(interleave(history, asides))
    }
}

/// The most entries one explorer page holds.
pub const MAX_EXPLORER_PAGE: i64 = 1000;

impl Backoffice {
    /// Every transition and refused attempt across all orders, newest first, one keyset
    /// page after `cursor` (support and admin, who see every order).
    pub async fn explore_history(
        &self,
        actor: &Actor,
        filter: &ExplorerFilter,
        cursor: Option<ExplorerCursor>,
        limit: i64,
    ) -> Result<Vec<ExplorerEntry>, ServiceError> {
        Self::require(actor, Permission::SeeAttempts)?;
        Ok(self
            .store
            .explore(filter, cursor, limit.clamp(1, MAX_EXPLORER_PAGE))
            .await?)
    }
}

/// Transitions in commit order, each aside (a refused attempt, a hand action on an effect,
/// in time order) placed before the first transition committed after it.
fn interleave(history: Vec<HistoryEntry>, asides: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
    let mut timeline = Vec::with_capacity(history.len() + asides.len());
    let mut asides = asides.into_iter().peekable();
    for entry in history {
        while let Some(aside) = asides.next_if(|a| a.at() < entry.at) {
            timeline.push(aside);
        }
        timeline.push(TimelineEntry::Transition(entry));
    }
    timeline.extend(asides);
    timeline
}
