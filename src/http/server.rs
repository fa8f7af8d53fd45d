//! The API's accept loop: hyper's HTTP/1.1 server with the bounds `axum::serve` cannot set —
//! a deadline for a request's headers (a client that sends them slowly, or never, is cut off),
//! a cap on open connections — and a graceful shutdown that is itself bounded.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower_http::add_extension::AddExtension;

use super::app;
use super::sessions::PeerAddr;
use crate::service::Backoffice;

/// After the shutdown signal, how long requests in flight may take to be answered. A client
/// that never finishes its request would otherwise keep `serve` from exiting.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The server's bounds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A request's headers must arrive within this.
    pub header_read_timeout: Duration,
    /// Connections open at once; the next waits in the listen queue.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// Serves the API on `listener` until `shutdown` completes (see `serve_with`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    office: Backoffice,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, office, shutdown, Limits::default()).await
}

/// Serves until `shutdown` completes, then stops taking connections, ends open event
/// streams, and returns once the requests in flight are answered, or after `SHUTDOWN_GRACE`
/// with the connections still open dropped.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    office: Backoffice,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let (closer, closing) = watch::channel(false);
    let closer = Arc::new(closer);
    let router = app(office, closing.clone(), closer.clone());
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of files, say: log it, and give the system a moment.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small and written whole: no reason to hold them for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        // The client's address, for the sign-in limits of `POST /sessions`.
        let service = TowerToHyperService::new(AddExtension::new(router.clone(), PeerAddr(peer)));
        let mut closing = closing.clone();
        connections.spawn(async move {
            let _slot = slot;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let closed = tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                    false
                }
                _ = closing.wait_for(|closing| *closing) => true,
            };
            if closed {
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
            }
        });
        // Finished connections are reaped as we go, so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    let _ = closer.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_millis(500), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            grace_ms = SHUTDOWN_GRACE.as_millis() as u64,
            "requests still unfinished after the shutdown grace period; their connections are dropped"
        );
        connections.abort_all();
    }
    Ok(())
}
