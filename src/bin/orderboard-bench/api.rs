//! The HTTP API under load (issue 14, target 6): `POST /orders/{id}/events/{event}` from
//! concurrent clients over a real socket, against the apply path called directly, in the
//! same run; then the latency at half the API's top rate, paced open-loop so that a slow
//! answer does not delay the requests behind it (no coordinated omission).

use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::{bail, eyre};
use orderboard::service::Backoffice;
use tokio::sync::oneshot;

use crate::apply::{Writer, run_clients};
use crate::report::{Figure, Report, percentile, sorted};
use crate::seed::{ensure_users, paid_orders};

/// Alternating rounds, as in `apply`, so neither side always meets the warmer cache.
const ROUNDS: usize = 4;

/// One client's view of the server.
#[derive(Clone)]
struct Target {
    http: reqwest::Client,
    base: String,
    token: String,
}

pub async fn api(backoffice: &Backoffice, clients: usize, transitions: usize) -> Result<Report> {
    if clients == 0 || transitions < clients {
        bail!("--clients must be at least 1 and --transitions at least --clients");
    }
    let admin = ensure_users(backoffice).await?;
    let token_name = format!("bench-api-{}", Utc::now().timestamp_micros());
    let token = backoffice
        .add_token(&admin, &token_name, "sam", Utc::now())
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(orderboard::http::serve(
        listener,
        backoffice.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    // reqwest is built without a TLS provider of its own (plain HTTP here, but the client
    // wants one installed).
    orderboard::http_client::install_crypto_provider();
    let target = Target {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()?,
        base,
        token: token.secret.expose().to_string(),
    };
    let measured = measure(backoffice, &target, clients, transitions).await;
    let _ = stop.send(());
    let _ = server.await;
    backoffice
        .revoke_token(&admin, &token_name, Utc::now())
        .await?;
    let (apply_tps, api_tps, rate, latencies) = measured?;
    Ok(Report {
        bench: format!("api, {clients} clients, {transitions} transitions each way"),
        backend: backoffice.backend_name().into(),
        figures: vec![
            Figure::new("apply path, called directly", apply_tps, "transitions/s"),
            Figure::new("POST /orders/{id}/events/{event}", api_tps, "transitions/s"),
            Figure::new("API / apply path", 100.0 * api_tps / apply_tps, "%").at_least(80.0),
            Figure::new("half load, paced", rate, "requests/s"),
            Figure::new(
                "latency at half load, p50",
                percentile(&latencies, 50.0),
                "ms",
            ),
            Figure::new(
                "latency at half load, p99",
                percentile(&latencies, 99.0),
                "ms",
            )
            .below(20.0),
            Figure::new(
                "latency at half load, max",
                latencies.last().copied().unwrap_or(0.0),
                "ms",
            ),
        ],
    })
}

/// The apply path's and the API's transitions per second, the paced rate, and the latencies
/// (sorted, in ms) at that rate.
async fn measure(
    backoffice: &Backoffice,
    target: &Target,
    clients: usize,
    transitions: usize,
) -> Result<(f64, f64, f64, Vec<f64>)> {
    let admin = ensure_users(backoffice).await?;
    let total = transitions / clients * clients;
    let for_apply = paid_orders(backoffice, &admin, total).await?;
    let for_api = paid_orders(backoffice, &admin, total).await?;
    let (mut apply_time, mut api_time) = (Duration::ZERO, Duration::ZERO);
    let round_size = total.div_ceil(ROUNDS);
    for round in 0..ROUNDS {
        let range = (round * round_size).min(total)..((round + 1) * round_size).min(total);
        for turn in 0..2 {
            if (round + turn) % 2 == 0 {
                let ids = &for_apply[range.clone()];
                apply_time += run_clients(Writer::ApplyPath(backoffice), ids, clients).await?;
            } else {
                let started = Instant::now();
                post_all(target, &for_api[range.clone()], clients, None).await?;
                api_time += started.elapsed();
            }
        }
    }
    let apply_tps = total as f64 / apply_time.as_secs_f64();
    let api_tps = total as f64 / api_time.as_secs_f64();
    let rate = api_tps / 2.0;
    let paced = paid_orders(backoffice, &admin, total).await?;
    let latencies = post_all(target, &paced, clients, Some(rate)).await?;
    Ok((apply_tps, api_tps, rate, sorted(latencies)))
}

/// Accepts `ids` through the API with `clients` concurrent connections: as fast as they go,
/// or paced at `rate` requests per second in all, each request timed from when it was due.
async fn post_all(
    target: &Target,
    ids: &[i64],
    clients: usize,
    rate: Option<f64>,
) -> Result<Vec<f64>> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        // Request i goes to client i % clients, due at i / rate.
        let mine: Vec<(usize, i64)> = ids
            .iter()
            .copied()
            .enumerate()
            .skip(client)
            .step_by(clients)
            .collect();
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(mine.len());
            for (index, id) in mine {
                let due = match rate {
                    Some(rate) => started + Duration::from_secs_f64(index as f64 / rate),
                    None => Instant::now(),
                };
                // Tokio's timers tick in whole milliseconds: even a deadline already past
                // waits for the next tick. A request that is due goes now.
                if due > Instant::now() {
                    tokio::time::sleep_until(due.into()).await;
                }
                accept(&target, id).await?;
                latencies.push(due.elapsed().as_secs_f64() * 1e3);
            }
            Ok::<_, color_eyre::Report>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| eyre!("a client died: {e}"))??);
    }
    Ok(latencies)
}

/// The seller accepts a paid order, at the version it was created with.
async fn accept(target: &Target, id: i64) -> Result<()> {
    let response = target
        .http
        .post(format!("{}/orders/{id}/events/order.accepted", target.base))
        .bearer_auth(&target.token)
        .header("if-match", "\"1\"")
        .json(&serde_json::json!({}))
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        bail!("order {id}: the API answered {status}: {body}");
    }
    Ok(())
}
