//! Transitions per second through the real apply path against hand-written SQL making the
//! same row changes, on the same database in the same run.

use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::{bail, eyre};
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use orderboard::store::postgres::EVENTS_CHANNEL;
use orderboard::store::{Store, micros};

use crate::report::{Figure, Report};
use crate::seed::{ensure_users, paid_orders};

/// Alternating rounds, so neither side always meets the larger WAL or the warmer cache.
const ROUNDS: usize = 4;

pub async fn apply(
    backoffice: &Backoffice,
    raw: &Store,
    clients: usize,
    transitions: usize,
) -> Result<Report> {
    if clients == 0 || transitions < clients {
        bail!("--clients must be at least 1 and --transitions at least --clients");
    }
    let admin = ensure_users(backoffice).await?;
    let per_client = transitions / clients;
    let total = per_client * clients;
    let run_apply = paid_orders(backoffice, &admin, total).await?;
    let run_raw = paid_orders(backoffice, &admin, total).await?;
    let (mut apply_time, mut raw_time) = (Duration::ZERO, Duration::ZERO);
    let round_size = total.div_ceil(ROUNDS);
    for round in 0..ROUNDS {
        let range = (round * round_size).min(total)..((round + 1) * round_size).min(total);
        for side in 0..2 {
            let apply_side = (round + side) % 2 == 0;
            let writer = if apply_side {
                Writer::ApplyPath(backoffice)
            } else {
                Writer::RawSql(raw)
            };
            let ids = if apply_side {
                &run_apply[range.clone()]
            } else {
                &run_raw[range.clone()]
            };
            let elapsed = run_clients(writer, ids, clients).await?;
            if apply_side {
                apply_time += elapsed;
            } else {
                raw_time += elapsed;
            }
        }
    }
    let apply_tps = total as f64 / apply_time.as_secs_f64();
    let raw_tps = total as f64 / raw_time.as_secs_f64();
    Ok(Report {
        bench: format!("apply, {clients} clients, {total} transitions each way"),
        backend: backoffice.backend_name().into(),
        figures: vec![
            Figure::new("raw SQL baseline", raw_tps, "transitions/s"),
            Figure::new("apply path", apply_tps, "transitions/s"),
            Figure::new("apply path / baseline", 100.0 * apply_tps / raw_tps, "%").at_least(80.0),
        ],
    })
}

#[derive(Clone, Copy)]
enum Writer<'a> {
    ApplyPath(&'a Backoffice),
    RawSql(&'a Store),
}

/// Accepts `ids` with `clients` concurrent writers.
async fn run_clients(writer: Writer<'_>, ids: &[i64], clients: usize) -> Result<Duration> {
    let per_client = ids.len().div_ceil(clients.max(1)).max(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in ids.chunks(per_client) {
        let chunk = chunk.to_vec();
        let task = match writer {
            Writer::ApplyPath(backoffice) => {
                let backoffice = backoffice.clone();
                tokio::spawn(async move {
                    let seller = Actor::new("sam", Role::Seller);
                    for id in chunk {
                        backoffice
                            .advance(&seller, id, "order.accepted", None, Some(1), Utc::now())
                            .await?;
                    }
                    Ok::<(), color_eyre::Report>(())
                })
            }
            Writer::RawSql(store) => {
                let store = store.clone();
                tokio::spawn(async move {
                    for id in chunk {
                        raw_accept(&store, id).await?;
                    }
                    Ok(())
                })
            }
        };
        tasks.push(task);
    }
    for task in tasks {
        task.await
            .map_err(|e| eyre!("a bench client died: {e}"))??;
    }
    Ok(started.elapsed())
}

const READ: &str = "SELECT state, version FROM orders WHERE id = $1";
const MOVE: &str = "UPDATE orders SET state = $1, version = version + 1, counters = $2, state_entered_at = $3, timer_event = NULL, timer_due_at = NULL, updated_at = $3 WHERE id = $4 AND version = $5 RETURNING version";
/// An outbox row, pending and due at once, as the apply path writes it (migration 0007).
const EFFECT: &str = "INSERT INTO effects (order_id, version, kind, payload, idempotency_key, created_at, next_attempt_at, status) VALUES ($1, $2, 'notify', 'notify(customer)', $3, $4, $4, 'pending')";
const HISTORY: &str = "INSERT INTO history (order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects) VALUES ($1, $2, 'sam', 'seller', NULL, 'order.accepted', 'paid', 'inprogress', NULL, $3, '[\"notify(customer)\"]') RETURNING id";

/// The same row changes as accepting a marketplace order, in hand-written SQL: read the
/// order, move it under the version check, record the effect, append history.
async fn raw_accept(store: &Store, id: i64) -> Result<()> {
    let now = micros(Utc::now());
    macro_rules! transition {
        ($tx:expr, $db:ty) => {{
            let mut tx = $tx;
            let (_state, version): (String, i64) = sqlx::query_as::<$db, (String, i64)>(READ)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let new: i64 = sqlx::query_scalar::<$db, i64>(MOVE)
                .bind("inprogress")
                .bind("{}")
                .bind(now)
                .bind(id)
                .bind(version)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query::<$db>(EFFECT)
                .bind(id)
                .bind(new)
                .bind(format!("{id}:{new}:0"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx
        }};
    }
    match store {
        Store::Sqlite(s) => {
            let tx = s.pool().begin_with("BEGIN IMMEDIATE").await?;
            let mut tx = transition!(tx, sqlx::Sqlite);
            sqlx::query_scalar::<sqlx::Sqlite, i64>(HISTORY)
                .bind(id)
                .bind(now)
                .bind(2i64)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Store::Postgres(s) => {
            let tx = s.pool().begin().await?;
            let mut tx = transition!(tx, sqlx::Postgres);
            // No global lock, as in the apply path; readers are woken the same way.
            let history: i64 = sqlx::query_scalar::<sqlx::Postgres, i64>(HISTORY)
                .bind(id)
                .bind(now)
                .bind(2i64)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(EVENTS_CHANNEL)
                .bind(history.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
    }
    Ok(())
}
