//! API tokens (stored as hashes) and the idempotency keys of the API's order creation.

use crate::store::StoreError;

/// A unique violation on a token's name (or, astronomically unlikely, its hash).
pub(crate) fn duplicate_token(name: &str, error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            StoreError::Duplicate(format!("an API token named \"{name}\" already exists"))
        }
        other => other.into(),
    }
}

macro_rules! token_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Duration, Utc};

            use $crate::store::shared::tokens::duplicate_token;
            use $crate::store::types::{StoredResponse, TokenRecord, TokenUse};
            use $crate::store::{StoreError, micros, sql};

            /// How stale `last_used_at` may get: one write per token and minute at most.
            const TOUCH_EVERY: Duration = Duration::minutes(1);

            impl $store {
                pub async fn add_token(
                    &self,
                    name: &str,
                    user: &str,
                    token_hash: &str,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::INSERT_TOKEN)
                        .bind(name)
                        .bind(user)
                        .bind(token_hash)
                        .bind(micros(now))
                        .execute(&mut *self.write_connection().await?)
                        .await
                        .map_err(|e| duplicate_token(name, e))?;
                    Ok(())
                }

                pub async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
                    Ok(sqlx::query_as::<$db, TokenRecord>(sql::SELECT_TOKENS)
                        .fetch_all(&self.pool)
                        .await?)
                }

                /// Whether a token has this name, revoked or not.
                pub async fn token_exists(&self, name: &str) -> Result<bool, StoreError> {
                    Ok(sqlx::query_scalar::<$db, i64>(sql::COUNT_TOKENS_NAMED)
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await?
                        > 0)
                }

                /// Whether a live token was revoked now (false: none, or revoked before).
                pub async fn revoke_token(
                    &self,
                    name: &str,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query::<$db>(sql::REVOKE_TOKEN)
                        .bind(name)
                        .bind(micros(now))
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                /// The live (not revoked) token with this hash and its user, its use noted.
                pub async fn use_token(
                    &self,
                    token_hash: &str,
                    now: DateTime<Utc>,
                ) -> Result<Option<TokenUse>, StoreError> {
                    let token = sqlx::query_as::<$db, TokenUse>(sql::SELECT_LIVE_TOKEN_USE)
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                    // Written at most once a minute: most requests only read. (The statement
                    // repeats the condition, so two requests at once write once.)
                    let stale = token.as_ref().is_some_and(|t| {
                        t.token.last_used_at.is_none_or(|at| at < now - TOUCH_EVERY)
                    });
                    if stale {
                        let now = micros(now);
                        let touched = match self.write_connection().await {
                            Ok(mut connection) => sqlx::query::<$db>(sql::TOUCH_TOKEN)
                                .bind(token_hash)
                                .bind(now)
                                .bind(now - TOUCH_EVERY)
                                .execute(&mut *connection)
                                .await
                                .map_err(StoreError::from),
                            Err(error) => Err(error),
                        };
                        // A note of use is not worth refusing the request for: when another
                        // writer holds the database (SQLite) or the row past the lock wait,
                        // the next use notes it.
                        match touched {
                            Err(error) if error.is_busy() => {
                                tracing::info!(%error, "token use not noted this time");
                            }
                            other => {
                                other?;
                            }
                        }
                    }
                    Ok(token)
                }

                /// Claims the user's key for a first request (`None`), or returns what the
                /// key holds: the first response, or nothing yet while that request runs.
                pub async fn claim_idempotency_key(
                    &self,
                    user: &str,
                    key: &str,
                    now: DateTime<Utc>,
                ) -> Result<Option<StoredResponse>, StoreError> {
                    let claimed = sqlx::query_scalar::<$db, String>(sql::CLAIM_IDEMPOTENCY_KEY)
                        .bind(user)
                        .bind(key)
                        .bind(micros(now))
                        .fetch_optional(&mut *self.write_connection().await?)
                        .await?;
                    if claimed.is_some() {
                        return Ok(None);
                    }
                    let stored =
                        sqlx::query_as::<$db, StoredResponse>(sql::SELECT_IDEMPOTENT_RESPONSE)
                            .bind(user)
                            .bind(key)
                            .fetch_optional(&self.pool)
                            .await?;
                    // Released between the two statements: report it as still running.
                    Ok(Some(stored.unwrap_or(StoredResponse {
                        status: None,
                        body: None,
                        location: None,
                    })))
                }

                pub async fn complete_idempotency_key(
                    &self,
                    user: &str,
                    key: &str,
                    response: &StoredResponse,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::COMPLETE_IDEMPOTENCY_KEY)
                        .bind(user)
                        .bind(key)
                        .bind(response.status)
                        .bind(response.body.as_deref())
                        .bind(response.location.as_deref())
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(())
                }

                pub async fn release_idempotency_key(
                    &self,
                    user: &str,
                    key: &str,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::RELEASE_IDEMPOTENCY_KEY)
                        .bind(user)
                        .bind(key)
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use token_queries;
