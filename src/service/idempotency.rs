//! Idempotency keys for creating orders over the API: a retry with the same key by the same
//! user gets the first response back and creates nothing.
//!
//! A key is claimed before the order is created and completed with the response after, so of
//! two concurrent requests with one key only one creates; the other is told it is still in
//! progress. A request that fails gives its key back. A process killed between creating and
//! completing leaves the key claimed for good: its retries are refused rather than risking a
//! second order.

use chrono::{DateTime, Utc};

use super::{Backoffice, ServiceError};
use crate::domain::Actor;
use crate::domain::access::Permission;
use crate::store::StoredResponse;

/// Longest key: enough for a UUID or a client's own scheme, short enough for an index.
const MAX_KEY_LEN: usize = 255;

/// A response kept for a key, to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is new: go on, then complete or release it.
    First,
    /// The key's first request finished: answer with its response.
    Replay(IdempotentResponse),
    /// The key's first request has not finished (or never will: see the module's note).
    InProgress,
}

impl Backoffice {
    /// Claims `key` for the actor's order creation (admin or system, like creating).
    pub async fn claim_idempotency_key(
        &self,
        actor: &Actor,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<IdempotencyClaim, ServiceError> {
        Self::require(actor, Permission::CreateOrders)?;
        let valid = !key.is_empty()
            && key.len() <= MAX_KEY_LEN
            && key.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(ServiceError::BadInput(format!(
                "an Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
            )));
        }
        Ok(
            match self
                .store
                .claim_idempotency_key(&actor.name, key, now)
                .await?
            {
                None => IdempotencyClaim::First,
                Some(StoredResponse {
                    status: Some(status),
                    body: Some(body),
                    location,
                }) => IdempotencyClaim::Replay(IdempotentResponse {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                    location,
                }),
                Some(_) => IdempotencyClaim::InProgress,
            },
        )
    }

    /// Keeps the first response for the key's retries.
    pub async fn complete_idempotency_key(
        &self,
        actor: &Actor,
        key: &str,
        response: &IdempotentResponse,
    ) -> Result<(), ServiceError> {
        let stored = StoredResponse {
            status: Some(i64::from(response.status)),
            body: Some(response.body.clone()),
            location: response.location.clone(),
        };
        Ok(self
            .store
            .complete_idempotency_key(&actor.name, key, &stored)
            .await?)
    }

    /// Gives a key back after its request failed, so a retry is tried afresh.
    pub async fn release_idempotency_key(
        &self,
        actor: &Actor,
        key: &str,
    ) -> Result<(), ServiceError> {
        Ok(self.store.release_idempotency_key(&actor.name, key).await?)
    }
}
