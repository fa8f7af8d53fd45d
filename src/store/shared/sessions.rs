//! Sign-in sessions of the API, stored as hashes. Whether a live session has expired (idle or
//! absolute) is the service's judgement, made on the times read here.

macro_rules! session_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Duration, Utc};

            use $crate::store::types::SessionRecord;
            use $crate::store::{StoreError, micros, sql};

            impl $store {
                /// Records a new session; its id.
                pub async fn add_session(
                    &self,
                    user: &str,
                    token_hash: &str,
                    source: Option<&str>,
                    now: DateTime<Utc>,
                    expires_at: DateTime<Utc>,
                ) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar::<$db, i64>(sql::INSERT_SESSION)
                        .bind(user)
                        .bind(token_hash)
                        .bind(source)
                        .bind(micros(now))
                        .bind(micros(expires_at))
                        .fetch_one(&mut *self.write_connection().await?)
                        .await?)
                }

                /// The live session with this hash and its user's standing. Reading does not
                /// note a use: the service calls `touch_session` only for a session still
                /// good, so an expired one is not kept alive by being presented.
                pub async fn session(
                    &self,
                    token_hash: &str,
                ) -> Result<Option<SessionRecord>, StoreError> {
                    Ok(
                        sqlx::query_as::<$db, SessionRecord>(sql::SELECT_LIVE_SESSION_USE)
                            .bind(token_hash)
                            .fetch_optional(&self.pool)
                            .await?,
                    )
                }

                /// Notes a use of a session unless one was noted within `every` (two requests
                /// at once write once, as the statement repeats the condition).
                pub async fn touch_session(
                    &self,
                    session: &SessionRecord,
                    now: DateTime<Utc>,
                    every: Duration,
                ) -> Result<(), StoreError> {
                    if session.last_used_at >= now - every {
                        return Ok(());
                    }
                    let now = micros(now);
                    sqlx::query::<$db>(sql::TOUCH_SESSION)
                        .bind(session.id)
                        .bind(now)
                        .bind(now - every)
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(())
                }

                /// Ends a live session; false when there is none with this id.
                pub async fn end_session(
                    &self,
                    id: i64,
                    by: &str,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query::<$db>(sql::END_SESSION)
                        .bind(id)
                        .bind(micros(now))
                        .bind(by)
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                /// Ends `user`'s oldest open sessions beyond the newest `keep`.
                pub async fn end_sessions_beyond(
                    &self,
                    user: &str,
                    keep: i64,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::END_SESSIONS_BEYOND)
                        .bind(user)
                        .bind(micros(now))
                        .bind(keep)
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(())
                }

                /// Ends every live session of `user`; how many.
                pub async fn end_sessions_of(
                    &self,
                    user: &str,
                    by: &str,
                    now: DateTime<Utc>,
                ) -> Result<u64, StoreError> {
                    let done = sqlx::query::<$db>(sql::END_SESSIONS_OF)
                        .bind(user)
                        .bind(micros(now))
                        .bind(by)
                        .execute(&mut *self.write_connection().await?)
                        .await?;
                    Ok(done.rows_affected())
                }

                /// The newest sessions not ended, not past their end at `now`, used since
                /// `idle_since`, of enabled users; at most `limit`.
                pub async fn live_sessions(
                    &self,
                    now: DateTime<Utc>,
                    idle_since: DateTime<Utc>,
                    limit: i64,
                ) -> Result<Vec<SessionRecord>, StoreError> {
                    Ok(
                        sqlx::query_as::<$db, SessionRecord>(sql::SELECT_LIVE_SESSIONS)
                            .bind(micros(now))
                            .bind(micros(idle_since))
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?,
                    )
                }
            }
        };
    };
}

pub(crate) use session_queries;
