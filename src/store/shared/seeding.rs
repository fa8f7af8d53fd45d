//! Bulk seeding: orders whose whole life the engine already decided, written many rows per
//! statement in one transaction.

use chrono::{DateTime, Utc};

use crate::domain::{Order, OrderId};
use crate::store::types::{SeededOrder, SeededTransition};
use crate::workflow::{Effect, LedgerEntry};

/// Rows per INSERT statement: 1,000 seeded orders bind 18,000 parameters, under SQLite's
/// limit of 32,766 per statement (PostgreSQL's is 65,535).
pub(crate) const ROWS_PER_INSERT: usize = 1000;

macro_rules! seeding {
    ($store:ty, $db:ty) => {
        const _: () = {
            use sqlx::{QueryBuilder, Transaction};

            use $crate::domain::Order;
            use $crate::store::shared::seeding::{
                ROWS_PER_INSERT, SeededEffect, SeededLedgerRow, json_or, seeded_effects,
                seeded_ledger, seeded_transitions,
            };
            use $crate::store::types::{SeededOrder, SeededTransition};
            use $crate::store::{StoreError, micros, sql};

            impl $store {
                /// The highest order id so far (bulk seeding numbers new orders after it).
                pub async fn max_order_id(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar::<$db, i64>(sql::MAX_ORDER_ID)
                        .fetch_one(&self.pool)
                        .await?)
                }

                /// Adds the parties of a seed as users (those that exist already are left
                /// as they are), all with `password_hash`, many rows per statement.
                pub async fn insert_parties(
                    &self,
                    parties: &[(String, $crate::domain::Role)],
                    password_hash: &str,
                    at: chrono::DateTime<chrono::Utc>,
                ) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    for chunk in parties.chunks(ROWS_PER_INSERT) {
                        let mut insert = QueryBuilder::<$db>::new(sql::SEED_PARTIES);
                        insert.push_values(chunk, |mut row, (name, role)| {
                            row.push_bind(name.clone())
                                .push_bind(role.as_str())
                                .push_bind(password_hash.to_string())
                                .push_bind(false)
                                .push_bind(0_i32)
                                .push_bind(micros(at));
                        });
                        insert.push(" ON CONFLICT (name) DO NOTHING");
                        insert.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                /// Writes seeded orders with their histories, effects and ledger rows in one
                /// transaction, many rows per statement.
                pub async fn bulk_insert(&self, orders: &[SeededOrder]) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    Self::prepare_bulk(&mut tx).await?;
                    let written = async {
                        Self::insert_seeded_orders(&mut tx, orders).await?;
                        let transitions = seeded_transitions(orders);
                        Self::insert_seeded_history(&mut tx, &transitions).await?;
                        Self::insert_seeded_effects(&mut tx, &seeded_effects(&transitions)).await?;
                        Self::insert_seeded_ledger(&mut tx, &seeded_ledger(&transitions)).await
                    }
                    .await;
                    // Failed or not, the connection goes back to the pool (on SQLite, the
                    // one every write takes) with the ordinary cache and heap limit.
                    Self::finish_bulk(&mut tx).await?;
                    written?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn insert_seeded_orders(
                    tx: &mut Transaction<'static, $db>,
                    orders: &[SeededOrder],
                ) -> Result<(), StoreError> {
                    for chunk in orders.chunks(ROWS_PER_INSERT) {
                        let mut insert = QueryBuilder::<$db>::new(sql::SEED_ORDERS);
                        insert.push_values(chunk, |mut row, seeded| {
                            let order = &seeded.order;
                            let timer = seeded.timer.as_ref();
                            row.push_bind(order.id)
                                .push_bind(order.workflow.clone())
                                .push_bind(order.state.clone())
                                .push_bind(order.version)
                                .push_bind(order.customer.clone())
                                .push_bind(order.seller.clone())
                                .push_bind(order.title.clone())
                                .push_bind(order.amount_cents)
                                .push_bind(order.currency.clone())
                                .push_bind(micros(order.placed_at))
                                .push_bind(order.due_at.map(micros))
                                .push_bind(micros(order.state_entered_at))
                                .push_bind(timer.map(|(event, _)| event.clone()))
                                .push_bind(timer.map(|(_, due)| micros(*due)))
                                .push_bind(json_or(&order.attrs, "{}"))
                                .push_bind(json_or(&order.counters, "{}"))
                                .push_bind(micros(order.placed_at))
                                .push_bind(micros(order.state_entered_at));
                        });
                        insert.build().execute(&mut **tx).await?;
                        if let Some(index) = Self::INDEX_ORDER_TEXT {
                            let mut insert = QueryBuilder::<$db>::new(index);
                            insert.push_values(chunk, |mut row, seeded| {
                                row.push_bind(seeded.order.id)
                                    .push_bind(seeded.order.title.clone())
                                    .push_bind(seeded.order.customer.clone())
                                    .push_bind(seeded.order.seller.clone());
                            });
                            insert.build().execute(&mut **tx).await?;
                        }
                    }
                    Ok(())
                }

                async fn insert_seeded_history(
                    tx: &mut Transaction<'static, $db>,
                    transitions: &[(&Order, &SeededTransition)],
                ) -> Result<(), StoreError> {
                    for chunk in transitions.chunks(ROWS_PER_INSERT) {
                        let mut insert = QueryBuilder::<$db>::new(sql::SEED_HISTORY);
                        insert.push_values(chunk, |mut row, (order, step)| {
                            let effects: Vec<String> =
                                step.effects.iter().map(|e| e.to_string()).collect();
                            row.push_bind(order.id)
                                .push_bind(micros(step.at))
                                .push_bind(step.actor.name.clone())
                                .push_bind(step.actor.role.as_str())
                                .push_bind(step.on_behalf_of.clone())
                                .push_bind(step.event.clone())
                                .push_bind(step.from.clone())
                                .push_bind(step.to.clone())
                                .push_bind(step.note.clone())
                                .push_bind(step.version)
                                .push_bind(json_or(&effects, "[]"));
                        });
                        insert.build().execute(&mut **tx).await?;
                    }
                    Ok(())
                }

                async fn insert_seeded_effects(
                    tx: &mut Transaction<'static, $db>,
                    effects: &[SeededEffect<'_>],
                ) -> Result<(), StoreError> {
                    for chunk in effects.chunks(ROWS_PER_INSERT) {
                        let mut insert = QueryBuilder::<$db>::new(sql::SEED_EFFECTS);
                        insert.push_values(chunk, |mut row, effect| {
                            row.push_bind(effect.order_id)
                                .push_bind(effect.version)
                                .push_bind(effect.effect.kind())
                                .push_bind(effect.effect.to_string())
                                .push_bind(effect.idempotency_key())
                                .push_bind(micros(effect.at))
                                .push_bind(micros(effect.at))
                                // Synthetic history: its effects are not the world's to carry
                                // out, so no runner delivers them.
                                .push_bind("delivered");
                        });
                        insert.build().execute(&mut **tx).await?;
                    }
                    Ok(())
                }

                async fn insert_seeded_ledger(
                    tx: &mut Transaction<'static, $db>,
                    ledger: &[SeededLedgerRow],
                ) -> Result<(), StoreError> {
                    for chunk in ledger.chunks(ROWS_PER_INSERT) {
                        let mut insert = QueryBuilder::<$db>::new(sql::SEED_LEDGER);
                        insert.push_values(chunk, |mut row, ledger_row| {
                            let entry = &ledger_row.entry;
                            row.push_bind(ledger_row.order_id)
                                .push_bind(ledger_row.version)
                                .push_bind(entry.kind.as_str())
                                .push_bind(entry.amount_cents)
                                .push_bind(i32::from(entry.share_percent))
                                .push_bind(micros(ledger_row.at));
                        });
                        insert.build().execute(&mut **tx).await?;
                    }
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use seeding;

/// Seeded values are the engine's own maps and lists; should one not serialise, its row goes
/// in with an empty one rather than failing the batch.
pub(crate) fn json_or(value: &impl serde::Serialize, empty: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| empty.into())
}

/// Every seeded transition, with the order it belongs to.
pub(crate) fn seeded_transitions(orders: &[SeededOrder]) -> Vec<(&Order, &SeededTransition)> {
    orders
        .iter()
        .flat_map(|seeded| seeded.history.iter().map(move |step| (&seeded.order, step)))
        .collect()
}

pub(crate) struct SeededEffect<'a> {
    pub order_id: OrderId,
    pub version: i64,
    /// The effect's place among its transition's effects.
    pub index: usize,
    pub effect: &'a Effect,
    pub at: DateTime<Utc>,
}

impl SeededEffect<'_> {
    /// The key the apply path gives an effect, so seeded and applied effects look alike.
    pub fn idempotency_key(&self) -> String {
        format!("{}:{}:{}", self.order_id, self.version, self.index)
    }
}

pub(crate) fn seeded_effects<'a>(
    transitions: &[(&'a Order, &'a SeededTransition)],
) -> Vec<SeededEffect<'a>> {
    transitions
        .iter()
        .flat_map(|(order, step)| {
            step.effects
                .iter()
                .enumerate()
                .map(move |(index, effect)| SeededEffect {
                    order_id: order.id,
                    version: step.version,
                    index,
                    effect,
                    at: step.at,
                })
        })
        .collect()
}

pub(crate) struct SeededLedgerRow {
    pub order_id: OrderId,
    pub version: i64,
    pub entry: LedgerEntry,
    pub at: DateTime<Utc>,
}

/// The ledger rows of the effects that move money.
pub(crate) fn seeded_ledger(transitions: &[(&Order, &SeededTransition)]) -> Vec<SeededLedgerRow> {
    transitions
        .iter()
        .flat_map(|(order, step)| {
            step.effects.iter().filter_map(move |effect| {
                // Seeded amounts are within bounds: an entry that cannot be computed is none.
                effect
                    .ledger_entry(order.amount_cents)
                    .ok()
                    .flatten()
                    .map(|entry| SeededLedgerRow {
                        order_id: order.id,
                        version: step.version,
                        entry,
                        at: step.at,
                    })
            })
        })
        .collect()
}
