//! A long session (issue 14, target 8): the release `orderboard` runs in tmux at 160×48,
//! signed in, while the bench presses keys in it as someone working the board would
//! (scrolling, paging, menus, filters, other workflows, the history explorer, reloads) and
//! changes orders through its own connection, which the board follows live. The app's
//! resident memory is sampled from /proc all along; the figures are its peak and its trend.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};
use orderboard::domain::{Actor, Role};
use orderboard::service::Backoffice;

use crate::report::{Figure, Report, resident_mb_of};
use crate::seed::{ensure_users, paid_orders};
use crate::startup::{app_binary, shell_quote};

/// One round of a user's keys (tmux key names), repeated for the whole session.
const KEYS: [&str; 22] = [
    "j", "j", "j", "l", "j", "NPage", "NPage", "k", "h", "Enter", "Escape", "End", "Home", "d",
    "d", "w", "W", "H", "j", "Escape", "C-r", "l",
];
/// How often memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// The first minutes are warm-up (caches filling, the first pages): not part of the trend.
const WARM_UP_SHARE: f64 = 0.1;
/// What the board's frame shows once it has loaded.
const BOARD_LOADED: &str = "marketplace";

#[derive(clap::Args, Debug)]
pub struct SoakLoad {
    #[arg(long, default_value_t = 60.0)]
    pub minutes: f64,
    #[arg(long, default_value_t = 5.0)]
    pub keys_per_second: f64,
    #[arg(long, default_value_t = 2.0)]
    pub updates_per_second: f64,
    /// Write every memory sample to this file ("seconds,MB" lines), for a plot.
    #[arg(long)]
    pub trace: Option<std::path::PathBuf>,
}

pub async fn soak(
    backoffice: &Backoffice,
    database: &str,
    viewer: &str,
    load: &SoakLoad,
) -> Result<Report> {
    if !(load.minutes > 0.0 && load.keys_per_second > 0.0 && load.updates_per_second > 0.0) {
        bail!("--minutes, --keys-per-second and --updates-per-second must be above 0");
    }
    let admin = ensure_users(backoffice).await?;
    let session = format!("obsoak{}", std::process::id());
    let pid = start_app(&session, database, viewer)?;
    let outcome = run_session(backoffice, &admin, &session, pid, load).await;
    let _ = Command::new("tmux")
        .args(["kill-session", "-t", &session])
        .status();
    let samples = outcome?;
    if let Some(path) = &load.trace {
        let lines: String = samples
            .iter()
            .map(|(t, mb)| format!("{t:.0},{mb:.1}\n"))
            .collect();
        std::fs::write(path, lines).wrap_err("cannot write the trace")?;
    }
    Ok(report(backoffice, viewer, load, &samples))
}

