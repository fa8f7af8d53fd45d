//! Sign-in sessions of the API: a person (not a machine, which has an API token) signs in with
//! name and password, through the same argon2 check and the same slowing and locking as the
//! terminal, and works with the session's token until it ends. A session ends when its owner
//! signs out, when an admin ends it, when it has been idle too long, or at its absolute end,
//! whichever comes first; the user's role and enabled state are read again on every request,
//! so a disabled or demoted user's session changes at once.
//!
//! The secret is shown once; only its SHA-256 is stored, as for API tokens.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::tokens::{new_secret, secret_hash};
use super::{Backoffice, ServiceError};
use crate::auth::{self, Secret};
use crate::domain::access::Permission;
use crate::domain::text::display_safe;
use crate::domain::{Actor, Role};
use crate::store::SessionRecord;

/// Marks a string as an orderboard session token (tokens of machines start `obt_`).
pub const SESSION_PREFIX: &str = "obs_";

/// Longer than any secret this makes: a longer one is refused before it is hashed.
const MAX_SECRET_LEN: usize = 128;

/// The one answer for every session that does not work: no oracle for why.
const ENDED: &str = "the session is unknown or has ended (signed out, ended by an admin, or expired): sign in again";

/// Open sessions a user may hold; signing in beyond ends the oldest.
pub const MAX_SESSIONS_PER_USER: i64 = 20;

/// The most live sessions an admin's list shows.
pub const MAX_SESSION_LIST: i64 = 1000;

/// How long a session lives: `idle` without a request, `absolute` in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    /// A working day, signed out after half an hour away.
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// A session just opened: its secret is here once and nowhere else.
#[derive(Debug)]
pub struct NewSession {
    pub id: i64,
    pub user: String,
    pub role: Role,
    pub secret: Secret,
    pub expires_at: DateTime<Utc>,
    pub idle_timeout: Duration,
}

