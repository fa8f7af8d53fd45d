//! Users: accounts, their roles, and the sign-in failure count.

macro_rules! user_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};

            use $crate::domain::Role;
            use $crate::store::rows::UserRow;
            use $crate::store::types::UserRecord;
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
                    let outcome = sqlx::query::<$db>(sql::INSERT_USER)
                        .bind(name)
                        .bind(role.as_str())
                        .bind(password_hash)
                        .bind(micros(now))
                        .execute(&self.pool)
                        .await;
                    match outcome {
                        Ok(_) => Ok(()),
                        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                            Err(StoreError::Duplicate(format!(
                                "a user named \"{name}\" already exists"
                            )))
                        }
                        Err(e) => Err(e.into()),
                    }
                }

                pub async fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
                    let row = sqlx::query_as::<$db, UserRow>(sql::SELECT_USER)
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(UserRow::into_record).transpose()
                }

                pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
                    let rows = sqlx::query_as::<$db, UserRow>(sql::SELECT_USERS)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.into_iter().map(UserRow::into_record).collect()
                }

                pub async fn count_failed_sign_in(&self, name: &str) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::COUNT_FAILED_SIGN_IN)
                        .bind(name)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                pub async fn reset_failed_sign_ins(&self, name: &str) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::RESET_FAILED_SIGN_INS)
                        .bind(name)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                /// Whether the user exists (and so was changed).
                pub async fn set_user_disabled(
                    &self,
                    name: &str,
                    disabled: bool,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query::<$db>(sql::SET_USER_DISABLED)
                        .bind(name)
                        .bind(disabled)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }
            }
        };
    };
}

pub(crate) use user_queries;
