//! Users: the bootstrap admin, adding users, and an admin's list, changes and unlocks.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Backoffice, ServiceError};
use crate::auth::{self, Secret};
use crate::domain::access::Permission;
use crate::domain::{Actor, Role};
use crate::store::{StoreError, UserChange, UserChangeOutcome};

/// Longest user or token name: short enough for every column it is printed in.
const MAX_NAME: usize = 64;

/// A user as an admin sees them: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct UserSummary {
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub failed_sign_ins: i64,
    /// Set while too many failed sign-ins keep the account locked.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The timer's actor (`Actor::system`): no user may take its name.
const RESERVED_USER_NAME: &str = "system";

impl Backoffice {
    /// Whether the database has no users yet (a fresh database, before the bootstrap admin).
    pub async fn is_fresh(&self) -> Result<bool, ServiceError> {
        Ok(self.store.user_count().await? == 0)
    }

    /// Adds a user. With no users yet, the first one must be an admin and needs no actor;
    /// of concurrent first users exactly one is added, the others are refused.
    pub async fn add_user(
        &self,
        actor: Option<&Actor>,
        name: &str,
        role: Role,
        password: &Secret,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let bootstrap = self.is_fresh().await?;
        if bootstrap {
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
        let duplicate = |error| match error {
            StoreError::Duplicate(message) => ServiceError::BadInput(message),
            other => other.into(),
        };
        if bootstrap {
            // Fresh a moment ago; the store decides atomically who is first.
            let first = self
                .store
                .add_first_user(name, role, &hash, now)
                .await
                .map_err(duplicate)?;
            if !first {
                return Err(ServiceError::NotPermitted(
                    "another first user was added at the same moment: adding a user now needs --as an admin"
                        .into(),
                ));
            }
        } else {
            self.store
                .add_user(name, role, &hash, now)
                .await
                .map_err(duplicate)?;
        }
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
            // Someone viewed by an admin stays viewed (read-only) in the answer.
            .map(|user| Actor {
                viewed_by: actor.viewed_by.clone(),
                ..Actor::new(user.name, user.role)
            }))
    }

    /// Disables a user: they can no longer sign in, and their API sessions end (enabling them
    /// again does not bring those back). Never the last enabled admin.
    pub async fn disable_user(&self, actor: &Actor, name: &str) -> Result<(), ServiceError> {
        self.change_user(actor, name, UserChange::Disable).await?;
        self.store
            .end_sessions_of(name, &actor.name, chrono::Utc::now())
            .await?;
        Ok(())
    }

    pub async fn enable_user(&self, actor: &Actor, name: &str) -> Result<(), ServiceError> {
        self.change_user(actor, name, UserChange::Enable).await
    }

    /// Gives a user another role. Never demotes the last enabled admin.
    pub async fn set_user_role(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
    ) -> Result<(), ServiceError> {
        self.change_user(actor, name, UserChange::SetRole(role))
            .await
    }

    /// Lifts a sign-in lock and forgets the user's failed sign-ins.
    pub async fn unlock_user(&self, actor: &Actor, name: &str) -> Result<(), ServiceError> {
        Self::require(actor, Permission::ManageUsers)?;
        if self.store.user(name).await?.is_none() {
            return Err(no_such_user(name));
        }
        self.store
            .clear_sign_in_failures(&crate::store::sign_in_subject(name), None)
            .await?;
        // The API's failures behind a proxy (per address, they run out by themselves).
        self.store
            .clear_sign_in_failures(&crate::auth::network_sign_in_subject(name, None), None)
            .await?;
        tracing::info!(user = name, by = %actor.name, "user unlocked");
        Ok(())
    }

    async fn change_user(
        &self,
        actor: &Actor,
        name: &str,
        change: UserChange,
    ) -> Result<(), ServiceError> {
        Self::require(actor, Permission::ManageUsers)?;
        match self.store.change_user(name, change).await? {
            UserChangeOutcome::Changed => {
                tracing::info!(user = name, by = %actor.name, ?change, "user changed");
                Ok(())
            }
            UserChangeOutcome::NoSuchUser => Err(no_such_user(name)),
            UserChangeOutcome::LastEnabledAdmin => Err(ServiceError::NotPermitted(format!(
                "{} is the last enabled admin: enable or add another admin first",
                crate::domain::text::display_safe(name)
            ))),
        }
    }

    /// The named user as the actor they sign in as, for an admin to see the board as they do
    /// (read-only: the TUI never applies anything as them). Disabled users see nothing.
    pub async fn actor_to_view_as(&self, admin: &Actor, name: &str) -> Result<Actor, ServiceError> {
        Self::require(admin, Permission::ViewAs)?;
        super::check_name(name)?;
        let user = self
            .store
            .user(name)
            .await?
            .ok_or_else(|| no_such_user(name))?;
        if user.disabled {
            return Err(ServiceError::BadInput(format!(
                "{} is disabled and sees nothing",
                crate::domain::text::display_safe(&user.name)
            )));
        }
        Ok(Actor {
            viewed_by: Some(admin.name.clone()),
            ..Actor::new(user.name, user.role)
        })
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
        // Locks run on the wall clock, as sign-in does.
        let now = Utc::now();
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
                // A lock that has run out is no lock; the next attempt restarts the count.
                locked_until: u.locked_until.filter(|until| *until > now),
            })
            .collect())
    }
}

pub(super) fn no_such_user(name: &str) -> ServiceError {
    ServiceError::BadInput(format!(
        "no user is named \"{}\"",
        crate::domain::text::display_safe(name)
    ))
}

/// User names: letters, digits, '.', '-' and '_', up to 64, so they are safe everywhere; not
/// `system` in any case. (Unique regardless of case: the database's index checks that.)
pub fn validate_user_name(name: &str) -> Result<(), ServiceError> {
    if name.eq_ignore_ascii_case(RESERVED_USER_NAME) {
        return Err(ServiceError::BadInput(format!(
            "the user name \"{RESERVED_USER_NAME}\" is reserved for the timer's actor"
        )));
    }
    if is_plain_name(name) {
        Ok(())
    } else {
        Err(ServiceError::BadInput(format!(
            "user name \"{}\" must be 1 to 64 letters, digits, '.', '-' or '_'",
            crate::domain::text::display_safe(name)
        )))
    }
}

/// 1 to 64 letters, digits, '.', '-' and '_': safe in every column, URL and log line. User
/// names and API token names both follow it.
pub(super) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}
