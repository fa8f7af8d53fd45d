//! Idempotency keys for creating orders over the API: a retry with the same key by the same
//! user gets the first response back and creates nothing.
//!
//! A key is claimed before the order is created and completed with the response after, so of
//! two concurrent requests with one key only one creates; the other is told it is still in
//! progress. A request that fails gives its key back. A database held or away at that moment
//! delays the settling (`settle_idempotency_key` tries again); a process killed between
//! creating and completing leaves the key claimed for good: its retries are refused rather
//! than risking a second order.

use chrono::{DateTime, Utc};

use super::{Backoffice, ServiceError};
use crate::domain::Actor;
use crate::domain::access::Permission;
use crate::store::StoredResponse;

/// How often, and how many times, a key the database did not take is settled again:
/// every 2 s for 10 minutes.
const SETTLE_AGAIN_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
const SETTLE_TRIES: u32 = 300;

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

    /// Settles a claimed key: keeps `response` for the key's retries (the order was created),
    /// or gives the key back (`None`: nothing was created, so a retry is tried afresh).
    ///
    /// A database held past the lock wait, or away, must not leave the key claimed for good:
    /// its retries would be refused as in progress forever, and a client then told to use a
    /// new key could create the order twice. So a settlement that meets either is tried again
    /// (see `worth_settling_again`) in the background, every `SETTLE_AGAIN_EVERY` for up to
    /// `SETTLE_TRIES` tries, while the retries are told the request is still in progress.
    pub async fn settle_idempotency_key(
        &self,
        actor: &Actor,
        key: &str,
        response: Option<&IdempotentResponse>,
    ) {
        if self.settle_once(&actor.name, key, response).await {
            return;
        }
        let (office, user, key) = (self.clone(), actor.name.clone(), key.to_owned());
        let response = response.cloned();
        tokio::spawn(async move {
            for _ in 0..SETTLE_TRIES {
                tokio::time::sleep(SETTLE_AGAIN_EVERY).await;
                if office.settle_once(&user, &key, response.as_ref()).await {
                    return;
                }
            }
            tracing::error!("an idempotency key stays claimed: the database did not take it");
        });
    }

    /// One try at settling; whether the key needs no more (settled, or failed in a way not
    /// worth repeating).
    async fn settle_once(
        &self,
        user: &str,
        key: &str,
        response: Option<&IdempotentResponse>,
    ) -> bool {
        match self.try_settle(user, key, response).await {
            Ok(()) => true,
            Err(error) if worth_settling_again(&error, response.is_some()) => {
                tracing::warn!(%error, "an idempotency key is not settled yet; trying again");
                false
            }
            Err(error) => {
                tracing::error!(%error, "could not settle an idempotency key");
                true
            }
        }
    }

    async fn try_settle(
        &self,
        user: &str,
        key: &str,
        response: Option<&IdempotentResponse>,
    ) -> Result<(), ServiceError> {
        match response {
            Some(response) => {
                let stored = StoredResponse {
                    status: Some(i64::from(response.status)),
                    body: Some(response.body.clone()),
                    location: response.location.clone(),
                };
                self.store
                    .complete_idempotency_key(user, key, &stored)
                    .await?;
            }
            None => self.store.release_idempotency_key(user, key).await?,
        }
        Ok(())
    }
}

/// Whether a settlement that failed so is tried again. Keeping a response may always be
/// repeated (it writes the same values to the same claim). Giving a key back is repeated
/// only when it surely changed nothing (busy): after a lost connection it may have been
/// done already, and a repeat could delete a newer request's claim of the same key.
fn worth_settling_again(error: &ServiceError, keeping_a_response: bool) -> bool {
    error.is_busy() || (keeping_a_response && error.is_connection_lost())
}
