//! A small blocking HTTP(S) client for the commands that talk to a Teller
//! service (`teller-audit monitor`, witnesses): one GET or POST at a time,
//! TLS by rustls on ring with the Web PKI roots, and every response body
//! read under a limit the caller names, so a hostile or broken server can
//! never make the verifier hold more than that.
//!
//! Status codes are returned, not turned into errors: a 404 is an answer
//! the caller may expect. Errors are only for what stopped the exchange
//! (the address, the network, TLS, the time limit, a body over the limit).

use std::time::Duration;

use ureq::Agent;

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, when present and readable.
    pub content_type: Option<String>,
    /// The body, at most the limit asked for.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why an exchange did not complete.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL is not an absolute `http://` or `https://` address.
    #[error("{url} is not an http:// or https:// address: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host name did not resolve.
    #[error("{url}: the host name does not resolve")]
    HostNotFound {
        /// The URL asked for.
        url: String,
    },
    /// The exchange took longer than the time allowed.
    #[error("{url}: no complete answer within {seconds} s")]
    Timeout {
        /// The URL asked for.
        url: String,
        /// The time allowed, in seconds.
        seconds: u64,
    },
    /// The body was longer than the caller allows.
    #[error("{url}: the answer is longer than {max_bytes} bytes")]
    TooLarge {
        /// The URL asked for.
        url: String,
        /// The limit.
        max_bytes: u64,
    },
    /// The connection, TLS or HTTP itself failed.
    #[error("{url}: {reason}")]
    Transport {
        /// The URL asked for.
        url: String,
        /// What failed, as the HTTP library puts it.
        reason: String,
    },
}

/// The agent for one exchange: at most five redirects, and status codes
/// returned as answers, not errors.
fn agent(timeout: Duration) -> Agent {
    Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(5)
        .user_agent(concat!("teller-audit/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Refuse anything but an absolute http(s) URL before connecting.
fn check_url(url: &str) -> Result<(), HttpError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(HttpError::BadUrl {
            url: url.to_string(),
            reason: "it must start with https:// or http://".into(),
        })
    }
}

/// Translate ureq's error into ours, naming the URL.
fn translate(url: &str, timeout: Duration, max_bytes: u64, e: ureq::Error) -> HttpError {
    let url = url.to_string();
    match e {
        ureq::Error::BadUri(reason) => HttpError::BadUrl { url, reason },
        ureq::Error::HostNotFound => HttpError::HostNotFound { url },
        ureq::Error::Timeout(_) => HttpError::Timeout {
            url,
            seconds: timeout.as_secs(),
        },
        ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge { url, max_bytes },
        other => HttpError::Transport {
            url,
            reason: other.to_string(),
        },
    }
}

/// Read a response's status, content type and body, at most `max_bytes`.
fn read(
    url: &str,
    timeout: Duration,
    max_bytes: u64,
    mut res: ureq::http::Response<ureq::Body>,
) -> Result<Response, HttpError> {
    let content_type = res
        .headers()
        .get(ureq::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let status = res.status().as_u16();
    let body = res
        .body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(|e| translate(url, timeout, max_bytes, e))?;
    Ok(Response {
        status,
        content_type,
        body,
    })
}

/// `GET url`, reading at most `max_bytes` of the body (longer is
/// [`HttpError::TooLarge`]); the whole exchange within `timeout`.
pub fn get(url: &str, max_bytes: u64, timeout: Duration) -> Result<Response, HttpError> {
    check_url(url)?;
    let res = agent(timeout)
        .get(url)
        .call()
        .map_err(|e| translate(url, timeout, max_bytes, e))?;
    read(url, timeout, max_bytes, res)
}

/// `POST url` with `body` of type `content_type`, reading at most
/// `max_bytes` of the answer; the whole exchange within `timeout`.
pub fn post(
    url: &str,
    body: &[u8],
    content_type: &str,
    max_bytes: u64,
    timeout: Duration,
) -> Result<Response, HttpError> {
    check_url(url)?;
    let res = agent(timeout)
        .post(url)
        .header("content-type", content_type)
        .send(body)
        .map_err(|e| translate(url, timeout, max_bytes, e))?;
    read(url, timeout, max_bytes, res)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A one-shot server that answers the first request with `answer`.
    fn serve_once(answer: Vec<u8>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(&answer);
            }
        });
        format!("http://{addr}/x")
    }

    fn answer(status: &str, body: &[u8]) -> Vec<u8> {
        let mut a = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        a.extend_from_slice(body);
        a
    }

    #[test]
    fn reads_status_type_and_body() {
        let url = serve_once(answer("200 OK", b"hello"));
        let res = get(&url, 5, Duration::from_secs(5)).unwrap();
        assert_eq!(res.status, 200);
        assert_eq!(res.content_type.as_deref(), Some("text/plain"));
        assert_eq!(res.body, b"hello");
    }

    #[test]
    fn an_error_status_is_an_answer() {
        let url = serve_once(answer("404 Not Found", b"no"));
        let res = get(&url, 100, Duration::from_secs(5)).unwrap();
        assert_eq!(res.status, 404);
        assert!(!res.is_success());
    }

    #[test]
    fn a_body_over_the_limit_is_refused() {
        let url = serve_once(answer("200 OK", b"hello!"));
        let err = get(&url, 5, Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, HttpError::TooLarge { max_bytes: 5, .. }), "{err}");
    }

    #[test]
    fn only_http_addresses() {
        let err = get("file:///etc/passwd", 10, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, HttpError::BadUrl { .. }), "{err}");
    }

    #[test]
    fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let err = get(&url, 10, Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
        drop(listener);
    }
}
