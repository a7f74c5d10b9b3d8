//! The accept loop: HTTP/1.1 over TCP, or over TLS when given an acceptor,
//! with limits on slow clients and on the connections one client may hold
//! open, each connection tagged with its peer address, and a graceful
//! shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::client::{ClientSettings, Connections};

/// A client has this long to send a request's headers; a slower one is
/// dropped (the body is bounded by the request timeout).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// On shutdown, requests in progress get this long to finish.
const DRAIN: Duration = Duration::from_secs(15);

/// Serve `app` on `listener` until `shutdown` completes. A peer already
/// holding its cap of open connections (`clients`; IPv6 by /64, trusted
/// proxies a higher cap) has further ones closed at once, so one client
/// cannot hold the server's sockets and memory with idle connections.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    clients: ClientSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, None, app, clients, shutdown).await
}

/// [`run`], over TLS when `tls` is given: the handshake happens on the
/// connection's own task, within [`HEADER_TIMEOUT`] and after the
/// connection cap, so a client that stalls it or speaks plain HTTP to the
/// TLS port holds one of its own slots only briefly, and is dropped.
pub async fn run_with(
    listener: tokio::net::TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    clients: ClientSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    tokio::pin!(shutdown);
    let open = Connections::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: pause, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let cap = if clients.is_trusted(peer.ip()) {
            clients.max_connections_per_proxy
        } else {
            clients.max_connections_per_client
        };
        let Some(slot) = open.open(peer.ip(), cap) else {
            tracing::debug!(%peer, cap, "connection refused: the client holds its cap of open connections");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req
            });
        let service = TowerToHyperService::new(service);
        match &tls {
            None => {
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _slot = slot;
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            Some(acceptor) => {
                let handshake = acceptor.accept(stream);
                let watcher = graceful.watcher();
                let builder = builder.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    let stream = match tokio::time::timeout(HEADER_TIMEOUT, handshake).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let conn = watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}
