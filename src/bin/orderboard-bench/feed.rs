//! Commit in one process to the event visible in another: this process follows the live
//! feed while a child process (`feed-writer`) commits transitions and reports when each
//! commit returned.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use orderboard::store::Store;
use orderboard::store::live::LiveUpdate;

use crate::report::{Figure, Report, percentile, sorted};
use crate::seed::{ensure_users, paid_orders};

/// The writer's pause between commits: slow enough that each event is measured alone.
const WRITER_PAUSE: Duration = Duration::from_millis(20);
/// How long the follower waits for the next event before giving up.
const QUIET_LIMIT: Duration = Duration::from_secs(5);

/// How the feed is followed and written.
pub struct FeedLoad {
    pub events: usize,
    /// Followers in this process, as many panes or event streams (one LISTEN connection).
    pub followers: usize,
    /// Writer processes, each committing its share of the events.
    pub writers: usize,
    pub poll: Duration,
}

pub async fn feed(
    backoffice: &Backoffice,
    raw: &Store,
    database: &str,
    load: &FeedLoad,
) -> Result<Report> {
    if load.events == 0 || load.followers == 0 || load.writers == 0 {
        bail!("--events, --followers and --writers must each be at least 1");
    }
    if load.writers > load.events {
        bail!("--writers must not exceed --events");
    }
    let admin = ensure_users(backoffice).await?;
    let ids = paid_orders(backoffice, &admin, load.events).await?;
    let after = backoffice.latest_event_id().await?;
    // Half the followers staff, half the seller whose orders these are: both feeds' queries.
    let followers: Vec<_> = (0..load.followers)
        .map(|index| {
            let viewer = if index % 2 == 0 {
                admin.clone()
            } else {
                Actor::new("sam", Role::Seller)
            };
            tokio::spawn(follow(
                backoffice.clone(),
                viewer,
                after,
                load.events,
                load.poll,
            ))
        })
        .collect();
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn(sample_connections(raw.clone(), sampling.clone()));
    let writers = spawn_writers(database, &admin.name, &ids, load.writers)?;
    let mut commits = Vec::new();
    for writer in writers {
        commits.extend(
            writer
                .join()
                .map_err(|_| eyre!("a writer's reader died"))??,
        );
    }
    let mut latencies = Vec::new();
    let mut seen_by_each = usize::MAX;
    for follower in followers {
        let arrivals = follower.await?;
        seen_by_each = seen_by_each.min(arrivals.len());
        latencies.extend(commits.iter().filter_map(|(id, committed)| {
            let arrived = arrivals.get(id)?;
            Some((arrived - committed) as f64 / 1e6)
        }));
    }
    sampling.store(false, Ordering::Relaxed);
    let connections = sampler.await?;
    Ok(Report {
        bench: format!(
            "feed latency, {} events from {} writers to {} followers, poll {} ms",
            commits.len(),
            load.writers,
            load.followers,
            load.poll.as_millis()
        ),
        backend: backoffice.backend_name().into(),
        figures: figures(
            backoffice.backend_name(),
            load,
            seen_by_each,
            sorted(latencies),
            connections,
        ),
    })
}

/// What the feed bench reports: the latencies sorted, in ms.
fn figures(
    backend: &str,
    load: &FeedLoad,
    seen_by_each: usize,
    latencies: Vec<f64>,
    connections: Option<(f64, f64)>,
) -> Vec<Figure> {
    let limit = match (backend, load.followers) {
        ("postgres", 1) => 50.0,
        ("postgres", _) => 100.0,
        _ => 250.0,
    };
    let mut figures = vec![
        Figure::new(
            "events seen by every follower",
            seen_by_each as f64,
            "events",
        )
        .at_least(load.events as f64),
        Figure::new("commit to visible, p50", percentile(&latencies, 50.0), "ms"),
        Figure::new("commit to visible, p99", percentile(&latencies, 99.0), "ms").below(limit),
        Figure::new(
            "commit to visible, max",
            latencies.last().copied().unwrap_or(0.0),
            "ms",
        ),
    ];
    if let Some((listening, all)) = connections {
        figures.push(
            Figure::new(
                "listening connections, most at once",
                listening,
                "connections",
            )
            .below(1.5),
        );
        figures.push(Figure::new(
            "connections to the database, most at once (all processes)",
            all,
            "connections",
        ));
    }
    figures
}

