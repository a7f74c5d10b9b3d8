//! The plain-HTTP listener `teller serve --http-redirect ADDR` opens next
//! to HTTPS: every request, whatever its method, is answered `308 Permanent
//! Redirect` to the same path and query over HTTPS, and nothing else is
//! served there (no page, no cookie, no API).
//!
//! The HTTPS address is the configured public URL when there is one.
//! Otherwise it is built from the request's `Host` header, which is checked
//! to be a host name or IP address (with an optional port, replaced by the
//! HTTPS port), so a forged header cannot make the redirect point at a
//! string of the client's choosing beyond a host name.

use std::net::Ipv6Addr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// Where redirects point.
#[derive(Debug, Clone)]
pub struct RedirectTarget {
    /// The configured public URL (`https://vote.example.org`), without a
    /// trailing slash; `None` to use each request's `Host`.
    base: Option<String>,
    /// The HTTPS listener's port, added to a `Host`-derived address unless 443.
    https_port: u16,
}

impl RedirectTarget {
    /// Redirect to `public_url` if one was configured, else to the request's
    /// host on `https_port`.
    pub fn new(public_url: Option<&str>, https_port: u16) -> Self {
        RedirectTarget {
            base: public_url.map(|u| u.trim_end_matches('/').to_string()),
            https_port,
        }
    }

    /// The `Location` for a request to `path_and_query` with `host`, or
    /// `None` when no public URL is configured and `host` is not a host.
    pub fn location(&self, host: Option<&str>, path_and_query: &str) -> Option<String> {
        let base = match &self.base {
            Some(base) => base.clone(),
            None => {
                let host = valid_host(host?)?;
                if self.https_port == 443 {
                    format!("https://{host}")
                } else {
                    format!("https://{host}:{}", self.https_port)
                }
            }
        };
        let path = if path_and_query.starts_with('/') {
            path_and_query
        } else {
            "/"
        };
        Some(format!("{base}{path}"))
    }
}

/// The host part of a `Host` header (`example.org`, `example.org:80`,
/// `192.0.2.1`, `[2001:db8::1]:80`), lower-cased and without its port; `None`
/// for anything else.
fn valid_host(header: &str) -> Option<String> {
    let header = header.trim();
    if header.is_empty() || header.len() > 260 {
        return None;
    }
    let (host, port) = if let Some(rest) = header.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        inner.parse::<Ipv6Addr>().ok()?;
        (format!("[{inner}]"), after.strip_prefix(':'))
    } else {
        match header.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (header.to_string(), None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    } else if !header.starts_with('[') && header.contains(']') {
        return None;
    }
    if !host.starts_with('[') {
        let ok = host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !ok {
            return None;
        }
    }
    Some(host.to_ascii_lowercase())
}

/// The redirecting service.
pub fn router(target: RedirectTarget) -> Router {
    Router::new().fallback(redirect).with_state(target)
}

async fn redirect(State(target): State<RedirectTarget>, req: Request) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    match target.location(host, path).and_then(|l| HeaderValue::from_str(&l).ok()) {
        Some(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
            "This service is served over HTTPS.\n",
        )
            .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            "This service is served over HTTPS; use https:// and the service's address.\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_wins() {
        let t = RedirectTarget::new(Some("https://vote.example.org/"), 8443);
        assert_eq!(
            t.location(Some("evil.example"), "/e/x?y=1").as_deref(),
            Some("https://vote.example.org/e/x?y=1")
        );
        assert_eq!(t.location(None, "/").as_deref(), Some("https://vote.example.org/"));
    }

    #[test]
    fn the_host_header_is_checked() {
        let t = RedirectTarget::new(None, 8443);
        assert_eq!(
            t.location(Some("Vote.Example.org:80"), "/a?b").as_deref(),
            Some("https://vote.example.org:8443/a?b")
        );
        assert_eq!(
            t.location(Some("[2001:db8::1]:80"), "/").as_deref(),
            Some("https://[2001:db8::1]:8443/")
        );
        assert_eq!(
            RedirectTarget::new(None, 443)
                .location(Some("192.0.2.1"), "/x")
                .as_deref(),
            Some("https://192.0.2.1/x")
        );
        for bad in [
            "",
            "evil.example/path",
            "a@b",
            "host:port",
            "x:1:2",
            "[nothex]:80",
            "-a.example",
            "a..b",
            "a b",
            "evil]",
        ] {
            assert_eq!(t.location(Some(bad), "/"), None, "{bad:?}");
        }
        assert_eq!(t.location(None, "/"), None);
    }
}
