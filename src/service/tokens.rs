//! API tokens: an admin adds one for a user and sees its secret once; the API authenticates
//! each request by it, acting as that user with the role and enabled state they have now.
//!
//! Only the secret's SHA-256 is stored: the secret is 32 random bytes, so a fast hash is
//! enough (nothing to guess), and a copy of the database gives no working token.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::users::{is_plain_name, no_such_user};
use super::{Backoffice, ServiceError};
use crate::auth::Secret;
use crate::domain::Actor;
use crate::domain::access::Permission;
use crate::domain::text::display_safe;
use crate::store::{StoreError, TokenRecord};

/// Random bytes in a secret.
const SECRET_BYTES: usize = 32;

/// Marks a string as an orderboard API token (in a leaked log or a secret scanner's rules).
const SECRET_PREFIX: &str = "obt_";

/// Longer than any secret this makes: a longer one is refused before it is hashed.
const MAX_SECRET_LEN: usize = 128;

/// The one answer for every token that does not work: no oracle for which part was wrong.
const REFUSED: &str = "the API token is missing, unknown or revoked";

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
        let refused = || ServiceError::Unauthenticated(REFUSED.to_string());
        if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
            return Err(refused());
        }
        let Some(token) = self
            .store
            .use_token(&secret_hash(secret), Utc::now())
            .await?
        else {
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
