//! The effects outbox at the boundary: support lists, retries and resolves deliveries; the
//! runner claims effects, reports attempts and applies the events sinks answer with.

use chrono::{DateTime, Utc};

use super::{Backoffice, OrderView, ServiceError};
use crate::domain::access::Permission;
use crate::domain::note::is_blank;
use crate::domain::{Actor, OrderId};
use crate::store::{
    Applied, AttemptReport, ClaimedEffect, EffectAttempt, EffectQuery, EffectRecord, HistoryEntry,
    micros,
};

/// The most effects one list page holds.
pub const MAX_EFFECT_PAGE: i64 = 1000;

/// What a delivery tells the sink besides the effect: the order as the sink sees it now
/// (with the transitions it may take) and the transition that recorded the effect.
#[derive(Clone, Debug)]
pub struct DeliveryContext {
    pub view: OrderView,
    pub transition: Option<HistoryEntry>,
}

impl Backoffice {
    /// Effects across orders, by status and order, keyset-paged by id (support and admin).
    pub async fn effects(
        &self,
        actor: &Actor,
        query: &EffectQuery,
    ) -> Result<Vec<EffectRecord>, ServiceError> {
        Self::require(actor, Permission::ManageEffects)?;
        let query = EffectQuery {
            limit: query.limit.clamp(1, MAX_EFFECT_PAGE),
            ..query.clone()
        };
        Ok(self.store.list_effects(&query).await?)
    }

    /// How many effects need a person (failed or unrouted): the board's badge. Zero for those
    /// who may not handle them.
    pub async fn effects_needing_attention(&self, actor: &Actor) -> Result<i64, ServiceError> {
        if !Permission::ManageEffects.allows(actor.role) {
            return Ok(0);
        }
        Ok(self.store.count_effects_needing_attention().await?)
    }

    /// Every attempt, hand retry and resolution of an order's effects, oldest first.
    pub async fn effect_attempts(
        &self,
        actor: &Actor,
        order_id: OrderId,
    ) -> Result<Vec<EffectAttempt>, ServiceError> {
        self.visible_order(actor, order_id).await?;
        Ok(self.store.effect_attempts(order_id).await?)
    }

    /// Sends a failed or unrouted effect out again: a fresh series of attempts, due now.
    pub async fn retry_effect(
        &self,
        actor: &Actor,
        id: i64,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<EffectRecord, ServiceError> {
        let note = note.map(checked_note).transpose()?;
        self.settle(actor, id, true, note, now).await
    }

    /// Closes a failed or unrouted effect by hand (it was carried out another way, or must
    /// not be): the note saying why is required.
    pub async fn resolve_effect(
        &self,
        actor: &Actor,
        id: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<EffectRecord, ServiceError> {
        let note = checked_note(note)?;
        self.settle(actor, id, false, Some(note), now).await
    }

    async fn settle(
        &self,
        actor: &Actor,
        id: i64,
        retry: bool,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<EffectRecord, ServiceError> {
        Self::writable(actor)?;
        Self::require(actor, Permission::ManageEffects)?;
        let missing = || ServiceError::Missing(format!("effect {id} does not exist"));
        if let Some(settled) = self
            .store
            .settle_effect(id, retry, &actor.name, note, micros(now))
            .await?
        {
            let action = if retry { "retry" } else { "resolve" };
            tracing::info!(effect = id, actor = %actor.name, action, "effect settled by hand");
            return Ok(settled);
        }
        let effect = self.store.effect(id).await?.ok_or_else(missing)?;
        let verb = if retry { "retried" } else { "resolved" };
        Err(ServiceError::NotNow(format!(
            "effect {id} is {}: only a failed or unrouted effect can be {verb}",
            effect.status
        )))
    }

    /// The runner's claim: up to `limit` due effects, leased to `runner` until `lease_until`.
    pub async fn claim_effects(
        &self,
        runner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClaimedEffect>, ServiceError> {
        Ok(self
            .store
            .claim_effects(runner, now, lease_until, limit)
            .await?)
    }

    /// The runner's reports of attempts, written together; for each, `false` when its lease
    /// was lost meanwhile.
    pub async fn finish_effects(
        &self,
        reports: &[(&ClaimedEffect, &AttemptReport)],
    ) -> Result<Vec<bool>, ServiceError> {
        Ok(self.store.finish_effects(reports).await?)
    }

    /// The order and transition a delivery to `sink` describes.
    pub async fn delivery_context(
        &self,
        sink: &str,
        effect: &EffectRecord,
        now: DateTime<Utc>,
    ) -> Result<DeliveryContext, ServiceError> {
        let view = self.show(&Actor::sink(sink), effect.order_id, now).await?;
        let transition = self
            .store
            .transition_at(effect.order_id, effect.version)
            .await?;
        Ok(DeliveryContext { view, transition })
    }

    /// A sink's answer: its event applied to the order as `sink:NAME` through the one apply
    /// path, at the order's current version.
    pub async fn apply_for_sink(
        &self,
        sink: &str,
        order_id: OrderId,
        event: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Applied, ServiceError> {
        let actor = Actor::sink(sink);
        let order = self.visible_order(&actor, order_id).await?;
        self.advance(&actor, order_id, event, note, Some(order.version), now)
            .await
    }
}

/// A note typed by support: bounded, and not blank.
fn checked_note(note: &str) -> Result<&str, ServiceError> {
    super::check_text_length(note)?;
    if is_blank(note) {
        return Err(ServiceError::BadInput("the note is empty".to_string()));
    }
    Ok(note)
}
