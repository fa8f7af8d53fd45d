//! From starting the `orderboard` binary to its sign-in screen on a real terminal (issue 14,
//! target 8): tmux runs it at 80×24 and the bench polls the pane until the screen shows.
//! The same harness timing a program that prints the title at once is the baseline: what
//! tmux and the polling cost, not the app.

use std::process::Command;
use std::time::{Duration, Instant};

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};

use crate::report::{Figure, Report, percentile, sorted};

/// What the sign-in screen's frame says.
const SIGN_IN_TITLE: &str = "orderboard · sign in";
/// The longest a start may take before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(10);

pub fn startup(database: &str, runs: usize) -> Result<Report> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let app = app_binary()?;
    let app_command = format!(
        "{} --database {}; sleep 10",
        shell_quote(&app.to_string_lossy()),
        shell_quote(database)
    );
    let baseline_command = format!("printf '{SIGN_IN_TITLE}'; sleep 10");
    let (mut app_ms, mut baseline_ms) = (Vec::new(), Vec::new());
    // Alternating, so that neither side always meets a busier machine.
    for run in 0..runs {
        app_ms.push(time_to_screen(&format!("obstart{run}a"), &app_command)?);
        baseline_ms.push(time_to_screen(
            &format!("obstart{run}b"),
            &baseline_command,
        )?);
    }
    let (app_ms, baseline_ms) = (sorted(app_ms), sorted(baseline_ms));
    Ok(Report {
        bench: format!("startup to the sign-in screen under tmux at 80x24, {runs} runs"),
        backend: if database.starts_with("postgres") {
            "postgres".into()
        } else {
            "sqlite".into()
        },
        figures: vec![
            Figure::new("orderboard, median", percentile(&app_ms, 50.0), "ms"),
            Figure::new(
                "orderboard, slowest",
                app_ms.last().copied().unwrap_or(0.0),
                "ms",
            )
            .below(100.0),
            Figure::new(
                "baseline (printf under the same harness), median",
                percentile(&baseline_ms, 50.0),
                "ms",
            ),
        ],
    })
}

/// The release `orderboard` built beside the bench.
pub fn app_binary() -> Result<std::path::PathBuf> {
    let app = std::env::current_exe()?
        .parent()
        .ok_or_else(|| eyre!("the bench binary has no folder"))?
        .join("orderboard");
    if !app.exists() {
        bail!(
            "{} is missing: build it beside the bench (cargo build --release --bins)",
            app.display()
        );
    }
    Ok(app)
}

/// Milliseconds from starting `command` in a new tmux session until its pane shows the
/// sign-in title; the session is killed either way.
fn time_to_screen(session: &str, command: &str) -> Result<f64> {
    let started = Instant::now();
    let status = Command::new("tmux")
        .args(["new-session", "-d", "-s", session, "-x", "80", "-y", "24"])
        .arg(command)
        .env("ORDERBOARD_PASSWORD", "")
        .status()
        .wrap_err("tmux is needed for this bench")?;
    if !status.success() {
        bail!("tmux could not start a session");
    }
    let shown = loop {
        let pane = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", session])
            .output()?;
        if String::from_utf8_lossy(&pane.stdout).contains(SIGN_IN_TITLE) {
            break Some(started.elapsed());
        }
        if started.elapsed() > PATIENCE {
            break None;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let _ = Command::new("tmux")
        .args(["kill-session", "-t", session])
        .status();
    let shown = shown.ok_or_else(|| eyre!("no sign-in screen within {PATIENCE:?}"))?;
    Ok(shown.as_secs_f64() * 1e3)
}

/// One word for `sh -c`: single quotes, with any single quote closed, escaped and reopened.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
