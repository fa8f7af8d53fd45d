//! Users: accounts, their roles, the one bootstrap, and the sign-in limits.

use crate::store::StoreError;

/// A unique violation on a user's name (exact or without case) as the sentence users see.
pub(crate) fn duplicate_user(name: &str, error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Duplicate(format!(
            "a user named \"{name}\" already exists (names are unique regardless of case)"
        )),
        other => other.into(),
    }
}

macro_rules! user_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use sqlx::Transaction;

            use $crate::domain::Role;
            use $crate::store::rows::UserRow;
            use $crate::store::shared::users::duplicate_user;
            use $crate::store::types::{
                SignInCounts, SignInLimit, SignInLimits, UserChange, UserChangeOutcome, UserRecord,
            };
            use $crate::store::{StoreError, micros, sql};

            impl $store {
                pub async fn user_count(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar::<$db, i64>(sql::COUNT_USERS)
                        .fetch_one(&self.pool)
                        .await?)
                }

                pub async fn add_user(
                    &self,
                    name: &str,
                    role: Role,
                    password_hash: &str,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::INSERT_USER)
                        .bind(name)
                        .bind(role.as_str())
                        .bind(password_hash)
                        .bind(micros(now))
                        .execute(&mut *self.write_connection().await?)
                        .await
                        .map_err(|e| duplicate_user(name, e))?;
                    Ok(())
                }

                /// Adds the first user, only while there is none: the bootstrap row and the
                /// user commit together, and of concurrent callers exactly one gets `true`.
                pub async fn add_first_user(
                    &self,
                    name: &str,
                    role: Role,
                    password_hash: &str,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let now = micros(now);
                    let mut tx = self.begin_write().await?;
                    let claimed = sqlx::query::<$db>(sql::CLAIM_BOOTSTRAP)
                        .bind(name)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    if claimed.rows_affected() != 1 {
                        return Ok(false);
                    }
                    sqlx::query::<$db>(sql::INSERT_USER)
                        .bind(name)
                        .bind(role.as_str())
                        .bind(password_hash)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| duplicate_user(name, e))?;
                    tx.commit().await?;
                    Ok(true)
                }

                pub async fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
                    let row = sqlx::query_as::<$db, UserRow>(sql::SELECT_USER_WITH_LIMITS)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(UserRow::into_record).transpose()
                }

                pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
                    let rows = sqlx::query_as::<$db, UserRow>(sql::SELECT_USERS_WITH_LIMITS)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.into_iter().map(UserRow::into_record).collect()
                }

                /// Whether the user exists (and so was changed). No last-admin check: tests
                /// and tools; admins go through `change_user`.
                pub async fn set_user_disabled(
                    &self,
                    name: &str,
                    disabled: bool,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query::<$db>(sql::SET_USER_DISABLED)
                        .bind(name)
                        .bind(disabled)
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                /// Disables, enables or re-roles a user, refusing a change that would leave no
                /// enabled admin. Such changes lock the bootstrap row first, so two admins
                /// disabling each other at once are decided one after the other.
                pub async fn change_user(
                    &self,
                    name: &str,
                    change: UserChange,
                ) -> Result<UserChangeOutcome, StoreError> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query::<$db>(sql::LOCK_ADMIN_CHANGES)
                        .execute(&mut *tx)
                        .await?;
                    let Some(user) = sqlx::query_as::<$db, UserRow>(sql::SELECT_USER_WITH_LIMITS)
                        .bind(name)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(UserRow::into_record)
                        .transpose()?
                    else {
                        return Ok(UserChangeOutcome::NoSuchUser);
                    };
                    let stays_enabled_admin = match change {
                        UserChange::Disable => false,
                        UserChange::Enable => user.role == Role::Admin,
                        UserChange::SetRole(role) => role == Role::Admin && !user.disabled,
                    };
                    if user.role == Role::Admin && !user.disabled && !stays_enabled_admin {
                        let others =
                            sqlx::query_scalar::<$db, i64>(sql::COUNT_OTHER_ENABLED_ADMINS)
                                .bind(name)
                                .fetch_one(&mut *tx)
                                .await?;
                        if others == 0 {
                            return Ok(UserChangeOutcome::LastEnabledAdmin);
                        }
                    }
                    let statement = match change {
                        UserChange::Disable => sqlx::query::<$db>(sql::SET_USER_DISABLED)
                            .bind(name)
                            .bind(true),
                        UserChange::Enable => sqlx::query::<$db>(sql::SET_USER_DISABLED)
                            .bind(name)
                            .bind(false),
                        UserChange::SetRole(role) => sqlx::query::<$db>(sql::SET_USER_ROLE)
                            .bind(name)
                            .bind(role.as_str()),
                    };
                    statement.execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(UserChangeOutcome::Changed)
                }

                /// Counts a sign-in attempt before its password is checked, for the user name
                /// given (`subject`, known or not) and the source when there is one, and takes
                /// the name's lease; returns the counts, this attempt included, or None while
                /// another attempt holds the lease. Old idle counters are pruned here.
                pub async fn record_sign_in_attempt(
                    &self,
                    subject: &str,
                    source: Option<&str>,
                    now: DateTime<Utc>,
                    limits: &SignInLimits,
                ) -> Result<Option<SignInCounts>, StoreError> {
                    let now = micros(now);
                    let mut tx = self.begin_write().await?;
                    let lease = Some(now + limits.lease);
                    let Some(user) = Self::count_sign_in_attempt(
                        &mut tx,
                        "user",
                        subject,
                        now,
                        &limits.user,
                        lease,
                    )
                    .await?
                    else {
                        return Ok(None);
                    };
                    let source = match source {
                        Some(source) => {
                            Self::count_sign_in_attempt(
                                &mut tx,
                                "source",
                                source,
                                now,
                                &limits.source,
                                None,
                            )
                            .await?
                        }
                        None => None,
                    };
                    sqlx::query::<$db>(sql::PRUNE_SIGN_IN_LIMITS)
                        .bind(now - limits.retention)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Some(SignInCounts { user, source }))
                }

                async fn count_sign_in_attempt(
                    tx: &mut Transaction<'static, $db>,
                    kind: &str,
                    subject: &str,
                    now: DateTime<Utc>,
                    limit: &SignInLimit,
                    lease: Option<DateTime<Utc>>,
                ) -> Result<Option<i64>, StoreError> {
                    Ok(sqlx::query_scalar::<$db, i64>(sql::COUNT_SIGN_IN_ATTEMPT)
                        .bind(kind)
                        .bind(subject)
                        .bind(now)
                        .bind(now - limit.window)
                        .bind(limit.threshold)
                        .bind(now + limit.lock)
                        .bind(lease)
                        .fetch_optional(&mut **tx)
                        .await?)
                }

                /// After a failed attempt: the next one for the name may go; the count stays.
                pub async fn release_sign_in_lease(&self, subject: &str) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::RELEASE_SIGN_IN_LEASE)
                        .bind(subject)
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(())
                }

                /// After a successful sign-in: the user's counter goes, the source keeps only
                /// its failures.
                pub async fn clear_sign_in_failures(
                    &self,
                    subject: &str,
                    source: Option<&str>,
                ) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query::<$db>(sql::CLEAR_USER_SIGN_IN_FAILURES)
                        .bind(subject)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(source) = source {
                        sqlx::query::<$db>(sql::FORGIVE_SOURCE_ATTEMPT)
                            .bind(source)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use user_queries;
