//! The witness's HTTP/1.1 server (FORMAT.md §6b, `c2sp.org/tlog-witness`):
//! `POST /add-checkpoint`, and `GET /<SHA-256 of origin>/checkpoint` for
//! monitors. Anyone may connect, so everything is bounded: the open
//! connections, the time to send headers and body, each connection's
//! lifetime and the body's size (refused from its declared length before
//! any of it is read).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{Refusal, Witness};

/// The content type of a 409's body (tlog-witness).
const TLOG_SIZE: &str = "text/x.tlog.size";
/// The content type of other bodies.
const TEXT: &str = "text/plain; charset=utf-8";

/// The server's bounds on what anonymous clients may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body read (a checkpoint is at most 64 KiB).
    pub max_body: usize,
    /// The time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// The time a client has to send a request's body.
    pub body_timeout: Duration,
    /// The longest a connection stays open.
    pub connection_lifetime: Duration,
    /// The most connections open at once; more are closed at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1 << 20,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            connection_lifetime: Duration::from_secs(300),
            max_connections: 64,
        }
    }
}

/// Serve `witness` on `listener` until `shutdown` completes; connections
/// open then finish on their own (within their lifetime).
pub async fn serve(
    listener: TcpListener,
    witness: Arc<Witness>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => {
                    // Out of file descriptors and the like: pause, do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let witness = Arc::clone(&witness);
        let service = service_fn(move |req| handle(req, Arc::clone(&witness), peer, limits));
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _slot = slot;
            let _ = tokio::time::timeout(limits.connection_lifetime, connection).await;
        });
    }
}

/// A response with a text body.
fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Route a request.
async fn handle(
    req: Request<Incoming>,
    witness: Arc<Witness>,
    peer: SocketAddr,
    limits: Limits,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path();
    if path == "/add-checkpoint" {
        if req.method() != Method::POST {
            let mut response = respond(StatusCode::METHOD_NOT_ALLOWED, TEXT, "use POST\n".into());
            response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
            return Ok(response);
        }
        return Ok(add_checkpoint(req, &witness, peer, limits).await);
    }
    if req.method() == Method::GET {
        let origin = path
            .strip_prefix('/')
            .and_then(|p| p.strip_suffix("/checkpoint"))
            .and_then(|hash| witness.origin_of_hash(hash));
        if let Some(note) = origin.and_then(|origin| witness.latest_note(origin)) {
            return Ok(respond(StatusCode::OK, TEXT, note));
        }
    }
    Ok(respond(StatusCode::NOT_FOUND, TEXT, "not found\n".into()))
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `POST /add-checkpoint`: read the body within its bounds, run the
/// protocol off the async threads (it verifies signatures and flushes a
/// file), answer and log one line.
async fn add_checkpoint(
    req: Request<Incoming>,
    witness: &Arc<Witness>,
    peer: SocketAddr,
    limits: Limits,
) -> Response<Full<Bytes>> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return too_large(peer, limits);
    }
    let body = match tokio::time::timeout(
        limits.body_timeout,
        Limited::new(req.into_body(), limits.max_body).collect(),
    )
    .await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(peer, limits),
        Ok(Err(_)) => return plain(peer, StatusCode::BAD_REQUEST, "the body could not be read"),
        Err(_) => return plain(peer, StatusCode::REQUEST_TIMEOUT, "the body took too long"),
    };
    let witness = Arc::clone(witness);
    let outcome = tokio::task::spawn_blocking(move || witness.add_checkpoint(&body, now())).await;
    match outcome {
        Ok(Ok(accepted)) => {
            eprintln!(
                "witness: accepted {} size {} -> {} from {peer}",
                accepted.origin, accepted.old, accepted.size
            );
            respond(StatusCode::OK, TEXT, accepted.lines)
        }
        Ok(Err(refusal)) => refused(peer, &refusal),
        Err(_) => plain(peer, StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// 413, logged.
fn too_large(peer: SocketAddr, limits: Limits) -> Response<Full<Bytes>> {
    let why = format!("the body is over {} bytes", limits.max_body);
    plain(peer, StatusCode::PAYLOAD_TOO_LARGE, &why)
}

/// A refusal before the protocol ran, logged.
fn plain(peer: SocketAddr, status: StatusCode, why: &str) -> Response<Full<Bytes>> {
    eprintln!("witness: refused {} from {peer}: {why}", status.as_u16());
    respond(status, TEXT, format!("{why}\n"))
}

/// A protocol refusal: logged in full; the client gets its status and,
/// except for internal failures, the reason.
fn refused(peer: SocketAddr, refusal: &Refusal) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let evidence = match refusal {
        Refusal::Inconsistent {
            evidence: Some(path), ..
        } => format!(" (kept as evidence in {})", path.display()),
        _ => String::new(),
    };
    eprintln!("witness: refused {} from {peer}: {refusal}{evidence}", status.as_u16());
    match refusal {
        Refusal::Conflict { latest, .. } => respond(status, TLOG_SIZE, format!("{latest}\n")),
        Refusal::Storage { .. } => respond(status, TEXT, "the witness could not record the checkpoint\n".into()),
        other => respond(status, TEXT, format!("{other}\n")),
    }
}
