//! The runner at scale (issue 14, target 5): effects delivered by several runners to a local
//! HTTP sink, and timers all due at once fired. Meant for a fresh database: other pending
//! effects or due timers there would be delivered and fired too.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::{bail, eyre};
use orderboard::demo::{Population, seed_bulk};
use orderboard::domain::{Actor, Role};
use orderboard::runner::sinks::{Sink, SinkSecret, Sinks};
use orderboard::runner::transport::HttpTransport;
use orderboard::runner::{Runner, RunnerOptions};
use orderboard::service::Backoffice;
use orderboard::store::Store;
use tokio::sync::watch;

use crate::report::{Figure, Report};
use crate::seed::paid_orders;

/// What the sink saw: every idempotency key, and how many came twice.
#[derive(Default)]
struct Seen {
    keys: HashSet<String>,
    repeats: usize,
}

/// The longest a phase may take before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(300);

/// `effects` notifications delivered by the runners, then the timers due at once among
/// `timer_orders` seeded fulfilment orders fired by the same runners. Each runner has its own
/// connection pool, as separate `serve` processes would.
pub async fn runner(
    offices: Vec<Backoffice>,
    raw: &Store,
    admin: &Actor,
    effects: usize,
    timer_orders: usize,
) -> Result<Report> {
    let office = offices.first().ok_or_else(|| eyre!("no runner"))?.clone();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = start_sink(seen.clone()).await?;
    let runners = offices.len();
    let mut figures = deliveries(&offices, raw, admin, effects, &url).await?;
    let repeats = seen.lock().map(|s| s.repeats).unwrap_or(usize::MAX);
    figures.push(Figure::new(
        "deliveries repeated",
        repeats as f64,
        "deliveries",
    ));
    figures.extend(timers(&offices, raw, admin, timer_orders, &url).await?);
    Ok(Report {
        bench: format!(
            "runner: {effects} effects, {timer_orders} fulfilment orders, {runners} runners"
        ),
        backend: office.backend_name().into(),
        figures,
    })
}

/// Paid orders accepted by their seller, each writing one notify effect, then delivered.
async fn deliveries(
    offices: &[Backoffice],
    raw: &Store,
    admin: &Actor,
    effects: usize,
    url: &str,
) -> Result<Vec<Figure>> {
    let office = &offices[0];
    let orders = paid_orders(office, admin, effects).await?;
    let sam = Actor::new("sam", Role::Seller);
    for id in &orders {
        office
            .advance(&sam, *id, "order.accepted", None, None, Utc::now())
            .await?;
    }
    let started = Instant::now();
    let running = start_runners(offices, url)?;
    wait_until(raw, "notify effects delivered", effects as i64, DELIVERED).await?;
    let seconds = started.elapsed().as_secs_f64();
    stop_runners(running).await;
    Ok(vec![
        Figure::new(
            &format!("effects delivered per second, {} runners", offices.len()),
            effects as f64 / seconds,
            "effects/s",
        )
        .at_least(1000.0),
    ])
}

/// Fulfilment orders placed an hour ago, a third of them with a timer due, then fired.
async fn timers(
    offices: &[Backoffice],
    raw: &Store,
    admin: &Actor,
    timer_orders: usize,
    url: &str,
) -> Result<Vec<Figure>> {
    let office = &offices[0];
    let workflows = ["fulfilment".to_string()];
    let actors = [
        admin.clone(),
        Actor::new("carol", Role::Customer),
        Actor::new("sam", Role::Seller),
    ];
    let mut rng = fastrand::Rng::with_seed(11);
    let placed = Utc::now() - chrono::Duration::hours(1);
    seed_bulk(
        office,
        admin,
        &actors,
        Population::accounts(&actors),
        &workflows,
        timer_orders,
        placed,
        &mut rng,
    )
    .await?;
    // The seeded histories hold timed steps of their own: counted from here.
    let before = count(raw, SYSTEM_STEPS).await?;
    let at_start = orderboard::store::micros(Utc::now());
    let due = count_due(raw, at_start, i64::MAX).await?;
    let started = Instant::now();
    let running = start_runners(offices, url)?;
    // Until none due at the start is left, or (a guard refusing some) none fired for 3 s.
    // While DUE_COUNTED_UP_TO or more are due the count stays there, so a new step in the
    // history is what tells that timers still fire.
    let (mut left, mut last_change) = (due, Instant::now());
    let mut newest_step = count(raw, NEWEST_STEP).await?;
    while left > 0 && last_change.elapsed() < Duration::from_secs(3) {
        if started.elapsed() > PATIENCE {
            bail!("timers: {left} or more of {due} still due after {PATIENCE:?}");
        }
        tokio::time::sleep(LOOK_AT_TIMERS).await;
        let now = count_due(raw, at_start, DUE_COUNTED_UP_TO).await?;
        let stepped = now == DUE_COUNTED_UP_TO && {
            let newest = count(raw, NEWEST_STEP).await?;
            std::mem::replace(&mut newest_step, newest) != newest
        };
        if now != left || stepped {
            (left, last_change) = (now, Instant::now());
        }
    }
    let seconds = last_change.duration_since(started).as_secs_f64();
    stop_runners(running).await;
    let fired = count(raw, SYSTEM_STEPS).await? - before;
    let twice = count(raw, VERSIONS_TWICE).await?;
    if twice > 0 {
        bail!("{twice} order versions were recorded twice: a timer fired more than once");
    }
    Ok(vec![
        Figure::new("timers due at once", due as f64, "timers"),
        Figure::new("all of them fired within", seconds, "s").below(60.0),
        Figure::new("left unfired (refused by a guard)", left as f64, "timers"),
        Figure::new("timed transitions recorded", fired as f64, "transitions"),
        Figure::new("order versions recorded twice", twice as f64, "versions"),
    ])
}

