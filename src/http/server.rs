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
    /// Whether failed sign-ins are also limited per client address (`POST /sessions`).
    /// Off behind a reverse proxy (`serve --behind-proxy`): every client there has the
    /// proxy's address, and one attacker's failures would lock everyone's sign-ins.
    pub limit_sign_ins_per_address: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            limit_sign_ins_per_address: true,
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
    run(listener, office, shutdown, limits, None).await
}

/// As `serve_with`, over TLS (`tls::server_config`). A client that does not complete its
/// handshake within the header deadline is cut off, as one that sends no headers is.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    office: Backoffice,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    run(listener, office, shutdown, limits, Some(acceptor)).await
}

async fn run(
    listener: tokio::net::TcpListener,
    office: Backoffice,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
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
        let peer = limits.limit_sign_ins_per_address.then_some(peer);
        let service = TowerToHyperService::new(AddExtension::new(router.clone(), PeerAddr(peer)));
        let closing = closing.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let _slot = slot;
            let Some(acceptor) = tls else {
                return drive(stream, service, limits, closing).await;
            };
            let handshake =
                tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream)).await;
            match handshake {
                Ok(Ok(stream)) => drive(stream, service, limits, closing).await,
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake not completed in time"),
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

/// Serves one connection's requests until it ends, or until the server closes (then
/// gracefully, within `SHUTDOWN_GRACE`).
async fn drive<I>(
    io: I,
    service: TowerToHyperService<AddExtension<axum::Router, PeerAddr>>,
    limits: Limits,
    mut closing: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let connection = builder.serve_connection(TokioIo::new(io), service);
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
}
