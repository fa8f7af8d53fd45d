//! Commit in one process to the event visible in another: this process follows the live
//! feed while a child process (`feed-writer`) commits transitions and reports when each
//! commit returned.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;
use orderboard::store::live::LiveUpdate;

use crate::report::{Figure, Report, percentile, sorted};
use crate::seed::{ensure_users, paid_orders};

/// The writer's pause between commits: slow enough that each event is measured alone.
const WRITER_PAUSE: Duration = Duration::from_millis(20);
/// How long the follower waits for the next event before giving up.
const QUIET_LIMIT: Duration = Duration::from_secs(5);

pub async fn feed(
    backoffice: &Backoffice,
    database: &str,
    events: usize,
    poll: Duration,
) -> Result<Report> {
    if events == 0 {
        bail!("--events must be at least 1");
    }
    let admin = ensure_users(backoffice).await?;
    let ids = paid_orders(backoffice, &admin, events).await?;
    let after = backoffice.latest_event_id().await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = {
        let backoffice = backoffice.clone();
        let admin = admin.clone();
        tokio::spawn(async move { backoffice.follow_feed(&admin, after, poll, tx).await })
    };
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--database", database, "--as", &admin.name, "feed-writer"])
        .args([
            "--first",
            &ids[0].to_string(),
            "--count",
            &ids.len().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .wrap_err("cannot start the writer")?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| eyre!("the writer has no output"))?;
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| {
                let (id, at) = line.split_once(' ')?;
                Some((id.parse::<i64>().ok()?, at.parse::<i128>().ok()?))
            })
            .collect::<Vec<_>>()
    });
    let mut arrivals: HashMap<i64, i128> = HashMap::new();
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
    follower.abort();
    let _ = child.wait();
    let commits = reader.join().unwrap_or_default();
    let latencies = sorted(
        commits
            .iter()
            .filter_map(|(id, committed)| {
                let arrived = arrivals.get(id)?;
                Some((arrived - committed) as f64 / 1e6)
            })
            .collect(),
    );
    let limit = if backoffice.backend_name() == "postgres" {
        50.0
    } else {
        250.0
    };
    Ok(Report {
        bench: format!(
            "feed latency, {} events, poll {} ms",
            commits.len(),
            poll.as_millis()
        ),
        backend: backoffice.backend_name().into(),
        figures: vec![
            Figure::new("events seen", latencies.len() as f64, "events").at_least(events as f64),
            Figure::new("commit to visible, p50", percentile(&latencies, 50.0), "ms"),
            Figure::new("commit to visible, p99", percentile(&latencies, 99.0), "ms").below(limit),
            Figure::new(
                "commit to visible, max",
                latencies.last().copied().unwrap_or(0.0),
                "ms",
            ),
        ],
    })
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
