//! Passwords: argon2id PHC strings, hashed and verified off the async threads, with the same
//! cost and the same message for unknown users, disabled users, locked names and wrong
//! passwords; attempts are counted in the database before the password is checked.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use chrono::Utc;

use crate::domain::Actor;
use crate::store::{SignInLimit, SignInLimits, Store, StoreError};

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

/// The limits of sign-in attempts: 10 failures within 15 minutes lock a user name for 15
/// minutes; a source (a client address, for the API) gets more room, as many users may share
/// one. A lock refuses even the right password, with the wrong password's sentence.
pub const SIGN_IN_LIMITS: SignInLimits = SignInLimits {
    user: SignInLimit {
        threshold: 10,
        window: chrono::Duration::minutes(15),
        lock: chrono::Duration::minutes(15),
    },
    source: SignInLimit {
        threshold: 50,
        window: chrono::Duration::minutes(15),
        lock: chrono::Duration::minutes(15),
    },
    // Holding it covers one lookup and one hash check; a killed holder blocks the name this
    // long at most.
    lease: chrono::Duration::seconds(2),
    retention: chrono::Duration::days(1),
};

/// How often a sign-in looks again for a user name another attempt is being checked for.
const LEASE_POLL: std::ops::Range<u64> = 10..30;

/// The extra wait of a failure after one recent failure; it doubles with each further one.
const FIRST_ESCALATION: Duration = Duration::from_millis(250);

/// The longest extra wait.
const MAX_ESCALATION: Duration = Duration::from_secs(2);

/// A failure's wait beyond `FAILED_SIGN_IN_DELAY`, after `prior` recent failures: nothing for
/// the first, then 0.25 s doubling up to 2 s.
pub fn escalation(prior: i64) -> Duration {
    if prior <= 0 {
        return Duration::ZERO;
    }
    // Capped before shifting: past 2^4 the wait is at its maximum anyway.
    let doublings = u32::try_from((prior - 1).min(4)).unwrap_or(4);
    (FIRST_ESCALATION * (1 << doublings)).min(MAX_ESCALATION)
}

/// Checks a name and password, from a source when one is known (the API's client address;
/// the CLI and the TUI pass None).
///
/// The attempt is counted in the database before the password is checked, and cleared only
/// by a success: a process killed mid-check has been counted as a failure. Attempts for one
/// name are checked one at a time (a short lease in the database), so each is decided on the
/// failures before it: parallel attempts get no more guesses than sequential ones, and
/// concurrent right passwords are not mistaken for failures.
pub async fn sign_in(
    store: &Store,
    name: &str,
    password: &Secret,
    source: Option<&str>,
) -> Result<Actor, SignInError> {
    let subject = crate::store::sign_in_subject(name);
    sign_in_counted_as(store, &subject, name, password, source).await
}

/// The failures of the API's sign-ins (`POST /sessions`) are counted apart from the
/// terminal's: under the name and the client's address when it is known, under the name
/// alone (but still apart) behind a proxy. Otherwise anyone who can reach the API could lock
/// any user, admins included, out of the terminal by failing ten times.
pub fn network_sign_in_subject(name: &str, source: Option<&str>) -> String {
    let name = crate::store::sign_in_subject(name);
    match source {
        Some(address) => format!("api:{name}@{address}"),
        None => format!("api:{name}"),
    }
}

/// `sign_in`, with the failures counted under `subject`.
pub async fn sign_in_counted_as(
    store: &Store,
    subject: &str,
    name: &str,
    password: &Secret,
    source: Option<&str>,
) -> Result<Actor, SignInError> {
    let subject = subject.to_string();
    let counts = loop {
        if let Some(counts) = store
            .record_sign_in_attempt(&subject, source, Utc::now(), &SIGN_IN_LIMITS)
            .await?
        {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(fastrand::u64(LEASE_POLL))).await;
    };
    let locked = counts.user > SIGN_IN_LIMITS.user.threshold
        || counts
            .source
            .is_some_and(|n| n > SIGN_IN_LIMITS.source.threshold);
    let user = store.user(name).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    // Checked even when locked, so a lock costs the same time as a wrong password.
    let matches = verify(hash, password.clone()).await;
    if let Some(user) = user.as_ref().filter(|u| matches && !u.disabled && !locked) {
        store.clear_sign_in_failures(&subject, source).await?;
        tracing::info!(user = %user.name, role = %user.role, "signed in");
        return Ok(Actor::new(user.name.clone(), user.role));
    }
    store.release_sign_in_lease(&subject).await?;
    match &user {
        Some(user) => {
            tracing::warn!(user = %user.name, disabled = user.disabled, locked, failures = counts.user, "sign-in refused")
        }
        None => {
            tracing::warn!(user = %crate::domain::text::display_safe(name), locked, failures = counts.user, "sign-in refused: no such user")
        }
    }
    let prior = counts.user.max(counts.source.unwrap_or(0)) - 1;
    tokio::time::sleep(FAILED_SIGN_IN_DELAY + escalation(prior)).await;
    Err(SignInError::InvalidCredentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter42")), "Secret(***)");
    }

    #[test]
    fn the_wait_grows_with_recent_failures_up_to_its_cap() {
        let waits: Vec<u64> = (0..8).map(|n| escalation(n).as_millis() as u64).collect();
        assert_eq!(waits, [0, 250, 500, 1000, 2000, 2000, 2000, 2000]);
        assert_eq!(escalation(i64::MAX), MAX_ESCALATION);
        assert_eq!(escalation(-1), Duration::ZERO);
    }

    #[test]
    fn the_dummy_hash_is_a_valid_phc_string() {
        assert!(PasswordHash::new(dummy_hash()).is_ok());
    }
}
