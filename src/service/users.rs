//! Users: the bootstrap admin, adding users, listing them for an admin.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Backoffice, ServiceError};
use crate::auth::{self, Secret};
use crate::domain::access::Permission;
use crate::domain::{Actor, Role};
use crate::store::StoreError;

/// Longest user name: short enough for every column it is printed in.
const MAX_USER_NAME: usize = 64;

/// A user as an admin sees them: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub failed_sign_ins: i64,
}

impl Backoffice {
    /// Whether the database has no users yet (a fresh database, before the bootstrap admin).
    pub async fn is_fresh(&self) -> Result<bool, ServiceError> {
        Ok(self.store.user_count().await? == 0)
    }

    /// Adds a user. With no users yet, the first one must be an admin and needs no actor.
    pub async fn add_user(
        &self,
        actor: Option<&Actor>,
        name: &str,
        role: Role,
        password: &Secret,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if self.is_fresh().await? {
            if role != Role::Admin {
                return Err(ServiceError::BadInput(
                    "the first user must be an admin (--role admin)".into(),
                ));
            }
        } else {
            let actor = actor.ok_or_else(|| {
                ServiceError::NotPermitted("adding a user needs --as an admin".into())
            })?;
            Self::require(actor, Permission::AddUsers)?;
        }
        validate_user_name(name)?;
        if password.expose().chars().count() < auth::MIN_PASSWORD_LENGTH {
            return Err(ServiceError::BadInput(format!(
                "the password must be at least {} characters",
                auth::MIN_PASSWORD_LENGTH
            )));
        }
        let hash = auth::hash_password(password)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.store
            .add_user(name, role, &hash, now)
            .await
            .map_err(|error| match error {
                StoreError::Duplicate(message) => ServiceError::BadInput(message),
                other => other.into(),
            })?;
        tracing::info!(user = name, %role, "user added");
        Ok(())
    }

    /// The actor as the database has them now: `None` once disabled or gone, their current
    /// role otherwise. Open screens ask this to follow a change an admin just made.
    pub async fn standing(&self, actor: &Actor) -> Result<Option<Actor>, ServiceError> {
        if *actor == Actor::system_clock() {
            return Ok(Some(actor.clone()));
        }
        Ok(self
            .store
            .user(&actor.name)
            .await?
            .filter(|user| !user.disabled)
            .map(|user| Actor::new(user.name, user.role)))
    }

    /// Every user, for an admin.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserSummary>, ServiceError> {
        Self::require(actor, Permission::ListUsers)?;
        self.enabled_and_disabled_users().await
    }

    /// Everyone who can act, for synthetic walks (an admin's seeding).
    pub async fn seed_actors(&self, actor: &Actor) -> Result<Vec<Actor>, ServiceError> {
        Self::require(actor, Permission::Seed)?;
        Ok(self
            .enabled_and_disabled_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| Actor::new(u.name, u.role))
            .collect())
    }

    /// Of these names, the ones that exist with the given role: the demo's login screen lists
    /// its sign-ins only where the demo made them.
    pub async fn existing_demo_users(
        &self,
        wanted: &[(&str, Role)],
    ) -> Result<Vec<(String, Role)>, ServiceError> {
        let mut found = Vec::new();
        for (name, role) in wanted {
            if let Some(user) = self.store.user(name).await?
                && user.role == *role
            {
                found.push((user.name, user.role));
            }
        }
        Ok(found)
    }

    async fn enabled_and_disabled_users(&self) -> Result<Vec<UserSummary>, ServiceError> {
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| UserSummary {
                name: u.name,
                role: u.role,
                disabled: u.disabled,
                failed_sign_ins: u.failed_sign_ins,
            })
            .collect())
    }
}

/// User names: letters, digits, '.', '-' and '_', up to 64, so they are safe everywhere.
pub fn validate_user_name(name: &str) -> Result<(), ServiceError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_USER_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(ServiceError::BadInput(format!(
            "user name \"{}\" must be 1 to 64 letters, digits, '.', '-' or '_'",
            crate::domain::text::display_safe(name)
        )))
    }
}
