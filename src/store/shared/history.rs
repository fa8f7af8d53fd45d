//! What happened to orders: each order's history, refused attempts, ledger and effects, and
//! the feed of transitions across orders.

macro_rules! history_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use $crate::domain::{OrderId, Visibility};
            use $crate::store::rows::{FeedRow, HistoryRow};
            use $crate::store::types::{
                Attempt, EffectRecord, ExplorerCursor, ExplorerEntry, ExplorerFilter, FeedEvent,
                HistoryEntry, LedgerRow,
            };
            use $crate::store::{StoreError, end_of_time, micros, sql, visibility_binds};

            impl $store {
                /// Rows of one order, oldest first, turned into their application type.
                async fn rows_of_order<R, T>(
                    &self,
                    sql: &'static str,
                    order_id: OrderId,
                ) -> Result<Vec<T>, StoreError>
                where
                    R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                    T: From<R>,
                {
                    let rows = sqlx::query_as::<$db, R>(sql)
                        .bind(order_id)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows.into_iter().map(T::from).collect())
                }

                pub async fn history(
                    &self,
                    order_id: OrderId,
                ) -> Result<Vec<HistoryEntry>, StoreError> {
                    self.rows_of_order::<HistoryRow, _>(sql::SELECT_HISTORY, order_id)
                        .await
                }

                /// The history explorer's page after `cursor`, newest first.
                pub async fn explore(
                    &self,
                    filter: &ExplorerFilter,
                    cursor: Option<ExplorerCursor>,
                    limit: i64,
                ) -> Result<Vec<ExplorerEntry>, StoreError> {
                    Ok(sqlx::query_as::<$db, ExplorerEntry>(sql::EXPLORE_HISTORY)
                        .bind(filter.actor.as_deref())
                        .bind(filter.role.as_deref())
                        .bind(filter.event.as_deref())
                        .bind(filter.state.as_deref())
                        .bind(filter.workflow.as_deref())
                        .bind(filter.since.map(micros))
                        .bind(filter.until.map(micros))
                        // No cursor: from the end of time, after every kind and id.
                        .bind(cursor.map_or_else(end_of_time, |c| c.at))
                        .bind(cursor.map_or(2, |c| c.source))
                        .bind(cursor.map_or(i64::MAX, |c| c.id))
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?)
                }

                pub async fn attempts(
                    &self,
                    order_id: OrderId,
                ) -> Result<Vec<Attempt>, StoreError> {
                    self.rows_of_order::<Attempt, _>(sql::SELECT_ATTEMPTS, order_id)
                        .await
                }

                pub async fn ledger(
                    &self,
                    order_id: OrderId,
                ) -> Result<Vec<LedgerRow>, StoreError> {
                    self.rows_of_order::<LedgerRow, _>(sql::SELECT_LEDGER, order_id)
                        .await
                }

                pub async fn effects(
                    &self,
                    order_id: OrderId,
                ) -> Result<Vec<EffectRecord>, StoreError> {
                    self.rows_of_order::<EffectRecord, _>(sql::SELECT_EFFECTS, order_id)
                        .await
                }

                pub async fn feed_after(
                    &self,
                    after_id: i64,
                    visibility: &Visibility,
                    limit: i64,
                ) -> Result<Vec<FeedEvent>, StoreError> {
                    let (customer, seller) = visibility_binds(visibility);
                    let rows = sqlx::query_as::<$db, FeedRow>(Self::FEED_AFTER)
                        .bind(after_id)
                        .bind(customer)
                        .bind(seller)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows.into_iter().map(FeedRow::into_event).collect())
                }

                /// The newest events (before `before`, when given), newest first.
                pub async fn recent_feed(
                    &self,
                    visibility: &Visibility,
                    before: Option<i64>,
                    limit: i64,
                ) -> Result<Vec<FeedEvent>, StoreError> {
                    let (customer, seller) = visibility_binds(visibility);
                    let rows = sqlx::query_as::<$db, FeedRow>(sql::FEED_RECENT)
                        .bind(customer)
                        .bind(seller)
                        .bind(limit)
                        .bind(before)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(rows.into_iter().map(FeedRow::into_event).collect())
                }

                /// Where a new follower starts: every event after it is delivered.
                pub async fn latest_history_id(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar::<$db, i64>(Self::FEED_HEAD)
                        .fetch_one(&self.pool)
                        .await?)
                }
            }
        };
    };
}

pub(crate) use history_queries;
