//! Transitions per second through the real apply path against hand-written SQL making the
//! same row changes, on the same database in the same run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::{bail, eyre};
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use orderboard::store::{Store, micros};

use crate::report::{Figure, Report};
use crate::seed::{ensure_users, paid_orders};

/// The advisory lock key every writer took before migration 0009.
const OLD_EVENT_ID_LOCK: i64 = 0x6f72_6465_7262_6f61;

/// Alternating rounds, so neither side always meets the larger WAL or the warmer cache.
const ROUNDS: usize = 4;

#[derive(clap::Args, Debug)]
pub struct ApplyLoad {
    #[arg(long, default_value_t = 1)]
    pub clients: usize,
    #[arg(long, default_value_t = 2000)]
    pub transitions: usize,
    /// Profile one side only: `perf record --control=fifo:CTL -D -1 …` starts disabled,
    /// and the bench writes "enable"/"disable" to CTL around that side's runs.
    #[arg(long, value_name = "CTL", requires = "profile_side")]
    pub perf_control: Option<PathBuf>,
    /// The side `--perf-control` profiles: apply, raw, locked (PostgreSQL) or c-api (SQLite).
    #[arg(long, value_name = "SIDE", requires = "perf_control", value_parser = ["apply", "raw", "locked", "c-api"])]
    pub profile_side: Option<String>,
}

pub async fn apply(backoffice: &Backoffice, raw: &Store, load: &ApplyLoad) -> Result<Report> {
    let ApplyLoad {
        clients,
        transitions,
        ..
    } = *load;
    if clients == 0 || transitions < clients {
        bail!("--clients must be at least 1 and --transitions at least --clients");
    }
    let admin = ensure_users(backoffice).await?;
    let per_client = transitions / clients;
    let total = per_client * clients;
    // On PostgreSQL a third side: the raw statements under one global lock, as every writer
    // took before migration 0009, to show what dropping it bought on this machine.
    // On SQLite the third side is the same statements through the C API (target 4).
    let mut writers = vec![Writer::ApplyPath(backoffice), Writer::RawSql(raw, false)];
    match raw {
        Store::Postgres(_) => writers.push(Writer::RawSql(raw, true)),
        Store::Sqlite(store) => writers.push(Writer::CApi(store.path())),
    }
    let mut orders = Vec::new();
    for _ in &writers {
        orders.push(paid_orders(backoffice, &admin, total).await?);
    }
    let mut times = vec![Duration::ZERO; writers.len()];
    let round_size = total.div_ceil(ROUNDS);
    for round in 0..ROUNDS {
        let range = (round * round_size).min(total)..((round + 1) * round_size).min(total);
        for turn in 0..writers.len() {
            let side = (round + turn) % writers.len();
            let ids = &orders[side][range.clone()];
            let profiled = profiling(load, writers[side])?;
            times[side] += run_clients(writers[side], ids, clients).await?;
            if profiled {
                perf_control(load, "disable")?;
            }
        }
    }
    let tps: Vec<f64> = times
        .iter()
        .map(|time| total as f64 / time.as_secs_f64())
        .collect();
    let mut figures = vec![
        Figure::new("raw SQL baseline", tps[1], "transitions/s"),
        Figure::new("apply path", tps[0], "transitions/s"),
        Figure::new("apply path / baseline", 100.0 * tps[0] / tps[1], "%").at_least(80.0),
    ];
    match (raw, tps.get(2)) {
        (Store::Postgres(_), Some(&locked)) => figures.push(Figure::new(
            "raw SQL under one global lock (before 0009)",
            locked,
            "transitions/s",
        )),
        (Store::Sqlite(_), Some(&c_api)) => figures.extend([
            Figure::new(
                "the same statements through the C API",
                c_api,
                "transitions/s",
            ),
            Figure::new("apply path / C API", 100.0 * tps[0] / c_api, "%").at_least(80.0),
        ]),
        _ => {}
    }
    Ok(Report {
        bench: format!("apply, {clients} clients, {total} transitions each way"),
        backend: backoffice.backend_name().into(),
        figures,
    })
}