/// A live session as an admin lists it: never its secret nor its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionSummary {
    pub id: i64,
    pub user: String,
    pub role: String,
    pub source: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Backoffice {
    /// How long sessions opened from now on live (`serve` sets it from `config.toml`).
    pub fn with_session_policy(mut self, policy: SessionPolicy) -> Backoffice {
        self.sessions = policy;
        self
    }

    /// Signs in with name and password from `source` (the client's address) and opens a
    /// session. Refusals are the terminal's: one message for every wrong name, password or
    /// disabled account, slowed, and locked after repeated failures.
    pub async fn open_session(
        &self,
        name: &str,
        password: &Secret,
        source: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<NewSession, ServiceError> {
        let subject = auth::network_sign_in_subject(name, source);
        let actor = auth::sign_in_counted_as(&self.store, &subject, name, password, source).await?;
        let secret = new_secret(SESSION_PREFIX)?;
        let expires_at = now + self.sessions.absolute;
        let id = self
            .store
            .add_session(
                &actor.name,
                &secret_hash(secret.expose()),
                source,
                now,
                expires_at,
            )
            .await?;
        // A user's oldest sessions beyond the cap end: signing in again and again cannot
        // fill the table nor push others out of the admin's list.
        self.store
            .end_sessions_beyond(&actor.name, MAX_SESSIONS_PER_USER, now)
            .await?;
        tracing::info!(user = %actor.name, session = id, "session opened");
        Ok(NewSession {
            id,
            user: actor.name,
            role: actor.role,
            secret,
            expires_at,
            idle_timeout: self.sessions.idle,
        })
    }

    /// The actor a request with this secret acts as: a session's or an API token's user, with
    /// the role they have now.
    pub async fn authenticate(&self, secret: &str) -> Result<Actor, ServiceError> {
        if secret.starts_with(SESSION_PREFIX) {
            let session = self.live_session(secret, Utc::now(), Use::Noted).await?;
            return session_actor(&session);
        }
        self.authenticate_token(secret).await
    }

    /// `authenticate`, without counting as a session's use: an open event stream checks its
    /// caller every few seconds, and an unattended stream must not keep a session from
    /// going idle.
    pub async fn recheck(&self, secret: &str) -> Result<Actor, ServiceError> {
        if secret.starts_with(SESSION_PREFIX) {
            let session = self.live_session(secret, Utc::now(), Use::NotNoted).await?;
            return session_actor(&session);
        }
        self.authenticate_token(secret).await
    }

    /// Signs out: ends the session this secret belongs to.
    pub async fn close_session(&self, secret: &str) -> Result<(), ServiceError> {
        if !secret.starts_with(SESSION_PREFIX) {
            return Err(ServiceError::BadInput(
                "this is an API token, not a session: an admin revokes it with `orderboard token revoke`"
                    .into(),
            ));
        }
        let now = Utc::now();
        let session = self.live_session(secret, now, Use::NotNoted).await?;
        self.store
            .end_session(session.id, &session.user, now)
            .await?;
        tracing::info!(user = %session.user, session = session.id, "signed out");
        Ok(())
    }

    /// The live sessions, newest first (admin only).
    pub async fn sessions(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionSummary>, ServiceError> {
        Self::require(actor, Permission::ManageSessions)?;
        // Expired and disabled users' sessions are left out by the statement, before its
        // limit, so stale rows cannot crowd out live ones.
        let live = self
            .store
            .live_sessions(now, now - self.sessions.idle, MAX_SESSION_LIST)
            .await?;
        Ok(live
            .into_iter()
            .map(|s| SessionSummary {
                id: s.id,
                user: s.user,
                role: s.role,
                source: s.source,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                expires_at: s.expires_at,
            })
            .collect())
    }

    /// Ends one session (admin only): refused from its next request on, an open event stream
    /// included.
    pub async fn end_session(
        &self,
        actor: &Actor,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        Self::require(actor, Permission::ManageSessions)?;
        if !self.store.end_session(id, &actor.name, now).await? {
            return Err(ServiceError::Missing(format!("no session {id} is open")));
        }
        tracing::info!(session = id, by = %actor.name, "session ended by an admin");
        Ok(())
    }

    /// Ends every session of `user` (admin only); how many were open.
    pub async fn end_sessions_of(
        &self,
        actor: &Actor,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        Self::require(actor, Permission::ManageSessions)?;
        if self.store.user(user).await?.is_none() {
            return Err(super::users::no_such_user(user));
        }
        let ended = self.store.end_sessions_of(user, &actor.name, now).await?;
        tracing::info!(user = %display_safe(user), ended, by = %actor.name, "sessions ended by an admin");
        Ok(ended)
    }

    /// The live, unexpired session of a secret, its use noted; one refusal for all else.
    async fn live_session(
        &self,
        secret: &str,
        now: DateTime<Utc>,
        noted: Use,
    ) -> Result<SessionRecord, ServiceError> {
        let ended = || ServiceError::Unauthenticated(ENDED.to_string());
        if secret.len() > MAX_SECRET_LEN {
            return Err(ended());
        }
        let Some(session) = self.store.session(&secret_hash(secret)).await? else {
            return Err(ended());
        };
        // A session found expired, or its user disabled, is ended for good: enabling the
        // user again does not bring back the sessions they held.
        let end = if !self.still_good(&session, now) {
            Some("expired")
        } else if session.disabled {
            Some("disabled")
        } else {
            None
        };
        if let Some(reason) = end {
            self.store.end_session(session.id, reason, now).await?;
            return Err(ended());
        }
        if noted == Use::Noted {
            self.store
                .touch_session(&session, now, self.touch_every())
                .await?;
        }
        Ok(session)
    }

    /// Neither past its absolute end nor idle too long. (`last_used_at` is written at most
    /// every `touch_every`, so a session may end that much before its idle time is up.)
    fn still_good(&self, session: &SessionRecord, now: DateTime<Utc>) -> bool {
        now < session.expires_at && now - session.last_used_at < self.sessions.idle
    }

    /// How stale `last_used_at` may get: a minute (one write a minute for a busy client), or
    /// a quarter of the idle time when that is shorter, so that an active session is always
    /// noted well before it would count as idle.
    fn touch_every(&self) -> Duration {
        (self.sessions.idle / 4).min(Duration::minutes(1))
    }
}

fn session_actor(session: &SessionRecord) -> Result<Actor, ServiceError> {
    let role = session
        .role
        .parse()
        .map_err(|e| ServiceError::Internal(format!("user \"{}\": {e}", session.user)))?;
    Ok(Actor::new(session.user.clone(), role))
}

/// Whether a check counts as a session's use (and keeps it from going idle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    Noted,
    NotNoted,
}