/// Starts the app signed in, in a new tmux session; returns its process id once its board
/// shows.
fn start_app(session: &str, database: &str, viewer: &str) -> Result<u32> {
    let app = app_binary()?;
    let password = std::env::var("ORDERBOARD_PASSWORD")
        .map_err(|_| eyre!("ORDERBOARD_PASSWORD must hold {viewer}'s password"))?;
    // `exec`, so that the pane's process is the app itself.
    let command = format!(
        "exec {} --database {} --as {}",
        shell_quote(&app.to_string_lossy()),
        shell_quote(database),
        shell_quote(viewer)
    );
    let mut tmux = Command::new("tmux");
    tmux.args(["new-session", "-d", "-s", session, "-x", "160", "-y", "48"])
        .args(["-e", &format!("ORDERBOARD_PASSWORD={password}")]);
    if let Ok(config) = std::env::var("ORDERBOARD_CONFIG") {
        tmux.args(["-e", &format!("ORDERBOARD_CONFIG={config}")]);
    }
    let status = tmux
        .arg(command)
        .status()
        .wrap_err("tmux is needed for this bench")?;
    if !status.success() {
        bail!("tmux could not start a session");
    }
    let started = Instant::now();
    while !pane(session)?.contains(BOARD_LOADED) {
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "the board did not show within a minute:\n{}",
                pane(session)?
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = Command::new("tmux")
        .args(["display-message", "-p", "-t", session, "#{pane_pid}"])
        .output()?;
    let pid = String::from_utf8_lossy(&pid.stdout).trim().parse()?;
    Ok(pid)
}

fn pane(session: &str) -> Result<String> {
    let output = Command::new("tmux")
        .args(["capture-pane", "-p", "-t", session])
        .output()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Keys, updates and samples until the time is up; the samples as (seconds, MB).
async fn run_session(
    backoffice: &Backoffice,
    admin: &Actor,
    session: &str,
    pid: u32,
    load: &SoakLoad,
) -> Result<Vec<(f64, f64)>> {
    let started = Instant::now();
    let length = Duration::from_secs_f64(load.minutes * 60.0);
    let writer = tokio::spawn(live_updates(
        backoffice.clone(),
        admin.clone(),
        Duration::from_secs_f64(1.0 / load.updates_per_second),
        length,
    ));
    let key_gap = Duration::from_secs_f64(1.0 / load.keys_per_second);
    let mut samples = Vec::new();
    let mut next_sample = Duration::ZERO;
    let mut presses = 0usize;
    while started.elapsed() < length {
        if started.elapsed() >= next_sample {
            let Some(mb) = resident_mb_of(pid) else {
                bail!("the app is gone after {presses} keys");
            };
            samples.push((started.elapsed().as_secs_f64(), mb));
            next_sample += SAMPLE_EVERY;
        }
        let key = KEYS[presses % KEYS.len()];
        let sent = Command::new("tmux")
            .args(["send-keys", "-t", session, key])
            .status()?;
        if !sent.success() {
            bail!("tmux could not send keys: the app ended after {presses} keys");
        }
        presses += 1;
        tokio::time::sleep(key_gap).await;
    }
    writer.await.map_err(|e| eyre!("the writer died: {e}"))??;
    if resident_mb_of(pid).is_none() {
        bail!("the app ended during the session");
    }
    Ok(samples)
}

/// New orders, paid and accepted by their seller, at a steady pace: the live feed the board
/// follows (two events each).
async fn live_updates(
    backoffice: Backoffice,
    admin: Actor,
    gap: Duration,
    length: Duration,
) -> Result<()> {
    let seller = Actor::new("sam", Role::Seller);
    let started = Instant::now();
    let mut tick = tokio::time::interval(gap);
    while started.elapsed() < length {
        tick.tick().await;
        let id = paid_orders(&backoffice, &admin, 1).await?[0];
        backoffice
            .advance(&seller, id, "order.accepted", None, Some(1), Utc::now())
            .await?;
    }
    Ok(())
}

fn report(
    backoffice: &Backoffice,
    viewer: &str,
    load: &SoakLoad,
    samples: &[(f64, f64)],
) -> Report {
    let peak = samples.iter().map(|(_, mb)| *mb).fold(0.0, f64::max);
    let first = samples.first().map_or(0.0, |(_, mb)| *mb);
    let last = samples.last().map_or(0.0, |(_, mb)| *mb);
    let warm = (samples.len() as f64 * WARM_UP_SHARE) as usize;
    let trend = slope_per_hour(&samples[warm.min(samples.len())..]);
    Report {
        bench: format!(
            "soak: {} min as {viewer}, {} keys/s, {} updates/s, {} samples",
            load.minutes,
            load.keys_per_second,
            load.updates_per_second,
            samples.len()
        ),
        backend: backoffice.backend_name().into(),
        figures: vec![
            Figure::new("resident memory, first sample", first, "MB"),
            Figure::new("resident memory, peak", peak, "MB").below(150.0),
            Figure::new("resident memory, last sample", last, "MB"),
            Figure::new("trend after warm-up (least squares)", trend, "MB/h").below(2.0),
        ],
    }
}

/// The least-squares slope of (seconds, MB) samples, in MB per hour.
fn slope_per_hour(samples: &[(f64, f64)]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mean_t = samples.iter().map(|(t, _)| t).sum::<f64>() / n;
    let mean_m = samples.iter().map(|(_, m)| m).sum::<f64>() / n;
    let covariance: f64 = samples
        .iter()
        .map(|(t, m)| (t - mean_t) * (m - mean_m))
        .sum();
    let variance: f64 = samples.iter().map(|(t, _)| (t - mean_t).powi(2)).sum();
    if variance == 0.0 {
        return 0.0;
    }
    covariance / variance * 3600.0
}
