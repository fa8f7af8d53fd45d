//! The one apply path, and the steps it is split into.

use crate::domain::Order;
use crate::store::types::ApplyError;
use crate::workflow::{Workflow, Workflows};

macro_rules! apply_path {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use sqlx::Transaction;

            use $crate::domain::ledger::{LedgerRefusal, Movement, check_movement};
            use $crate::domain::{Actor, Order, OrderId, Role};
            use $crate::store::rows::{HistoryRow, OrderRow};
            use $crate::store::shared::apply::loaded_workflow;
            use $crate::store::shared::json_text;
            use $crate::store::shared::orders::{ORDERS_PER_QUERY, ids_in};
            use $crate::store::types::LedgerRow;
            use $crate::store::types::{Applied, ApplyError, ApplyRequest, Together};
            use $crate::store::{StoreError, micros, sql};
            use $crate::workflow::{Decision, Refusal, Workflows};

            impl $store {
                /// In one write transaction: read the order, ask the engine, move the order
                /// under a version check, record effects and ledger rows, append history. A
                /// refusal commits only its audit row.
                pub async fn apply(
                    &self,
                    workflows: &Workflows,
                    request: &ApplyRequest,
                ) -> Result<Applied, ApplyError> {
                    let now = micros(request.now);
                    let order_id = request.order_id;
                    let mut tx = self.begin_write().await?;
                    Self::check_standing(&mut tx, &request.actor, request.token_hash.as_deref())
                        .await?;
                    let order = Self::fetch_order(&mut *tx, order_id)
                        .await?
                        .ok_or(ApplyError::NotFound(order_id))?;
                    if !order.is_visible_to(&request.actor) {
                        return Err(ApplyError::NotVisible(order_id));
                    }
                    if let Some(expected) = request.expected_version
                        && expected != order.version
                    {
                        return Err(self.lost_race(tx, order_id).await);
                    }
                    let workflow = loaded_workflow(workflows, &order)?;
                    let decided = workflow.decide(
                        &order,
                        &request.actor,
                        &request.event,
                        request.note.as_deref(),
                        now,
                    );
                    let decision = match decided {
                        Ok(decision) => decision,
                        Err(refusal) => {
                            Self::record_refusal(tx, request, &refusal, now).await?;
                            return Err(ApplyError::Refused(refusal));
                        }
                    };
                    let Some(version) = Self::move_order(&mut tx, &order, &decision, now).await?
                    else {
                        return Err(self.lost_race(tx, order_id).await);
                    };
                    let movements = match Self::plan_movements(&mut tx, &order, &decision).await? {
                        Ok(movements) => movements,
                        Err(refusal) => {
                            tx.rollback().await.map_err(StoreError::from)?;
                            return Err(ApplyError::LedgerRefused { order_id, refusal });
                        }
                    };
                    let applied = Self::record_transition(
                        &mut tx, request, &order, decision, &movements, version,
                    )
                    .await?;
                    tx.commit().await.map_err(StoreError::from)?;
                    self.announce_committed();
                    Ok(applied)
                }

                /// Several requests of one actor in one write transaction, each through the
                /// steps of `apply` (the runner's due timers: a transaction per timer was
                /// most of a timer's cost). The orders are read at once and locked; on
                /// PostgreSQL an order another writer holds is skipped, not waited for
                /// (`Together::Held`), so two runners' transactions never wait for each
                /// other's orders, nor deadlock over them: after the read, a transaction
                /// writes only orders it holds and rows of its own.
                ///
                /// A request is only moved here when it writes nothing but its move, its
                /// effects and its history. Any other is left out with nothing written for
                /// it, for the caller to put through `apply`, which records a refusal, reads
                /// the ledger, or tells who won a race: `Together::Alone`. An error rolls
                /// the whole transaction back.
                pub async fn apply_together(
                    &self,
                    workflows: &Workflows,
                    requests: &[ApplyRequest],
                ) -> Result<Vec<Together>, ApplyError> {
                    let Some(first) = requests.first() else {
                        return Ok(Vec::new());
                    };
                    if requests.len() > ORDERS_PER_QUERY
                        || requests
                            .iter()
                            .any(|r| r.actor != first.actor || r.token_hash != first.token_hash)
                    {
                        return Err(StoreError::Unusable(
                            "requests applied together share one actor, a few hundred at most"
                                .into(),
                        )
                        .into());
                    }
                    let mut tx = self.begin_write().await?;
                    Self::check_standing(&mut tx, &first.actor, first.token_hash.as_deref())
                        .await?;
                    let ids: Vec<OrderId> = requests.iter().map(|r| r.order_id).collect();
                    let locked: std::collections::HashMap<OrderId, Order> =
                        ids_in::<$db>(sql::SELECT_ORDERS_IN, &ids, Self::LOCK_ORDERS_TAIL)
                            .build_query_as::<OrderRow>()
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(StoreError::from)?
                            .into_iter()
                            .map(|row| row.into_order().map(|order| (order.id, order)))
                            .collect::<Result<_, _>>()?;
                    let mut outcomes = Vec::with_capacity(requests.len());
                    let mut moved_any = false;
                    for request in requests {
                        let outcome = match locked.get(&request.order_id) {
                            // Orders are never deleted: one not read is held.
                            None => Together::Held,
                            Some(order) => {
                                Self::apply_locked(&mut tx, workflows, request, order).await?
                            }
                        };
                        moved_any |= matches!(outcome, Together::Applied(_));
                        outcomes.push(outcome);
                    }
                    tx.commit().await.map_err(StoreError::from)?;
                    if moved_any {
                        self.announce_committed();
                    }
                    Ok(outcomes)
                }

                /// One request of `apply_together`, its order read and locked in this
                /// transaction.
                async fn apply_locked(
                    tx: &mut Transaction<'static, $db>,
                    workflows: &Workflows,
                    request: &ApplyRequest,
                    order: &Order,
                ) -> Result<Together, ApplyError> {
                    let now = micros(request.now);
                    if !order.is_visible_to(&request.actor) {
                        return Ok(Together::Alone);
                    }
                    if request.expected_version.is_some_and(|v| v != order.version) {
                        return Ok(Together::Taken);
                    }
                    let Ok(workflow) = loaded_workflow(workflows, order) else {
                        return Ok(Together::Alone);
                    };
                    let decided = workflow.decide(
                        order,
                        &request.actor,
                        &request.event,
                        request.note.as_deref(),
                        now,
                    );
                    let decision = match decided {
                        Ok(decision) if !decision.effects.iter().any(|e| e.moves_money()) => {
                            decision
                        }
                        _ => return Ok(Together::Alone),
                    };
                    let Some(version) = Self::move_order(tx, order, &decision, now).await? else {
                        return Ok(Together::Taken);
                    };
                    let applied =
                        Self::record_transition(tx, request, order, decision, &[], version).await?;
                    Ok(Together::Applied(applied))
                }

                /// A transition's effects, ledger rows and history row, once its order moved
                /// to `version`.
                async fn record_transition(
                    tx: &mut Transaction<'static, $db>,
                    request: &ApplyRequest,
                    order: &Order,
                    decision: Decision,
                    movements: &[Movement],
                    version: i64,
                ) -> Result<Applied, StoreError> {
                    let now = micros(request.now);
                    Self::record_effects(tx, order, &decision, movements, version, now).await?;
                    let effects: Vec<String> =
                        decision.effects.iter().map(|e| e.to_string()).collect();
                    let history_id =
                        Self::append_history(tx, request, &decision, version, &effects, now)
                            .await?;
                    Ok(Applied {
                        id: order.id,
                        event: decision.event,
                        from: decision.from,
                        to: decision.to,
                        version,
                        effects,
                        history_id,
                    })
                }

                /// The acting user as the database has them now, inside the write transaction:
                /// a user disabled or demoted a second ago can do nothing, whatever screen they
                /// still have open. The built-in timer clock (`system`, a reserved name) has
                /// no row, nor do the sinks (`sink:NAME`). An actor named by an API token is
                /// refused as well when the token was revoked meanwhile.
                async fn check_standing(
                    tx: &mut Transaction<'static, $db>,
                    actor: &Actor,
                    token_hash: Option<&str>,
                ) -> Result<(), ApplyError> {
                    if actor.is_built_in() && token_hash.is_none() {
                        return Ok(());
                    }
                    let query = match token_hash {
                        Some(hash) => {
                            sqlx::query_as::<$db, (String, bool)>(sql::ACTOR_STANDING_BY_TOKEN)
                                .bind(hash)
                        }
                        None => sqlx::query_as::<$db, (String, bool)>(sql::ACTOR_STANDING),
                    };
                    let row = query
                        .bind(&actor.name)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(StoreError::from)?;
                    if row.is_none() && token_hash.is_some() {
                        return Err(ApplyError::TokenRevoked);
                    }
                    let standing = row
                        .map(|(role, disabled)| {
                            role.parse::<Role>()
                                .map(|role| (role, disabled))
                                .map_err(|e| StoreError::Corrupt(e.to_string()))
                        })
                        .transpose()?;
                    match standing {
                        Some((role, false)) if role == actor.role => Ok(()),
                        Some((role, false)) => Err(ApplyError::ActorChanged {
                            name: actor.name.clone(),
                            role: Some(role),
                        }),
                        _ => Err(ApplyError::ActorChanged {
                            name: actor.name.clone(),
                            role: None,
                        }),
                    }
                }

                /// Kept for support and admin, so the refusal's transaction commits this row.
                async fn record_refusal(
                    mut tx: Transaction<'static, $db>,
                    request: &ApplyRequest,
                    refusal: &Refusal,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::INSERT_ATTEMPT)
                        .bind(request.order_id)
                        .bind(now)
                        .bind(&request.actor.name)
                        .bind(request.actor.role.as_str())
                        .bind(&request.event)
                        .bind(refusal.kind())
                        .bind(refusal.to_string())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                /// The new version, or `None` when another writer moved the order since it
                /// was read.
                async fn move_order(
                    tx: &mut Transaction<'static, $db>,
                    order: &Order,
                    decision: &Decision,
                    now: DateTime<Utc>,
                ) -> Result<Option<i64>, StoreError> {
                    let (timer_event, timer_due) = decision
                        .timer
                        .as_ref()
                        .map(|timer| (timer.event.clone(), micros(timer.due_at)))
                        .unzip();
                    Ok(sqlx::query_scalar::<$db, i64>(sql::UPDATE_ORDER_STATE)
                        .bind(&decision.to)
                        .bind(json_text(&decision.counters)?)
                        .bind(now)
                        .bind(timer_event)
                        .bind(timer_due)
                        .bind(order.id)
                        .bind(order.version)
                        .fetch_optional(&mut **tx)
                        .await?)
                }

                /// The money the decision moves, checked against the order's ledger as it is
                /// inside this transaction (the order row is already locked by the move, so no
                /// other writer can add to it meanwhile).
                async fn plan_movements(
                    tx: &mut Transaction<'static, $db>,
                    order: &Order,
                    decision: &Decision,
                ) -> Result<Result<Vec<Movement>, LedgerRefusal>, StoreError> {
                    // Most transitions move no money: no ledger to read.
                    if !decision.effects.iter().any(|e| e.moves_money()) {
                        return Ok(Ok(Vec::new()));
                    }
                    let recorded: Vec<LedgerRow> =
                        sqlx::query_as::<$db, LedgerRow>(sql::SELECT_LEDGER)
                            .bind(order.id)
                            .fetch_all(&mut **tx)
                            .await?;
                    let mut existing: Vec<Movement> =
                        recorded.iter().filter_map(LedgerRow::movement).collect();
                    let mut planned = Vec::new();
                    for effect in &decision.effects {
                        let entry = match effect.ledger_entry(order.amount_cents) {
                            Ok(Some(entry)) => entry,
                            Ok(None) => continue,
                            Err(refusal) => return Ok(Err(refusal)),
                        };
                        if let Err(refusal) = check_movement(order.amount_cents, &existing, &entry)
                        {
                            return Ok(Err(refusal));
                        }
                        existing.push(entry);
                        planned.push(entry);
                    }
                    Ok(Ok(planned))
                }

                /// The effects, and the ledger rows of the planned movements.
                async fn record_effects(
                    tx: &mut Transaction<'static, $db>,
                    order: &Order,
                    decision: &Decision,
                    movements: &[Movement],
                    version: i64,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let order_id = order.id;
                    if !decision.effects.is_empty() {
                        let mut insert = sqlx::QueryBuilder::<$db>::new(sql::INSERT_EFFECTS_HEAD);
                        insert.push_values(
                            decision.effects.iter().enumerate(),
                            |mut row, (index, effect)| {
                                row.push_bind(order_id)
                                    .push_bind(version)
                                    .push_bind(effect.kind())
                                    .push_bind(effect.to_string())
                                    .push_bind(format!("{order_id}:{version}:{index}"))
                                    .push_bind(now)
                                    .push_bind(now)
                                    .push("'pending'");
                            },
                        );
                        insert.build().execute(&mut **tx).await?;
                    }
                    for movement in movements {
                        sqlx::query::<$db>(sql::INSERT_LEDGER)
                            .bind(order_id)
                            .bind(version)
                            .bind(movement.kind.as_str())
                            .bind(movement.amount_cents)
                            .bind(i32::from(movement.share_percent))
                            .bind(now)
                            .execute(&mut **tx)
                            .await?;
                    }
                    Ok(())
                }

                /// The history row and its id (the caller announces it after the commit).
                async fn append_history(
                    tx: &mut Transaction<'static, $db>,
                    request: &ApplyRequest,
                    decision: &Decision,
                    version: i64,
                    effects: &[String],
                    now: DateTime<Utc>,
                ) -> Result<i64, StoreError> {
                    let history_id = sqlx::query_scalar::<$db, i64>(sql::INSERT_HISTORY)
                        .bind(request.order_id)
                        .bind(now)
                        .bind(&request.actor.name)
                        .bind(request.actor.role.as_str())
                        .bind(decision.on_behalf_of.as_deref())
                        .bind(&decision.event)
                        .bind(&decision.from)
                        .bind(&decision.to)
                        .bind(decision.note.as_deref())
                        .bind(version)
                        .bind(serde_json::to_string(effects).unwrap_or_else(|_| "[]".into()))
                        .fetch_one(&mut **tx)
                        .await?;
                    Ok(history_id)
                }

                /// Gives the transaction up after a lost race and says who won it.
                async fn lost_race(
                    &self,
                    tx: Transaction<'static, $db>,
                    order_id: OrderId,
                ) -> ApplyError {
                    match tx.rollback().await {
                        Ok(()) => self.conflict(order_id).await,
                        Err(error) => StoreError::from(error).into(),
                    }
                }

                /// A lost race: the order as it is now, and who moved it last.
                async fn conflict(&self, order_id: OrderId) -> ApplyError {
                    let current = match self.order(order_id).await {
                        Ok(Some(order)) => order,
                        Ok(None) => return ApplyError::NotFound(order_id),
                        Err(e) => return e.into(),
                    };
                    let last = sqlx::query_as::<$db, HistoryRow>(sql::LAST_HISTORY)
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
    };
}

pub(crate) use apply_path;

/// The order's workflow, provided it is loaded and still has the order's state.
pub(crate) fn loaded_workflow<'w>(
    workflows: &'w Workflows,
    order: &Order,
) -> Result<&'w Workflow, ApplyError> {
    let workflow: &Workflow =
        workflows
            .get(&order.workflow)
            .ok_or_else(|| ApplyError::UnknownWorkflow {
                order_id: order.id,
                workflow: order.workflow.clone(),
            })?;
    if workflow.state(&order.state).is_none() {
        return Err(ApplyError::UnknownState {
            order_id: order.id,
            workflow: order.workflow.clone(),
            state: order.state.clone(),
        });
    }
    Ok(workflow)
}
