//! `orderboard serve`: the runner and the HTTP API in one long-running process, stopped
//! gracefully by SIGTERM or Ctrl-C.

use tokio::sync::watch;

use super::args::ServeArgs;
use super::context::Context;
use super::exit::CliError;
use crate::domain::text::display_safe;
use crate::http;
use crate::runner::{Runner, RunnerOptions, Sinks};
use crate::store::OpenMode;

pub async fn serve(context: &Context, args: &ServeArgs) -> Result<(), CliError> {
    let sinks = Sinks::from_config(&context.config.sinks, |name| std::env::var(name).ok())
        .map_err(|e| CliError::bad_input(config_sentence(context, &e.to_string())))?;
    // Checked before anything starts: a bad certificate is a sentence, not a half-started server.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(http::server_config(cert, key).map_err(CliError::bad_input)?)
        }
        _ => None,
    };
    let listener = if args.no_api {
        None
    } else {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| {
                CliError::bad_input(format!(
                    "--listen {}: cannot listen there ({e})",
                    display_safe(&args.listen)
                ))
            })?;
        Some(listener)
    };
    let office = context.open(OpenMode::ExistingOnly).await?;
    let (stop, stopped) = watch::channel(false);
    let runner = (!args.no_runner).then(|| {
        if sinks.is_empty() {
            tracing::warn!("no [[sinks]] configured: every effect will be marked unrouted");
        }
        let runner = Runner::new(office.clone(), sinks, RunnerOptions::default());
        tokio::spawn(runner.run(stopped.clone()))
    });
    let api = listener.map(|listener| {
        let address = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!(%address, "HTTP API listening");
        // Stdout, for a supervisor or a test that asked for port 0.
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("listening on {scheme}://{address}");
        let mut closing = stopped.clone();
        let shutdown = async move {
            let _ = closing.wait_for(|stop| *stop).await;
        };
        let limits = http::Limits {
            limit_sign_ins_per_address: !args.behind_proxy,
            ..http::Limits::default()
        };
        match tls.clone() {
            Some(tls) => tokio::spawn(http::serve_tls(
                listener,
                office.clone(),
                shutdown,
                limits,
                tls,
            )),
            None => tokio::spawn(http::serve_with(listener, office.clone(), shutdown, limits)),
        }
    });
    wait_for_signal().await;
    tracing::info!("shutting down: finishing in-flight work");
    let _ = stop.send(true);
    if let Some(runner) = runner {
        runner
            .await
            .map_err(|e| CliError::unexpected(format!("the runner stopped abnormally: {e}")))?;
    }
    if let Some(api) = api {
        match api.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(CliError::unexpected(format!("the HTTP API failed: {e}"))),
            Err(e) => {
                return Err(CliError::unexpected(format!(
                    "the HTTP API stopped abnormally: {e}"
                )));
            }
        }
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
