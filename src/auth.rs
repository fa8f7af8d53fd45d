//! Passwords: argon2id PHC strings, hashed and verified off the async threads, with the same
//! cost and the same message for unknown users, disabled users and wrong passwords.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::domain::Actor;
use crate::store::{Store, StoreError};

/// A password that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Deliberately the same for unknown users, wrong passwords and disabled accounts.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// Minimum length for new passwords.
pub const MIN_PASSWORD_LENGTH: usize = 8;

/// Failed sign-ins wait this long before answering, so guessing is slow.
pub const FAILED_SIGN_IN_DELAY: Duration = Duration::from_millis(750);

pub async fn hash_password(password: &Secret) -> Result<String, HashError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// A real argon2id hash of a random string: unknown users are verified against it so they
/// cost the same time as known ones.
fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4uSGJ9IpR2ep+MdHqUhuV1c0ExTSQ5mJYKpuc0/d1BQ"
}

async fn verify(hash: String, password: Secret) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Checks a name and password; counts and slows down failures.
pub async fn sign_in(store: &Store, name: &str, password: &Secret) -> Result<Actor, SignInError> {
    let user = store.user(name).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let matches = verify(hash, password.clone()).await;
    match user {
        Some(user) if matches && !user.disabled => {
            store.reset_failed_sign_ins(&user.name).await?;
            tracing::info!(user = %user.name, role = %user.role, "signed in");
            Ok(Actor::new(user.name, user.role))
        }
        Some(user) => {
            store.count_failed_sign_in(&user.name).await?;
            tracing::warn!(user = %user.name, disabled = user.disabled, "sign-in refused");
            tokio::time::sleep(FAILED_SIGN_IN_DELAY).await;
            Err(SignInError::InvalidCredentials)
        }
        None => {
            tracing::warn!(user = %crate::domain::text::display_safe(name), "sign-in refused: no such user");
            tokio::time::sleep(FAILED_SIGN_IN_DELAY).await;
            Err(SignInError::InvalidCredentials)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter42")), "Secret(***)");
    }

    #[test]
    fn the_dummy_hash_is_a_valid_phc_string() {
        assert!(PasswordHash::new(dummy_hash()).is_ok());
    }
}
