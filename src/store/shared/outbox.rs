//! The effects outbox: runners claim due effects under a lease, report each attempt, and
//! support retries or resolves the ones that failed.

macro_rules! outbox_queries {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};

            use $crate::domain::OrderId;
            use $crate::store::rows::HistoryRow;
            use $crate::store::types::{
                AttemptReport, ClaimedEffect, EffectAttempt, EffectQuery, EffectRecord,
                HistoryEntry,
            };
            use $crate::store::{StoreError, micros, sql};

            /// Reports written by one statement.
            const REPORTS_PER_STATEMENT: usize = 500;

            /// One row of `effect_attempts`, besides the effect it belongs to.
            struct AttemptRow<'a> {
                at: DateTime<Utc>,
                actor: &'a str,
                outcome: &'a str,
                http_status: Option<i64>,
                detail: Option<&'a str>,
                duration_ms: Option<i64>,
                note: Option<&'a str>,
            }

            impl $store {
                /// Claims up to `limit` effects for `runner`: first those whose runner's lease
                /// ran out (recorded as abandoned), then the due ones. Each claim gets a lease
                /// of its own, named by the runner and the attempt number.
                pub async fn claim_effects(
                    &self,
                    runner: &str,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: i64,
                ) -> Result<Vec<ClaimedEffect>, StoreError> {
                    let now = micros(now);
                    let lease_until = micros(lease_until);
                    let mut tx = self.begin_write().await?;
                    let abandoned: Vec<i64> =
                        sqlx::query_scalar::<$db, i64>(Self::CLAIM_ABANDONED_EFFECTS)
                            .bind(now)
                            .bind(limit)
                            .fetch_all(&mut *tx)
                            .await?;
                    let room = limit - abandoned.len() as i64;
                    let due: Vec<i64> = if room > 0 {
                        sqlx::query_scalar::<$db, i64>(Self::CLAIM_DUE_EFFECTS)
                            .bind(now)
                            .bind(room)
                            .fetch_all(&mut *tx)
                            .await?
                    } else {
                        Vec::new()
                    };
                    for id in &abandoned {
                        let previous = sqlx::query_as::<$db, EffectRecord>(sql::SELECT_EFFECT)
                            .bind(id)
                            .fetch_one(&mut *tx)
                            .await?;
                        Self::insert_effect_attempt(
                            &mut tx,
                            &previous,
                            AttemptRow {
                                at: now,
                                actor: "runner",
                                outcome: "abandoned",
                                http_status: None,
                                detail: Some(
                                    "the runner's lease ran out before it reported (stopped or stalled)",
                                ),
                                duration_ms: None,
                                note: None,
                            },
                        )
                        .await?;
                    }
                    let ids: Vec<i64> = abandoned.iter().chain(&due).copied().collect();
                    if ids.is_empty() {
                        tx.commit().await?;
                        return Ok(Vec::new());
                    }
                    // One statement claims them all: a round trip per effect was most of a
                    // claim's cost.
                    let mut claim = sqlx::QueryBuilder::<$db>::new(sql::CLAIM_EFFECTS_HEAD);
                    claim.push_bind(runner);
                    claim.push(sql::CLAIM_EFFECTS_MIDDLE);
                    claim.push_bind(lease_until);
                    claim.push(sql::CLAIM_EFFECTS_WHERE);
                    let mut list = claim.separated(", ");
                    for id in &ids {
                        list.push_bind(*id);
                    }
                    claim.push(sql::CLAIM_EFFECTS_TAIL);
                    let mut effects: std::collections::HashMap<i64, EffectRecord> = claim
                        .build_query_as::<EffectRecord>()
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .map(|effect| (effect.id, effect))
                        .collect();
                    tx.commit().await?;
                    // In the order they were chosen: the abandoned first, then the due ones.
                    Ok(ids
                        .iter()
                        .filter_map(|id| effects.remove(id))
                        .map(|effect| ClaimedEffect {
                            lease: format!("{runner}#{}", effect.attempts),
                            effect,
                            lease_until,
                        })
                        .collect())
                }

                /// Writes attempts' results in one transaction, each only if its claim still
                /// holds the effect: `false` for one whose lease ran out and another claim
                /// took over (that result is dropped: the other claim delivers again, with the
                /// same key). One transaction for a batch, since a commit per report was most
                /// of a report's cost.
                pub async fn finish_effects(
                    &self,
                    reports: &[(&ClaimedEffect, &AttemptReport)],
                ) -> Result<Vec<bool>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let mut written = Vec::with_capacity(reports.len());
                    // Slices keep each statement's parameters far below either database's
                    // limit (7 per report).
                    for slice in reports.chunks(REPORTS_PER_STATEMENT) {
                        written.extend(Self::finish_slice(&mut tx, slice).await?);
                    }
                    tx.commit().await?;
                    Ok(written)
                }

                async fn finish_slice(
                    tx: &mut sqlx::Transaction<'static, $db>,
                    reports: &[(&ClaimedEffect, &AttemptReport)],
                ) -> Result<Vec<bool>, StoreError> {
                    let mut update = sqlx::QueryBuilder::<$db>::new(sql::FINISH_EFFECTS_HEAD);
                    update.push_values(reports, |mut row, (claim, report)| {
                        let finished = (report.status != $crate::store::EffectStatus::Pending)
                            .then(|| micros(report.at));
                        let last_error = match report.outcome {
                            "delivered" => None,
                            _ => report.detail.clone(),
                        };
                        row.push_bind(claim.effect.id)
                            .push_bind(claim.lease.clone())
                            .push_bind(report.status.as_str())
                            .push_bind(micros(report.next_attempt_at))
                            .push_bind(report.sink.clone())
                            .push_bind(last_error)
                            .push_bind(finished);
                    });
                    update.push(sql::FINISH_EFFECTS_TAIL);
                    // By effect and attempt: two claims of one effect in a batch (a stalled
                    // delivery and the claim that took over) share the id, not the attempt.
                    let updated: std::collections::HashSet<(i64, i64)> = update
                        .build_query_as::<(i64, i64)>()
                        .fetch_all(&mut **tx)
                        .await?
                        .into_iter()
                        .collect();
                    let held = |claim: &ClaimedEffect| {
                        updated.contains(&(claim.effect.id, claim.effect.attempts))
                    };
                    let written: Vec<bool> = reports.iter().map(|(claim, _)| held(claim)).collect();
                    if !updated.is_empty() {
                        let mut insert =
                            sqlx::QueryBuilder::<$db>::new(sql::INSERT_EFFECT_ATTEMPTS_HEAD);
                        let rows = reports.iter().filter(|(claim, _)| held(claim));
                        insert.push_values(rows, |mut row, (claim, report)| {
                            let effect = &claim.effect;
                            row.push_bind(effect.id)
                                .push_bind(effect.order_id)
                                .push_bind(effect.attempts)
                                .push_bind(micros(report.at))
                                .push_bind(report.sink.clone().unwrap_or_else(|| "runner".into()))
                                .push_bind(report.outcome)
                                .push_bind(report.http_status)
                                .push_bind(report.detail.clone())
                                .push_bind(report.duration_ms)
                                .push_bind(None::<String>);
                        });
                        insert.build().execute(&mut **tx).await?;
                    }
                    Ok(written)
                }

                /// A hand retry (`retry_requested`) or resolution (`resolved`) of a failed or
                /// unrouted effect, with who and why; `None` when the effect is missing or
                /// not failed or unrouted (any more).
                pub async fn settle_effect(
                    &self,
                    id: i64,
                    retry: bool,
                    actor: &str,
                    note: Option<&str>,
                    now: DateTime<Utc>,
                ) -> Result<Option<EffectRecord>, StoreError> {
                    let now = micros(now);
                    let mut tx = self.begin_write().await?;
                    let Some(before) = sqlx::query_as::<$db, EffectRecord>(sql::SELECT_EFFECT)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                    else {
                        return Ok(None);
                    };
                    let statement = if retry { sql::RETRY_EFFECT } else { sql::RESOLVE_EFFECT };
                    let changed = sqlx::query::<$db>(statement)
                        .bind(id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if changed == 0 {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                    let was = format!("was {}", before.status);
                    Self::insert_effect_attempt(
                        &mut tx,
                        &before,
                        AttemptRow {
                            at: now,
                            actor,
                            outcome: if retry { "retry_requested" } else { "resolved" },
                            http_status: None,
                            detail: Some(&was),
                            duration_ms: None,
                            note,
                        },
                    )
                    .await?;
                    let after = sqlx::query_as::<$db, EffectRecord>(sql::SELECT_EFFECT)
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Some(after))
                }

                async fn insert_effect_attempt(
                    tx: &mut sqlx::Transaction<'static, $db>,
                    effect: &EffectRecord,
                    row: AttemptRow<'_>,
                ) -> Result<(), StoreError> {
                    sqlx::query::<$db>(sql::INSERT_EFFECT_ATTEMPT)
                        .bind(effect.id)
                        .bind(effect.order_id)
                        .bind(effect.attempts)
                        .bind(row.at)
                        .bind(row.actor)
                        .bind(row.outcome)
                        .bind(row.http_status)
                        .bind(row.detail)
                        .bind(row.duration_ms)
                        .bind(row.note)
                        .execute(&mut **tx)
                        .await?;
                    Ok(())
                }

                pub async fn effect(&self, id: i64) -> Result<Option<EffectRecord>, StoreError> {
                    Ok(sqlx::query_as::<$db, EffectRecord>(sql::SELECT_EFFECT)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?)
                }

                pub async fn list_effects(
                    &self,
                    query: &EffectQuery,
                ) -> Result<Vec<EffectRecord>, StoreError> {
                    Ok(sqlx::query_as::<$db, EffectRecord>(sql::LIST_EFFECTS)
                        .bind(query.status.map(|s| s.as_str()))
                        .bind(query.order_id)
                        .bind(query.after_id.unwrap_or(0))
                        .bind(query.limit)
                        .fetch_all(&self.pool)
                        .await?)
                }

                pub async fn count_effects_needing_attention(&self) -> Result<i64, StoreError> {
                    Ok(
                        sqlx::query_scalar::<$db, i64>(sql::COUNT_EFFECTS_NEEDING_ATTENTION)
                            .fetch_one(&self.pool)
                            .await?,
                    )
                }

                pub async fn effect_attempts(
                    &self,
                    order_id: OrderId,
                ) -> Result<Vec<EffectAttempt>, StoreError> {
                    Ok(sqlx::query_as::<$db, EffectAttempt>(sql::SELECT_EFFECT_ATTEMPTS)
                        .bind(order_id)
                        .fetch_all(&self.pool)
                        .await?)
                }

                /// The transition that recorded the effects of `version`.
                pub async fn transition_at(
                    &self,
                    order_id: OrderId,
                    version: i64,
                ) -> Result<Option<HistoryEntry>, StoreError> {
                    Ok(sqlx::query_as::<$db, HistoryRow>(sql::HISTORY_AT_VERSION)
                        .bind(order_id)
                        .bind(version)
                        .fetch_optional(&self.pool)
                        .await?
                        .map(HistoryEntry::from))
                }
            }
        };
    };
}

pub(crate) use outbox_queries;