/// One follower: when each event arrived, until it has them all or the feed goes quiet.
async fn follow(
    backoffice: Backoffice,
    viewer: Actor,
    after: i64,
    events: usize,
    poll: Duration,
) -> HashMap<i64, i128> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let following = {
        let backoffice = backoffice.clone();
        tokio::spawn(async move { backoffice.follow_feed(&viewer, after, poll, tx).await })
    };
    let mut arrivals = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60 + events as u64 / 10);
    while arrivals.len() < events && Instant::now() < deadline {
        match tokio::time::timeout(QUIET_LIMIT, rx.recv()).await {
            Ok(Some(LiveUpdate::Events(batch))) => {
                let at = unix_nanos();
                for event in batch {
                    arrivals.entry(event.entry.id).or_insert(at);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    following.abort();
    arrivals
}

/// A writer's commits: history id, and when its commit returned (Unix nanoseconds).
type Commits = Vec<(i64, i128)>;

/// Writer processes on consecutive shares of `ids`; each thread returns its writer's
/// "history id, commit time" lines once it has finished.
fn spawn_writers(
    database: &str,
    admin: &str,
    ids: &[i64],
    writers: usize,
) -> Result<Vec<std::thread::JoinHandle<Result<Commits>>>> {
    let share = ids.len().div_ceil(writers);
    let mut handles = Vec::new();
    for chunk in ids.chunks(share) {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--database", database, "--as", admin, "feed-writer"])
            .args([
                "--first",
                &chunk[0].to_string(),
                "--count",
                &chunk.len().to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .wrap_err("cannot start a writer")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| eyre!("a writer has no output"))?;
        handles.push(std::thread::spawn(move || {
            let commits = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| {
                    let (id, at) = line.split_once(' ')?;
                    Some((id.parse::<i64>().ok()?, at.parse::<i128>().ok()?))
                })
                .collect();
            let status = child.wait()?;
            if !status.success() {
                bail!("a writer failed: {status}");
            }
            Ok(commits)
        }));
    }
    Ok(handles)
}

/// PostgreSQL: the most LISTEN connections and the most connections of any kind to this
/// database seen at once, sampled every 50 ms while the bench runs.
async fn sample_connections(raw: Store, sampling: Arc<AtomicBool>) -> Option<(f64, f64)> {
    let Store::Postgres(pg) = raw else {
        return None;
    };
    let mut most = (0i64, 0i64);
    while sampling.load(Ordering::Relaxed) {
        let counts: Result<(i64, i64), _> = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE query LIKE 'LISTEN%'), count(*) FROM pg_stat_activity WHERE datname = current_database()",
        )
        .fetch_one(pg.pool())
        .await;
        if let Ok((listening, all)) = counts {
            most = (most.0.max(listening), most.1.max(all));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some((most.0 as f64, most.1 as f64))
}
fn unix_nanos() -> i128 {
    Utc::now().timestamp_nanos_opt().unwrap_or_default() as i128
}

/// The child side of `feed`: accepts orders one by one, printing
/// "HISTORY_ID COMMIT_UNIX_NANOS" after each commit returns.
pub async fn feed_writer(backoffice: &Backoffice, first: i64, count: usize) -> Result<()> {
    let seller = Actor::new("sam", Role::Seller);
    for id in first..first + count as i64 {
        let applied = backoffice
            .advance(&seller, id, "order.accepted", None, None, Utc::now())
            .await?;
        println!("{} {}", applied.history_id, unix_nanos());
        tokio::time::sleep(WRITER_PAUSE).await;
    }
    Ok(())
}