/// Between two counts of the timers still due; the figure is exact to this interval.
const LOOK_AT_TIMERS: Duration = Duration::from_millis(200);

/// The count while the timers fire stops here. A full count reads every due timer's index
/// entry and row: 27–99 ms each while 30,000 were due, and so a good part of a backend's
/// time at 100,000, on the database being measured. A count up to 1,000 reads about that
/// many entries (and, on PostgreSQL, the dead ones the fired timers left at the index's low
/// end until a vacuum).
const DUE_COUNTED_UP_TO: i64 = 1000;

const DELIVERED: &str =
    "SELECT COUNT(*) FROM effects WHERE kind = 'notify' AND status = 'delivered'";
/// Timers due by $1, up to $2: the orders placed an hour ago have their delays (seconds)
/// behind them; a fired timer's next one is due from the moment it fired, after $1.
const DUE_BY: &str =
    "SELECT COUNT(*) FROM (SELECT 1 FROM orders WHERE timer_due_at <= $1 LIMIT $2) AS due";
/// The newest history row's id: it moves whenever a timer fires (an index's last entry).
const NEWEST_STEP: &str = "SELECT COALESCE(MAX(id), 0) FROM history";
const SYSTEM_STEPS: &str = "SELECT COUNT(*) FROM history WHERE actor = 'system'";
const VERSIONS_TWICE: &str = "SELECT COUNT(*) FROM (SELECT order_id, version FROM history GROUP BY order_id, version HAVING COUNT(*) > 1) AS twice";

/// A sink answering 200 at once, noting each idempotency key.
async fn start_sink(seen: Arc<Mutex<Seen>>) -> Result<String> {
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                if let Ok(mut seen) = seen.lock()
                    && !seen.keys.insert(key)
                {
                    seen.repeats += 1;
                }
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

type Running = Vec<(watch::Sender<bool>, tokio::task::JoinHandle<()>)>;

fn start_runners(offices: &[Backoffice], url: &str) -> Result<Running> {
    let mut running = Vec::new();
    for office in offices {
        let mut sinks = Sinks::default();
        sinks.add(Sink {
            name: "bench".into(),
            kinds: vec!["notify".into()],
            transport: Arc::new(
                HttpTransport::new(url, Duration::from_secs(5)).map_err(|e| eyre!(e))?,
            ),
            secret: SinkSecret::new(b"bench".to_vec()),
            timeout: Duration::from_secs(5),
            max_attempts: 5,
            first_retry: Duration::from_millis(200),
        })?;
        let options = RunnerOptions {
            poll: Duration::from_millis(50),
            ..RunnerOptions::default()
        };
        let (stop, stopped) = watch::channel(false);
        let runner = Runner::new(office.clone(), sinks, options);
        running.push((stop, tokio::spawn(runner.run(stopped))));
    }
    Ok(running)
}

async fn stop_runners(running: Running) {
    for (stop, task) in running {
        let _ = stop.send(true);
        let _ = task.await;
    }
}

async fn count(raw: &Store, sql: &'static str) -> Result<i64> {
    Ok(match raw {
        Store::Sqlite(s) => {
            sqlx::query_scalar::<sqlx::Sqlite, i64>(sql)
                .fetch_one(s.pool())
                .await?
        }
        Store::Postgres(s) => {
            sqlx::query_scalar::<sqlx::Postgres, i64>(sql)
                .fetch_one(s.pool())
                .await?
        }
    })
}

async fn count_due(raw: &Store, by: chrono::DateTime<Utc>, up_to: i64) -> Result<i64> {
    Ok(match raw {
        Store::Sqlite(s) => {
            sqlx::query_scalar::<sqlx::Sqlite, i64>(DUE_BY)
                .bind(by)
                .bind(up_to)
                .fetch_one(s.pool())
                .await?
        }
        Store::Postgres(s) => {
            sqlx::query_scalar::<sqlx::Postgres, i64>(DUE_BY)
                .bind(by)
                .bind(up_to)
                .fetch_one(s.pool())
                .await?
        }
    })
}

/// Polls `sql` until it answers `target`.
async fn wait_until(raw: &Store, what: &str, target: i64, sql: &'static str) -> Result<()> {
    let started = Instant::now();
    loop {
        let now = count(raw, sql).await?;
        if now == target {
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            bail!("{what}: still {now}, not {target}, after {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
