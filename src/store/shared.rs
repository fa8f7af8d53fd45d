//! The store's queries and the one apply path, written once and expanded for each backend.
//!
//! A macro rather than generics over `sqlx::Database`: the generic version needs a wall of
//! higher-ranked bounds on every method (Executor for `&mut Connection`, Encode/Decode for each
//! type), while the macro expands the same text against concrete types. The per-backend
//! differences are three small hooks each backend defines: `begin_write`,
//! `serialise_event_ids` and `announce_event`.

macro_rules! shared_store_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            pub async fn create_order(
                &self,
                new: &$crate::store::types::NewOrder,
            ) -> Result<$crate::domain::OrderId, $crate::store::StoreError> {
                let now = $crate::store::micros(new.now);
                let attrs = serde_json::to_string(&new.attrs)
                    .map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?;
                let (timer_event, timer_due) = match &new.timer {
                    Some((event, due)) => (Some(event.clone()), Some($crate::store::micros(*due))),
                    None => (None, None),
                };
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar::<$db, i64>($crate::store::sql::INSERT_ORDER)
                    .bind(&new.workflow)
                    .bind(&new.state)
                    .bind(&new.customer)
                    .bind(&new.seller)
                    .bind(&new.title)
                    .bind(new.amount_cents)
                    .bind(&new.currency)
                    .bind($crate::store::micros(new.placed_at))
                    .bind(new.due_at.map($crate::store::micros))
                    .bind(now)
                    .bind(timer_event)
                    .bind(timer_due)
                    .bind(attrs)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(id)
            }

            pub async fn order(
                &self,
                id: $crate::domain::OrderId,
            ) -> Result<Option<$crate::domain::Order>, $crate::store::StoreError> {
                let row = sqlx::query_as::<$db, $crate::store::rows::OrderRow>(
                    $crate::store::sql::SELECT_ORDER,
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| r.into_order()).transpose()
            }

            pub async fn list_orders(
                &self,
                visibility: &$crate::domain::Visibility,
                query: &$crate::store::types::OrderQuery,
            ) -> Result<Vec<$crate::domain::Order>, $crate::store::StoreError> {
                let (customer, seller) = $crate::store::visibility_binds(visibility);
                let (pattern, exact_id) = $crate::store::text_binds(query.text.as_deref());
                // A board column (workflow and state given) has its own index-driven query.
                let sql = if query.workflow.is_some() && query.state.is_some() {
                    $crate::store::by_visibility(
                        visibility,
                        [
                            $crate::store::sql::BOARD_PAGE_ALL,
                            $crate::store::sql::BOARD_PAGE_CUSTOMER,
                            $crate::store::sql::BOARD_PAGE_SELLER,
                        ],
                    )
                } else {
                    $crate::store::sql::LIST_ORDERS
                };
                let rows = sqlx::query_as::<$db, $crate::store::rows::OrderRow>(sql)
                    .bind(customer)
                    .bind(seller)
                    .bind(query.workflow.as_deref())
                    .bind(query.state.as_deref())
                    .bind(query.due_before.map($crate::store::micros))
                    .bind(pattern)
                    .bind(exact_id)
                    .bind(query.after_id.unwrap_or(0))
                    .bind(query.limit)
                    .bind(query.acted_by.as_deref())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(|r| r.into_order()).collect()
            }

            /// Per-state counts for one workflow under the query's filters (its state and paging are ignored).
            pub async fn count_by_state(
                &self,
                workflow: &str,
                visibility: &$crate::domain::Visibility,
                query: &$crate::store::types::OrderQuery,
            ) -> Result<Vec<(String, i64)>, $crate::store::StoreError> {
                use $crate::store::sql;
                let (customer, seller) = $crate::store::visibility_binds(visibility);
                let (pattern, exact_id) = $crate::store::text_binds(query.text.as_deref());
                let filtered =
                    pattern.is_some() || query.due_before.is_some() || query.acted_by.is_some();
                let rows = if filtered {
                    let sql = $crate::store::by_visibility(
                        visibility,
                        [
                            sql::COUNT_FILTERED_ALL,
                            sql::COUNT_FILTERED_CUSTOMER,
                            sql::COUNT_FILTERED_SELLER,
                        ],
                    );
                    sqlx::query_as::<$db, (String, i64)>(sql)
                        .bind(workflow)
                        .bind(customer)
                        .bind(seller)
                        .bind(pattern)
                        .bind(exact_id)
                        .bind(query.due_before.map($crate::store::micros))
                        .bind(query.acted_by.as_deref())
                        .fetch_all(&self.pool)
                        .await?
                } else {
                    let sql = $crate::store::by_visibility(
                        visibility,
                        [sql::COUNT_ALL, sql::COUNT_CUSTOMER, sql::COUNT_SELLER],
                    );
                    sqlx::query_as::<$db, (String, i64)>(sql)
                        .bind(workflow)
                        .bind(customer)
                        .bind(seller)
                        .fetch_all(&self.pool)
                        .await?
                };
                Ok(rows)
            }

            /// The workflows among `names` that hold an order the actor may see (an index
            /// probe each, never a scan).
            pub async fn workflows_with_orders(
                &self,
                names: &[String],
                visibility: &$crate::domain::Visibility,
            ) -> Result<Vec<String>, $crate::store::StoreError> {
                use $crate::store::sql;
                let (customer, seller) = $crate::store::visibility_binds(visibility);
                let sql = $crate::store::by_visibility(
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

            /// Rows of one order, oldest first, turned into their application type.
            async fn rows_of_order<R, T>(
                &self,
                sql: &'static str,
                order_id: $crate::domain::OrderId,
            ) -> Result<Vec<T>, $crate::store::StoreError>
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
                order_id: $crate::domain::OrderId,
            ) -> Result<Vec<$crate::store::types::HistoryEntry>, $crate::store::StoreError> {
                self.rows_of_order::<$crate::store::rows::HistoryRow, _>(
                    $crate::store::sql::SELECT_HISTORY,
                    order_id,
                )
                .await
            }

            pub async fn attempts(
                &self,
                order_id: $crate::domain::OrderId,
            ) -> Result<Vec<$crate::store::types::Attempt>, $crate::store::StoreError> {
                self.rows_of_order::<$crate::store::types::Attempt, _>(
                    $crate::store::sql::SELECT_ATTEMPTS,
                    order_id,
                )
                .await
            }

            pub async fn ledger(
                &self,
                order_id: $crate::domain::OrderId,
            ) -> Result<Vec<$crate::store::types::LedgerRow>, $crate::store::StoreError> {
                self.rows_of_order::<$crate::store::types::LedgerRow, _>(
                    $crate::store::sql::SELECT_LEDGER,
                    order_id,
                )
                .await
            }

            pub async fn effects(
                &self,
                order_id: $crate::domain::OrderId,
            ) -> Result<Vec<$crate::store::types::EffectRow>, $crate::store::StoreError> {
                self.rows_of_order::<$crate::store::types::EffectRow, _>(
                    $crate::store::sql::SELECT_EFFECTS,
                    order_id,
                )
                .await
            }

            pub async fn feed_after(
                &self,
                after_id: i64,
                visibility: &$crate::domain::Visibility,
                limit: i64,
            ) -> Result<Vec<$crate::store::types::FeedEvent>, $crate::store::StoreError> {
                let (customer, seller) = $crate::store::visibility_binds(visibility);
                let rows = sqlx::query_as::<$db, $crate::store::rows::FeedRow>(
                    $crate::store::sql::FEED_AFTER,
                )
                .bind(after_id)
                .bind(customer)
                .bind(seller)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|r| r.into_event()).collect())
            }

            pub async fn recent_feed(
                &self,
                visibility: &$crate::domain::Visibility,
                limit: i64,
            ) -> Result<Vec<$crate::store::types::FeedEvent>, $crate::store::StoreError> {
                let (customer, seller) = $crate::store::visibility_binds(visibility);
                let rows = sqlx::query_as::<$db, $crate::store::rows::FeedRow>(
                    $crate::store::sql::FEED_RECENT,
                )
                .bind(customer)
                .bind(seller)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|r| r.into_event()).collect())
            }

            pub async fn latest_history_id(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(
                    sqlx::query_scalar::<$db, i64>($crate::store::sql::LATEST_HISTORY_ID)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            pub async fn due_timers(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<$crate::store::types::DueTimer>, $crate::store::StoreError> {
                let rows =
                    sqlx::query_as::<$db, (i64, i64, String)>($crate::store::sql::DUE_TIMERS)
                        .bind($crate::store::micros(now))
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(
                        |(order_id, version, event)| $crate::store::types::DueTimer {
                            order_id,
                            version,
                            event,
                        },
                    )
                    .collect())
            }

            pub async fn user_count(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(
                    sqlx::query_scalar::<$db, i64>($crate::store::sql::COUNT_USERS)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            pub async fn add_user(
                &self,
                name: &str,
                role: $crate::domain::Role,
                password_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                let outcome = sqlx::query::<$db>($crate::store::sql::INSERT_USER)
                    .bind(name)
                    .bind(role.as_str())
                    .bind(password_hash)
                    .bind($crate::store::micros(now))
                    .execute(&self.pool)
                    .await;
                match outcome {
                    Ok(_) => Ok(()),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        Err($crate::store::StoreError::Duplicate(format!(
                            "a user named \"{name}\" already exists"
                        )))
                    }
                    Err(e) => Err(e.into()),
                }
            }

            pub async fn user(
                &self,
                name: &str,
            ) -> Result<Option<$crate::store::types::UserRecord>, $crate::store::StoreError> {
                let row = sqlx::query_as::<$db, $crate::store::rows::UserRow>(
                    $crate::store::sql::SELECT_USER,
                )
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| r.into_record()).transpose()
            }

            pub async fn users(
                &self,
            ) -> Result<Vec<$crate::store::types::UserRecord>, $crate::store::StoreError> {
                let rows = sqlx::query_as::<$db, $crate::store::rows::UserRow>(
                    $crate::store::sql::SELECT_USERS,
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(|r| r.into_record()).collect()
            }

            pub async fn count_failed_sign_in(
                &self,
                name: &str,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query::<$db>($crate::store::sql::COUNT_FAILED_SIGN_IN)
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            pub async fn reset_failed_sign_ins(
                &self,
                name: &str,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query::<$db>($crate::store::sql::RESET_FAILED_SIGN_INS)
                    .bind(name)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            pub async fn set_user_disabled(
                &self,
                name: &str,
                disabled: bool,
            ) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query::<$db>($crate::store::sql::SET_USER_DISABLED)
                    .bind(name)
                    .bind(disabled)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            pub async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                sqlx::query::<$db>($crate::store::sql::PING)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            /// The highest order id so far (bulk seeding numbers new orders after it).
            pub async fn max_order_id(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(
                    sqlx::query_scalar::<$db, i64>($crate::store::sql::MAX_ORDER_ID)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            /// Writes seeded orders with their histories, effects and ledger rows in one
            /// transaction, many rows per statement.
            pub async fn bulk_insert(
                &self,
                orders: &[$crate::store::types::SeededOrder],
            ) -> Result<(), $crate::store::StoreError> {
                const ROWS: usize = 1000;
                let mut tx = self.begin_write().await?;
                Self::prepare_bulk(&mut tx).await?;
                Self::serialise_event_ids(&mut tx).await?;
                for chunk in orders.chunks(ROWS) {
                    let mut insert =
                        sqlx::QueryBuilder::<$db>::new($crate::store::sql::SEED_ORDERS);
                    insert.push_values(chunk, |mut row, seeded| {
                        let order = &seeded.order;
                        row.push_bind(order.id)
                            .push_bind(order.workflow.clone())
                            .push_bind(order.state.clone())
                            .push_bind(order.version)
                            .push_bind(order.customer.clone())
                            .push_bind(order.seller.clone())
                            .push_bind(order.title.clone())
                            .push_bind(order.amount_cents)
                            .push_bind(order.currency.clone())
                            .push_bind($crate::store::micros(order.placed_at))
                            .push_bind(order.due_at.map($crate::store::micros))
                            .push_bind($crate::store::micros(order.state_entered_at))
                            .push_bind(seeded.timer.as_ref().map(|t| t.0.clone()))
                            .push_bind(seeded.timer.as_ref().map(|t| $crate::store::micros(t.1)))
                            .push_bind(
                                serde_json::to_string(&order.attrs).unwrap_or_else(|_| "{}".into()),
                            )
                            .push_bind(
                                serde_json::to_string(&order.counters)
                                    .unwrap_or_else(|_| "{}".into()),
                            )
                            .push_bind($crate::store::micros(order.placed_at))
                            .push_bind($crate::store::micros(order.state_entered_at));
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                let transitions: Vec<(
                    &$crate::domain::Order,
                    &$crate::store::types::SeededTransition,
                )> = orders
                    .iter()
                    .flat_map(|o| o.history.iter().map(move |h| (&o.order, h)))
                    .collect();
                for chunk in transitions.chunks(ROWS) {
                    let mut insert =
                        sqlx::QueryBuilder::<$db>::new($crate::store::sql::SEED_HISTORY);
                    insert.push_values(chunk, |mut row, (order, h)| {
                        let effects: Vec<String> =
                            h.effects.iter().map(|e| e.to_string()).collect();
                        row.push_bind(order.id)
                            .push_bind($crate::store::micros(h.at))
                            .push_bind(h.actor.name.clone())
                            .push_bind(h.actor.role.as_str())
                            .push_bind(h.on_behalf_of.clone())
                            .push_bind(h.event.clone())
                            .push_bind(h.from.clone())
                            .push_bind(h.to.clone())
                            .push_bind(h.note.clone())
                            .push_bind(h.version)
                            .push_bind(
                                serde_json::to_string(&effects).unwrap_or_else(|_| "[]".into()),
                            );
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                let effects: Vec<(
                    i64,
                    i64,
                    usize,
                    &$crate::workflow::Effect,
                    chrono::DateTime<chrono::Utc>,
                )> = transitions
                    .iter()
                    .flat_map(|(order, h)| {
                        h.effects
                            .iter()
                            .enumerate()
                            .map(move |(i, e)| (order.id, h.version, i, e, h.at))
                    })
                    .collect();
                for chunk in effects.chunks(ROWS) {
                    let mut insert =
                        sqlx::QueryBuilder::<$db>::new($crate::store::sql::SEED_EFFECTS);
                    insert.push_values(chunk, |mut row, (order_id, version, index, effect, at)| {
                        row.push_bind(*order_id)
                            .push_bind(*version)
                            .push_bind(effect.kind())
                            .push_bind(effect.to_string())
                            .push_bind(format!("{order_id}:{version}:{index}"))
                            .push_bind($crate::store::micros(*at));
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                let ledger: Vec<(
                    i64,
                    i64,
                    $crate::workflow::LedgerEntry,
                    chrono::DateTime<chrono::Utc>,
                )> = transitions
                    .iter()
                    .flat_map(|(order, h)| {
                        h.effects.iter().filter_map(move |e| {
                            e.ledger_entry(order.amount_cents)
                                .map(|entry| (order.id, h.version, entry, h.at))
                        })
                    })
                    .collect();
                for chunk in ledger.chunks(ROWS) {
                    let mut insert =
                        sqlx::QueryBuilder::<$db>::new($crate::store::sql::SEED_LEDGER);
                    insert.push_values(chunk, |mut row, (order_id, version, entry, at)| {
                        row.push_bind(*order_id)
                            .push_bind(*version)
                            .push_bind(entry.kind.as_str())
                            .push_bind(entry.amount_cents)
                            .push_bind(i32::from(entry.share_percent))
                            .push_bind($crate::store::micros(*at));
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                Self::finish_bulk(&mut tx).await?;
                tx.commit().await?;
                Ok(())
            }

            /// The ledger rows of orders `first ..= last`, with their order ids, in one query.
            pub async fn ledger_between(
                &self,
                first: i64,
                last: i64,
            ) -> Result<Vec<(i64, $crate::store::types::LedgerRow)>, $crate::store::StoreError>
            {
                let rows = sqlx::query_as::<
                    $db,
                    (i64, String, i64, i64, i64, chrono::DateTime<chrono::Utc>),
                >($crate::store::sql::LEDGER_BETWEEN)
                .bind(first)
                .bind(last)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(
                        |(order_id, kind, amount_cents, share_percent, version, at)| {
                            (
                                order_id,
                                $crate::store::types::LedgerRow {
                                    kind,
                                    amount_cents,
                                    share_percent,
                                    version,
                                    at,
                                },
                            )
                        },
                    )
                    .collect())
            }

            /// A batch for verify: up to `limit` orders after `after_id`, with their histories
            /// (oldest first) and ledger rows, in three queries.
            pub async fn audit_batch(
                &self,
                after_id: i64,
                limit: i64,
            ) -> Result<Vec<$crate::store::types::AuditedOrder>, $crate::store::StoreError> {
                let orders = sqlx::query_as::<$db, $crate::store::rows::OrderRow>(
                    $crate::store::sql::ORDERS_AFTER,
                )
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let (Some(first), Some(last)) =
                    (orders.first().map(|o| o.id), orders.last().map(|o| o.id))
                else {
                    return Ok(Vec::new());
                };
                let history = sqlx::query_as::<$db, $crate::store::rows::HistoryRow>(
                    $crate::store::sql::HISTORY_BETWEEN,
                )
                .bind(first)
                .bind(last)
                .fetch_all(&self.pool)
                .await?;
                let ledger = self.ledger_between(first, last).await?;
                let mut audited: Vec<$crate::store::types::AuditedOrder> =
                    Vec::with_capacity(orders.len());
                for row in orders {
                    audited.push($crate::store::types::AuditedOrder {
                        order: row.into_order()?,
                        history: Vec::new(),
                        ledger: Vec::new(),
                    });
                }
                let position = |id: i64, audited: &[$crate::store::types::AuditedOrder]| {
                    audited.binary_search_by_key(&id, |a| a.order.id).ok()
                };
                for row in history {
                    if let Some(index) = position(row.order_id, &audited) {
                        audited[index].history.push(row.into_entry());
                    }
                }
                for (order_id, row) in ledger {
                    if let Some(index) = position(order_id, &audited) {
                        audited[index].ledger.push(row);
                    }
                }
                Ok(audited)
            }

            /// The one apply path: in one write transaction, read the order, ask the engine,
            /// move the order under a version check, record effects and ledger rows, append
            /// history. A refusal commits only its audit row.
            pub async fn apply(
                &self,
                workflows: &$crate::workflow::Workflows,
                request: &$crate::store::types::ApplyRequest,
            ) -> Result<$crate::store::types::Applied, $crate::store::types::ApplyError> {
                use $crate::store::types::ApplyError;
                let now = $crate::store::micros(request.now);
                let order_id = request.order_id;
                let mut tx = self
                    .begin_write()
                    .await
                    .map_err($crate::store::StoreError::from)?;
                let row = sqlx::query_as::<$db, $crate::store::rows::OrderRow>(
                    $crate::store::sql::SELECT_ORDER,
                )
                .bind(order_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err($crate::store::StoreError::from)?;
                let order = row.ok_or(ApplyError::NotFound(order_id))?.into_order()?;
                if !order.is_visible_to(&request.actor) {
                    return Err(ApplyError::NotVisible(order_id));
                }
                if let Some(expected) = request.expected_version
                    && expected != order.version
                {
                    tx.rollback()
                        .await
                        .map_err($crate::store::StoreError::from)?;
                    return Err(self.conflict(order_id).await);
                }
                let workflow =
                    workflows
                        .get(&order.workflow)
                        .ok_or_else(|| ApplyError::UnknownWorkflow {
                            order_id,
                            workflow: order.workflow.clone(),
                        })?;
                if workflow.state(&order.state).is_none() {
                    return Err(ApplyError::UnknownState {
                        order_id,
                        workflow: order.workflow.clone(),
                        state: order.state.clone(),
                    });
                }
                let decision = match workflow.decide(
                    &order,
                    &request.actor,
                    &request.event,
                    request.note.as_deref(),
                    now,
                ) {
                    Ok(decision) => decision,
                    Err(refusal) => {
                        sqlx::query::<$db>($crate::store::sql::INSERT_ATTEMPT)
                            .bind(order_id)
                            .bind(now)
                            .bind(&request.actor.name)
                            .bind(request.actor.role.as_str())
                            .bind(&request.event)
                            .bind(refusal.kind())
                            .bind(refusal.to_string())
                            .execute(&mut *tx)
                            .await
                            .map_err($crate::store::StoreError::from)?;
                        tx.commit().await.map_err($crate::store::StoreError::from)?;
                        return Err(ApplyError::Refused(refusal));
                    }
                };
                let counters = serde_json::to_string(&decision.counters)
                    .map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?;
                let (timer_event, timer_due) = match &decision.timer {
                    Some(timer) => (
                        Some(timer.event.clone()),
                        Some($crate::store::micros(timer.due_at)),
                    ),
                    None => (None, None),
                };
                let new_version =
                    sqlx::query_scalar::<$db, i64>($crate::store::sql::UPDATE_ORDER_STATE)
                        .bind(&decision.to)
                        .bind(counters)
                        .bind(now)
                        .bind(timer_event)
                        .bind(timer_due)
                        .bind(order_id)
                        .bind(order.version)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err($crate::store::StoreError::from)?;
                let Some(new_version) = new_version else {
                    tx.rollback()
                        .await
                        .map_err($crate::store::StoreError::from)?;
                    return Err(self.conflict(order_id).await);
                };
                let effect_texts: Vec<String> =
                    decision.effects.iter().map(|e| e.to_string()).collect();
                for (index, effect) in decision.effects.iter().enumerate() {
                    sqlx::query::<$db>($crate::store::sql::INSERT_EFFECT)
                        .bind(order_id)
                        .bind(new_version)
                        .bind(effect.kind())
                        .bind(effect.to_string())
                        .bind(format!("{order_id}:{new_version}:{index}"))
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::store::StoreError::from)?;
                    if let Some(entry) = effect.ledger_entry(order.amount_cents) {
                        let inserted = sqlx::query::<$db>($crate::store::sql::INSERT_LEDGER)
                            .bind(order_id)
                            .bind(new_version)
                            .bind(entry.kind.as_str())
                            .bind(entry.amount_cents)
                            .bind(i32::from(entry.share_percent))
                            .bind(now)
                            .execute(&mut *tx)
                            .await;
                        match inserted {
                            Ok(_) => {}
                            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                                tx.rollback()
                                    .await
                                    .map_err($crate::store::StoreError::from)?;
                                return Err(ApplyError::LedgerRefused {
                                    order_id,
                                    kind: entry.kind.as_str().to_string(),
                                });
                            }
                            Err(e) => return Err($crate::store::StoreError::from(e).into()),
                        }
                    }
                }
                Self::serialise_event_ids(&mut tx)
                    .await
                    .map_err($crate::store::StoreError::from)?;
                let history_id = sqlx::query_scalar::<$db, i64>($crate::store::sql::INSERT_HISTORY)
                    .bind(order_id)
                    .bind(now)
                    .bind(&request.actor.name)
                    .bind(request.actor.role.as_str())
                    .bind(decision.on_behalf_of.as_deref())
                    .bind(&decision.event)
                    .bind(&decision.from)
                    .bind(&decision.to)
                    .bind(decision.note.as_deref())
                    .bind(new_version)
                    .bind(serde_json::to_string(&effect_texts).unwrap_or_else(|_| "[]".into()))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err($crate::store::StoreError::from)?;
                Self::announce_event(&mut tx, history_id)
                    .await
                    .map_err($crate::store::StoreError::from)?;
                tx.commit().await.map_err($crate::store::StoreError::from)?;
                Ok($crate::store::types::Applied {
                    id: order_id,
                    event: decision.event,
                    from: decision.from,
                    to: decision.to,
                    version: new_version,
                    effects: effect_texts,
                    history_id,
                })
            }

            /// A lost race: the order as it is now, and who moved it last.
            async fn conflict(
                &self,
                order_id: $crate::domain::OrderId,
            ) -> $crate::store::types::ApplyError {
                use $crate::store::types::ApplyError;
                let current = match self.order(order_id).await {
                    Ok(Some(order)) => order,
                    Ok(None) => return ApplyError::NotFound(order_id),
                    Err(e) => return e.into(),
                };
                let last = sqlx::query_as::<$db, $crate::store::rows::HistoryRow>(
                    $crate::store::sql::LAST_HISTORY,
                )
                .bind(order_id)
                .fetch_optional(&self.pool)
                .await
                .ok()
                .flatten()
                .map(|row| (row.actor, row.event));
                ApplyError::Conflict {
                    order_id,
                    state: current.state,
                    version: current.version,
                    moved_by: last,
                }
            }
        }
    };
}

pub(crate) use shared_store_impl;
