//! Structured logs with `tracing`: to a file named by `--log` (or ORDERBOARD_LOG), at the
//! level RUST_LOG gives (default `info`). Never to the terminal: the TUI owns the screen.
//! What is logged: sign-ins, applies and refusals, reconnects, feed wake-ups, and sqlx's
//! slow-statement warnings. Passwords and tokens are never fields of any event.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Where logs could not be opened, as one sentence.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the log file {path}: {source}")]
pub struct LogError {
    path: String,
    source: std::io::Error,
}

/// The server's logs: JSON lines (one object per event, for a log collector), appended to
/// `path`, or to stderr when none is given.
pub fn init_server(path: Option<&Path>) -> Result<(), LogError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false);
    let _ = match path {
        Some(path) => builder
            .with_writer(Mutex::new(open_append(path)?))
            .try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    Ok(())
}

fn open_append(path: &Path) -> Result<std::fs::File, LogError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| LogError {
            path: path.display().to_string(),
            source,
        })
}

/// Starts logging to `path`, appending. Without a path nothing is logged.
pub fn init(path: Option<&Path>) -> Result<(), LogError> {
    let Some(path) = path else {
        return Ok(());
    };
    let file = open_append(path)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests, or a library user with its own subscriber) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}
