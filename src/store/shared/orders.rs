//! Orders: creating one, reading one, and the board's lists and counts.

/// Ids bound in one `IN (...)` list: well under SQLite's and PostgreSQL's parameter limits.
pub(crate) const ORDERS_PER_QUERY: usize = 500;

/// `head`, the ids as bound parameters separated by commas, then `tail`: a statement over
/// an `IN (...)` list (give at most `ORDERS_PER_QUERY` ids).
pub(crate) fn ids_in<DB: sqlx::Database>(
    head: &str,
    ids: &[i64],
    tail: &str,
) -> sqlx::QueryBuilder<DB>
where
    <DB as sqlx::Database>::Arguments: Default,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::QueryBuilder::new(head);
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(tail);
    query
}

macro_rules! order_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};

            use $crate::domain::search::{Match, TextFilter};
            use $crate::domain::{Order, OrderId, OrderSort, SortKey, Visibility};
            use $crate::store::rows::{MatchRow, OrderRow};
            use $crate::store::shared::json_text;
            use $crate::store::shared::orders::{ORDERS_PER_QUERY, ids_in};
            use $crate::store::types::{DueTimer, NewOrder, OrderQuery, TimerPosition};
            use $crate::store::{StoreError, by_visibility, micros, sql, visibility_binds};

            impl $store {
                /// The statements for a text filter, and its binds: the search text (as this
                /// backend's index takes it) and the order number.
                fn listing_for(
                    text: Option<&str>,
                    visibility: &Visibility,
                ) -> (&'static sql::ListingSql, Option<String>, Option<i64>) {
                    match TextFilter::of(text) {
                        TextFilter::Everything => (&sql::UNMATCHED, None, None),
                        TextFilter::Number(id) => (&sql::BY_NUMBER, None, Some(id)),
                        TextFilter::Contains(text) => (
                            Self::CONTAINS,
                            Some(Self::search_text(text, visibility)),
                            None,
                        ),
                    }
                }

                pub async fn ping(&self) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::PING).execute(&self.pool).await?;
                    Ok(())
                }

                pub async fn create_order(&self, new: &NewOrder) -> Result<OrderId, StoreError> {
                    let now = micros(new.now);
                    let attrs = json_text(&new.attrs)?;
                    let (timer_event, timer_due) = new
                        .timer
                        .as_ref()
                        .map(|(event, due)| (event.clone(), micros(*due)))
                        .unzip();
                    let mut tx = self.begin_write().await?;
                    let id = sqlx::query_scalar::<$db, i64>(sql::INSERT_ORDER)
                        .bind(&new.workflow)
                        .bind(&new.state)
                        .bind(&new.customer)
                        .bind(&new.seller)
                        .bind(&new.title)
                        .bind(new.amount_cents)
                        .bind(&new.currency)
                        .bind(micros(new.placed_at))
                        .bind(new.due_at.map(micros))
                        .bind(now)
                        .bind(timer_event)
                        .bind(timer_due)
                        .bind(attrs)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                    if let Some(index) = Self::INDEX_ORDER_TEXT {
                        let mut insert = sqlx::QueryBuilder::<$db>::new(index);
                        insert.push_values([new], |mut row, new| {
                            row.push_bind(id)
                                .push_bind(&new.title)
                                .push_bind(&new.customer)
                                .push_bind(&new.seller);
                        });
                        insert.build().execute(&mut *tx).await?;
                    }
                    // The creation joins the feed, announced like a transition after the
                    // commit, so open boards add the card at once.
                    sqlx::query::<$db>(sql::INSERT_CREATION)
                        .bind(id)
                        .bind(now)
                        .bind(&new.created_by.name)
                        .bind(new.created_by.role.as_str())
                        .bind(&new.state)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    self.announce_committed();
                    Ok(id)
                }

                /// The orders among `ids` that exist, in no particular order: one query per
                /// few hundred ids instead of one per order.
                pub async fn orders_by_ids(
                    &self,
                    ids: &[OrderId],
                ) -> Result<Vec<Order>, StoreError> {
                    let mut orders = Vec::with_capacity(ids.len());
                    for chunk in ids.chunks(ORDERS_PER_QUERY) {
                        let mut query = ids_in::<$db>(sql::SELECT_ORDERS_IN, chunk, ")");
                        let rows = query
                            .build_query_as::<OrderRow>()
                            .fetch_all(&self.pool)
                            .await?;
                        for row in rows {
                            orders.push(row.into_order()?);
                        }
                    }
                    Ok(orders)
                }

                pub async fn order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
                    Self::fetch_order(&self.pool, id).await
                }

                /// One order, read through the pool or inside a transaction.
                async fn fetch_order<'e>(
                    executor: impl sqlx::Executor<'e, Database = $db>,
                    id: OrderId,
                ) -> Result<Option<Order>, StoreError> {
                    let row = sqlx::query_as::<$db, OrderRow>(sql::SELECT_ORDER)
                        .bind(id)
                        .fetch_optional(executor)
                        .await?;
                    row.map(OrderRow::into_order).transpose()
                }

                pub async fn list_orders(
                    &self,
                    visibility: &Visibility,
                    query: &OrderQuery,
                ) -> Result<Vec<Order>, StoreError> {
                    let (customer, seller) = visibility_binds(visibility);
                    let (listing, pattern, exact_id) =
                        Self::listing_for(query.text.as_deref(), visibility);
                    // A board column (workflow and state given) has its own index-driven query,
                    // one per sort; lists page by id.
                    let column = query.workflow.is_some() && query.state.is_some();
                    let sort = if column { query.sort } else { OrderSort::Id };
                    let sql = if column {
                        let pages = match visibility {
                            Visibility::Everything => listing.pages[0],
                            Visibility::CustomerIs(_) => listing.pages[1],
                            Visibility::SellerIs(_) => listing.pages[2],
                        };
                        pages[sort as usize]
                    } else {
                        listing.list
                    };
                    let page = sqlx::query_as::<$db, OrderRow>(sql)
                        .bind(customer)
                        .bind(seller)
                        .bind(query.workflow.as_deref())
                        .bind(query.state.as_deref())
                        .bind(query.due_before.map(micros))
                        .bind(pattern)
                        .bind(exact_id)
                        .bind(query.after_id.unwrap_or(0))
                        .bind(query.limit)
                        .bind(query.acted_by.as_deref())
                        .bind(i32::from(query.needs_attention));
                    // The cursor's key, typed as its column; the due date's part of the column.
                    let page = match (sort, query.after_key) {
                        (OrderSort::Id, _) => page,
                        (OrderSort::Due, Some(SortKey::Due(due))) => page
                            .bind(due.map(micros))
                            .bind(if due.is_some() { 1i32 } else { 2 }),
                        (OrderSort::Due, _) => page.bind(None::<DateTime<Utc>>).bind(0i32),
                        (OrderSort::Age, Some(SortKey::Age(at))) => page.bind(Some(micros(at))),
                        (OrderSort::Age, _) => page.bind(None::<DateTime<Utc>>),
                        (OrderSort::Amount, Some(SortKey::Amount(cents))) => page.bind(Some(cents)),
                        (OrderSort::Amount, _) => page.bind(None::<i64>),
                    };
                    let rows = page.fetch_all(&self.pool).await?;
                    rows.into_iter().map(OrderRow::into_order).collect()
                }

                /// Per-state counts for one workflow under the query's filters (its state and
                /// paging are ignored).
                pub async fn count_by_state(
                    &self,
                    workflow: &str,
                    visibility: &Visibility,
                    query: &OrderQuery,
                ) -> Result<Vec<(String, i64)>, StoreError> {
                    let (customer, seller) = visibility_binds(visibility);
                    let (listing, pattern, exact_id) =
                        Self::listing_for(query.text.as_deref(), visibility);
                    let filtered = pattern.is_some()
                        || exact_id.is_some()
                        || query.due_before.is_some()
                        || query.acted_by.is_some()
                        || query.needs_attention;
                    if !filtered {
                        let sql = by_visibility(
                            visibility,
                            [sql::COUNT_ALL, sql::COUNT_CUSTOMER, sql::COUNT_SELLER],
                        );
                        return Ok(sqlx::query_as::<$db, (String, i64)>(sql)
                            .bind(workflow)
                            .bind(customer)
                            .bind(seller)
                            .fetch_all(&self.pool)
                            .await?);
                    }
                    let sql = by_visibility(visibility, listing.counts);
                    Ok(sqlx::query_as::<$db, (String, i64)>(sql)
                        .bind(workflow)
                        .bind(customer)
                        .bind(seller)
                        .bind(pattern)
                        .bind(exact_id)
                        .bind(query.due_before.map(micros))
                        .bind(query.acted_by.as_deref())
                        .bind(i32::from(query.needs_attention))
                        .fetch_all(&self.pool)
                        .await?)
                }

                /// The orders the visibility shows that match `text` and the query's filters
                /// (its workflow, state and paging are ignored) with ids in `ids` (from, and
                /// below; `None`: unbounded), in the order `sql` gives (one of the backend's
                /// match-set statements), at most `limit` of them.
                async fn matches_in(
                    &self,
                    sql: &'static str,
                    visibility: &Visibility,
                    text: &str,
                    query: &OrderQuery,
                    ids: (Option<OrderId>, Option<OrderId>),
                    limit: usize,
                ) -> Result<Vec<Match>, StoreError> {
                    let (customer, seller) = visibility_binds(visibility);
                    // Not a prepared statement kept for reuse: PostgreSQL would soon plan it
                    // once for any text, and the plan that suits a common text (read the
                    // newest orders until enough match) reads every order for a rare one.
                    // An unnamed statement is planned for the text it is given.
                    let found = sqlx::query_as::<$db, MatchRow>(sql)
                        .persistent(false)
                        .bind(customer)
                        .bind(seller)
                        .bind(Self::search_text(text, visibility))
                        .bind(query.due_before.map(micros))
                        .bind(query.acted_by.as_deref())
                        .bind(i32::from(query.needs_attention))
                        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                        .bind(ids.0)
                        .bind(ids.1)
                        .fetch_all(&self.pool)
                        .await?;
                    Ok(found.into_iter().map(Match::from).collect())
                }

                /// How many orders match `text` in each workflow (those with none left out),
                /// in one statement.
                pub async fn matches_per_workflow(
                    &self,
                    visibility: &Visibility,
                    text: &str,
                ) -> Result<Vec<(String, i64)>, StoreError> {
                    let (customer, seller) = visibility_binds(visibility);
                    let (listing, pattern, exact_id) = Self::listing_for(Some(text), visibility);
                    let sql = by_visibility(visibility, listing.per_workflow);
                    Ok(sqlx::query_as::<$db, (String, i64)>(sql)
                        .bind(None::<String>)
                        .bind(customer)
                        .bind(seller)
                        .bind(pattern)
                        .bind(exact_id)
                        .fetch_all(&self.pool)
                        .await?)
                }

                /// The workflows among `names` that hold an order the actor may see (an index
                /// probe each, never a scan).
                pub async fn workflows_with_orders(
                    &self,
                    names: &[String],
                    visibility: &Visibility,
                ) -> Result<Vec<String>, StoreError> {
                    let (customer, seller) = visibility_binds(visibility);
                    let sql = by_visibility(
                        visibility,
                        [
                            sql::HAS_ORDERS_ALL,
                            sql::HAS_ORDERS_CUSTOMER,
                            sql::HAS_ORDERS_SELLER,
                        ],
                    );
                    let mut found = Vec::new();
                    for name in names {
                        let hit = sqlx::query_scalar::<$db, i64>(sql)
                            .bind(name)
                            .bind(customer)
                            .bind(seller)
                            .fetch_optional(&self.pool)
                            .await?;
                        if hit.is_some() {
                            found.push(name.clone());
                        }
                    }
                    Ok(found)
                }

                /// The armed timers due by `now`, earliest first, after `after` if given.
                pub async fn due_timers(
                    &self,
                    now: DateTime<Utc>,
                    after: Option<TimerPosition>,
                    limit: i64,
                ) -> Result<Vec<DueTimer>, StoreError> {
                    type Row = (i64, i64, String, DateTime<Utc>);
                    let query = match after {
                        None => sqlx::query_as::<$db, Row>(sql::DUE_TIMERS)
                            .bind(micros(now))
                            .bind(limit),
                        Some((due_at, order_id)) => {
                            sqlx::query_as::<$db, Row>(sql::DUE_TIMERS_AFTER)
                                .bind(micros(now))
                                .bind(limit)
                                .bind(due_at)
                                .bind(order_id)
                        }
                    };
                    let rows = query.fetch_all(&self.pool).await?;
                    Ok(rows
                        .into_iter()
                        .map(|(order_id, version, event, due_at)| DueTimer {
                            order_id,
                            version,
                            event,
                            due_at,
                        })
                        .collect())
                }
            }
        };
    };
}

pub(crate) use order_queries;
