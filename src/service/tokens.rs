//! API tokens: an admin adds one for a user and sees its secret once; the API authenticates
//! each request by it, acting as that user with the role and enabled state they have now.
//!
//! Only the secret's SHA-256 is stored: the secret is 32 random bytes, so a fast hash is
//! enough (nothing to guess), and a copy of the database gives no working token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::users::{is_plain_name, no_such_user};
use super::{Backoffice, ServiceError};
use crate::auth::Secret;
use crate::domain::Actor;
use crate::domain::access::Permission;
use crate::domain::text::display_safe;
use crate::store::{ApplyError, StoreError, TokenRecord};

/// Random bytes in a secret.
const SECRET_BYTES: usize = 32;

/// Marks a string as an orderboard API token (in a leaked log or a secret scanner's rules).
const SECRET_PREFIX: &str = "obt_";

/// Longer than any secret this makes: a longer one is refused before it is hashed.
const MAX_SECRET_LEN: usize = 128;

/// The one answer for every token that does not work: no oracle for which part was wrong.
const REFUSED: &str = "the API token is missing, unknown or revoked";

/// How long `advance_by_secret` remembers a token's user. Meanwhile its requests do not note
/// the token's use, so `last_used_at` can lag by up to two minutes (one of remembering, one
/// of `use_token` writing at most once a minute).
const REMEMBER_TOKEN_FOR: Duration = Duration::from_secs(60);

/// At most this many tokens' users are remembered; past it, the memory starts afresh.
const MAX_REMEMBERED_TOKENS: usize = 1024;

/// The user each recently used API token names, by the token's hash. Only what never
/// changes is trusted from here: the user's name. The token's being live and the user's
/// role and enabled state are checked again inside the transaction that acts.
#[derive(Default)]
pub(super) struct TokenActors {
    by_hash: Mutex<HashMap<String, (Actor, Instant)>>,
}

impl TokenActors {
    fn recall(&self, hash: &str) -> Option<Actor> {
        let remembered = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        remembered
            .get(hash)
            .filter(|(_, since)| since.elapsed() < REMEMBER_TOKEN_FOR)
            .map(|(actor, _)| actor.clone())
    }

    fn remember(&self, hash: &str, actor: &Actor) {
        let mut remembered = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        if remembered.len() >= MAX_REMEMBERED_TOKENS {
            remembered.retain(|_, (_, since)| since.elapsed() < REMEMBER_TOKEN_FOR);
            if remembered.len() >= MAX_REMEMBERED_TOKENS {
                remembered.clear();
            }
        }
        remembered.insert(hash.to_string(), (actor.clone(), Instant::now()));
    }

    pub(super) fn forget(&self, hash: &str) {
        let mut remembered = self.by_hash.lock().unwrap_or_else(|e| e.into_inner());
        remembered.remove(hash);
    }
}

/// The one answer for a token that does not work.
pub(super) fn refused() -> ServiceError {
    ServiceError::Unauthenticated(REFUSED.to_string())
}

/// A token just added: its secret is here once and nowhere else.
#[derive(Debug)]
pub struct NewToken {
    pub name: String,
    pub user: String,
    pub secret: Secret,
}

/// A token as `token list` shows it: never the secret nor its hash.
pub type TokenSummary = TokenRecord;