/// Turns perf on for this side's run when it is the profiled one; true when it did.
fn profiling(load: &ApplyLoad, writer: Writer<'_>) -> Result<bool> {
    let Some(side) = &load.profile_side else {
        return Ok(false);
    };
    let name = match writer {
        Writer::ApplyPath(_) => "apply",
        Writer::RawSql(_, false) => "raw",
        Writer::RawSql(_, true) => "locked",
        Writer::CApi(_) => "c-api",
    };
    if name != side {
        return Ok(false);
    }
    perf_control(load, "enable")?;
    Ok(true)
}

/// Writes a command to perf's control FIFO (perf answers on its ack FIFO, unread here).
fn perf_control(load: &ApplyLoad, command: &str) -> Result<()> {
    if let Some(fifo) = &load.perf_control {
        std::fs::write(fifo, format!("{command}\n"))
            .map_err(|e| eyre!("cannot write to perf's control {}: {e}", fifo.display()))?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
pub enum Writer<'a> {
    ApplyPath(&'a Backoffice),
    /// With the global lock or without.
    RawSql(&'a Store, bool),
    /// The SQLite file at this path, through the C API.
    CApi(&'a Path),
}

/// Accepts `ids` with `clients` concurrent writers.
pub async fn run_clients(writer: Writer<'_>, ids: &[i64], clients: usize) -> Result<Duration> {
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
            Writer::RawSql(store, locked) => {
                let store = store.clone();
                tokio::spawn(async move {
                    for id in chunk {
                        raw_accept(&store, id, locked).await?;
                    }
                    Ok(())
                })
            }
            Writer::CApi(path) => {
                // A thread of its own, named so that a profile tells it from the runtime's.
                let path = path.to_path_buf();
                let client = std::thread::Builder::new()
                    .name("c-api-client".into())
                    .spawn(move || crate::capi::accept_all(&path, &chunk))?;
                tokio::task::spawn_blocking(move || {
                    client
                        .join()
                        .map_err(|_| eyre!("a C API client panicked"))?
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

pub const READ: &str = "SELECT state, version FROM orders WHERE id = $1";
pub const MOVE: &str = "UPDATE orders SET state = $1, version = version + 1, counters = $2, state_entered_at = $3, timer_event = NULL, timer_due_at = NULL, updated_at = $3 WHERE id = $4 AND version = $5 RETURNING version";
/// An outbox row, pending and due at once, as the apply path writes it (migration 0007).
pub const EFFECT: &str = "INSERT INTO effects (order_id, version, kind, payload, idempotency_key, created_at, next_attempt_at, status) VALUES ($1, $2, 'notify', 'notify(customer)', $3, $4, $4, 'pending')";
pub const HISTORY: &str = "INSERT INTO history (order_id, at, actor, role, on_behalf_of, event, from_state, to_state, note, version, effects) VALUES ($1, $2, 'sam', 'seller', NULL, 'order.accepted', 'paid', 'inprogress', NULL, $3, '[\"notify(customer)\"]') RETURNING id";

/// The same row changes as accepting a marketplace order, in hand-written SQL: read the
/// order, move it under the version check, record the effect, append history.
async fn raw_accept(store: &Store, id: i64, locked: bool) -> Result<()> {
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
            let tx = s.writer().begin_with("BEGIN IMMEDIATE").await?;
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
            // No global lock, as in the apply path, unless asked for the old design's (taken
            // just before the history insert, as it was); readers are woken the same way.
            if locked {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(OLD_EVENT_ID_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query_scalar::<sqlx::Postgres, i64>(HISTORY)
                .bind(id)
                .bind(now)
                .bind(2i64)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            s.announce_committed();
        }
    }
    Ok(())
}
