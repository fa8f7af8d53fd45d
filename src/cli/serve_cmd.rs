//! `orderboard serve`: the runner and the HTTP API in one long-running process, stopped
//! gracefully by SIGTERM or Ctrl-C.

use tokio::sync::watch;

use super::args::ServeArgs;
use super::context::Context;
use super::exit::CliError;
use crate::runner::{Runner, RunnerOptions, Sinks};
use crate::store::OpenMode;

pub async fn serve(context: &Context, args: &ServeArgs) -> Result<(), CliError> {
    let sinks = Sinks::from_config(&context.config.sinks, |name| std::env::var(name).ok())
        .map_err(|e| CliError::bad_input(config_sentence(context, &e.to_string())))?;
    let office = context.open(OpenMode::ExistingOnly).await?;
    let (stop, stopped) = watch::channel(false);
    let runner = (!args.no_runner).then(|| {
        if sinks.is_empty() {
            tracing::warn!("no [[sinks]] configured: every effect will be marked unrouted");
        }
        let runner = Runner::new(office.clone(), sinks, RunnerOptions::default());
        tokio::spawn(runner.run(stopped.clone()))
    });
    wait_for_signal().await;
    tracing::info!("shutting down: finishing in-flight work");
    let _ = stop.send(true);
    if let Some(runner) = runner {
        runner
            .await
            .map_err(|e| CliError::unexpected(format!("the runner stopped abnormally: {e}")))?;
    }
    office.close().await;
    Ok(())
}

fn config_sentence(context: &Context, error: &str) -> String {
    match &context.config.source {
        Some(path) => format!("{}: {error}", path.display()),
        None => error.to_string(),
    }
}

/// SIGTERM (a service manager stopping us) or SIGINT (Ctrl-C).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