impl Backoffice {
    /// Adds an API token acting as `user` (admin only) and returns its secret, which is not
    /// kept anywhere: only its hash is stored.
    pub async fn add_token(
        &self,
        actor: &Actor,
        name: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<NewToken, ServiceError> {
        Self::require(actor, Permission::ManageTokens)?;
        if !is_plain_name(name) {
            return Err(ServiceError::BadInput(format!(
                "token name \"{}\" must be 1 to 64 letters, digits, '.', '-' or '_'",
                display_safe(name)
            )));
        }
        let Some(owner) = self.store.user(user).await? else {
            return Err(no_such_user(user));
        };
        let secret = new_secret(SECRET_PREFIX)?;
        self.store
            .add_token(name, &owner.name, &secret_hash(secret.expose()), now)
            .await
            .map_err(|error| match error {
                StoreError::Duplicate(message) => ServiceError::BadInput(message),
                other => other.into(),
            })?;
        tracing::info!(token = name, user = %owner.name, by = %actor.name, "API token added");
        Ok(NewToken {
            name: name.to_string(),
            user: owner.name,
            secret,
        })
    }

    /// Every token, revoked ones included (admin only).
    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<TokenSummary>, ServiceError> {
        Self::require(actor, Permission::ManageTokens)?;
        Ok(self.store.tokens().await?)
    }

    /// Revokes a token (admin only): refused from the next request on. Revoking a revoked
    /// token changes nothing and is no error.
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        Self::require(actor, Permission::ManageTokens)?;
        if !self.store.revoke_token(name, now).await? && !self.store.token_exists(name).await? {
            return Err(ServiceError::BadInput(format!(
                "no API token is named \"{}\"",
                display_safe(name)
            )));
        }
        tracing::info!(token = name, by = %actor.name, "API token revoked");
        Ok(())
    }

    /// The actor a request with this secret acts as: the token's user with the role they
    /// have now. Unknown and revoked tokens, and tokens of disabled or removed users, are
    /// refused with one message.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Actor, ServiceError> {
        self.token_hash_actor(&presented_token_hash(secret)?).await
    }

    /// The token's actor, its hash, and whether the actor was remembered (not read now):
    /// for `advance_by_secret`, which checks the token again inside its transaction.
    pub(super) async fn token_actor(
        &self,
        secret: &str,
    ) -> Result<(Actor, String, bool), ServiceError> {
        let hash = presented_token_hash(secret)?;
        if let Some(actor) = self.token_actors.recall(&hash) {
            return Ok((actor, hash, true));
        }
        let actor = self.read_token_actor(&hash).await?;
        Ok((actor, hash, false))
    }

    /// The token's actor read from the database now, and remembered.
    pub(super) async fn read_token_actor(&self, hash: &str) -> Result<Actor, ServiceError> {
        self.token_actors.forget(hash);
        let actor = self.token_hash_actor(hash).await?;
        self.token_actors.remember(hash, &actor);
        Ok(actor)
    }

    /// A token the apply path's transaction found revoked, or its user disabled: forgotten,
    /// and answered as every token that does not work is.
    pub(super) fn token_refusal(&self, hash: &str, error: ServiceError) -> ServiceError {
        match error {
            ServiceError::Apply(
                ApplyError::TokenRevoked | ApplyError::ActorChanged { role: None, .. },
            ) => {
                self.token_actors.forget(hash);
                refused()
            }
            other => other,
        }
    }

    async fn token_hash_actor(&self, hash: &str) -> Result<Actor, ServiceError> {
        let Some(token) = self.store.use_token(hash, Utc::now()).await? else {
            return Err(refused());
        };
        if token.disabled {
            return Err(refused());
        }
        let role = token
            .role
            .parse()
            .map_err(|e| ServiceError::Internal(format!("user \"{}\": {e}", token.token.user)))?;
        Ok(Actor::new(token.token.user, role))
    }
}

/// A new secret: `prefix` and 32 random bytes in hex.
pub(super) fn new_secret(prefix: &str) -> Result<Secret, ServiceError> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Internal(format!("no randomness for a token: {e}")))?;
    Ok(Secret::new(format!("{prefix}{}", hex(&bytes))))
}

/// The stored form of a secret: SHA-256, lower-case hex.
/// The hash of a token as a request presents it; one that cannot be a token is refused
/// before any lookup, with the same answer as every token that does not work.
fn presented_token_hash(secret: &str) -> Result<String, ServiceError> {
    if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
        return Err(refused());
    }
    Ok(secret_hash(secret))
}

pub(super) fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
