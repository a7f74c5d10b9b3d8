//! A minimal HTTP/1.1 client for the load generator: one keep-alive
//! connection, one request at a time, bodies framed by Content-Length (or
//! chunked, should a response ever be). reqwest is only a dev-dependency,
//! and a hand-written client also keeps the generator's own cost small and
//! known: one write and usually one read per request. (The workspace's tokio
//! has no `io-util` feature, so reads and writes use `try_read`/`try_write`
//! after readiness, which is what the extension traits do underneath.)

use std::net::SocketAddr;

use tokio::net::TcpStream;

/// The largest response head accepted; Teller's are well under 1 KiB.
const MAX_HEAD: usize = 16 * 1024;
/// The largest response body accepted (receipts are a few KiB).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a request got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The connection failed or closed early.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered something that is not HTTP/1.1 as expected.
    #[error("malformed response: {0}")]
    Malformed(String),
}

/// A response's status line and the headers that frame its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// Bytes up to and including the blank line.
    pub len: usize,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the server will close the connection after this response.
    pub close: bool,
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Exactly this many bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

fn malformed(why: impl Into<String>) -> HttpError {
    HttpError::Malformed(why.into())
}

/// Parse a response head from the start of `buf`: `Ok(None)` while the
/// blank line that ends it has not arrived yet.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, HttpError> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > MAX_HEAD {
            return Err(malformed("response head too large"));
        }
        return Ok(None);
    };
    let text = std::str::from_utf8(&buf[..end]).map_err(|_| malformed("response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(malformed(format!("status line {status_line:?}")));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| malformed(format!("status line {status_line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    // HTTP/1.0 closes unless asked otherwise; 1.1 keeps alive unless told.
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed(format!("header line {line:?}")))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n = value
                .parse::<usize>()
                .map_err(|_| malformed(format!("Content-Length {value:?}")))?;
            if length.is_some_and(|m| m != n) {
                return Err(malformed("conflicting Content-Length headers"));
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.split(',').any(|v| v.trim().eq_ignore_ascii_case("close"));
        }
    }
    let framing = if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        if n > MAX_BODY {
            return Err(malformed(format!("body of {n} bytes is too large")));
        }
        Framing::Length(n)
    } else if status == 204 || status == 304 || status < 200 {
        Framing::Length(0)
    } else {
        // Bodies delimited by closing the connection cannot be told apart
        // from a server that died mid-answer; Teller never sends them.
        return Err(malformed("response has neither Content-Length nor chunked encoding"));
    };
    Ok(Some(Head {
        status,
        len: end + 4,
        framing,
        close,
    }))
}

/// Decode a chunked body from the start of `buf`: the body and the bytes
/// consumed, or `Ok(None)` while incomplete. Trailers are skipped.
pub fn decode_chunked(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, HttpError> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[at..at + eol]).map_err(|_| malformed("chunk size is not text"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| malformed(format!("chunk size {line:?}")))?;
        at += eol + 2;
        if size == 0 {
            // Trailer lines, then the blank line that ends the body.
            loop {
                let Some(eol) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
                    return Ok(None);
                };
                at += eol + 2;
                if eol == 0 {
                    return Ok(Some((body, at)));
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(malformed("chunked body too large"));
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[at..at + size]);
        if &buf[at + size..at + size + 2] != b"\r\n" {
            return Err(malformed("chunk not followed by CRLF"));
        }
        at += size + 2;
    }
}

/// One keep-alive connection.
pub struct Connection {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
    request: Vec<u8>,
    closed: bool,
}

impl Connection {
    /// Connect to `addr`, with Nagle's algorithm off (small requests must not wait).
    pub async fn open(addr: SocketAddr) -> Result<Self, HttpError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            host: addr.to_string(),
            buf: Vec::with_capacity(8 * 1024),
            request: Vec::with_capacity(1024),
            closed: false,
        })
    }

    /// Whether the server said it will close this connection: open a new one.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&mut self, path: &str, body: &[u8]) -> Result<Response, HttpError> {
        self.request("POST", path, Some(body)).await
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Result<Response, HttpError> {
        self.request("GET", path, None).await
    }

    /// Send one request and read its whole response.
    pub async fn request(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Response, HttpError> {
        if self.closed {
            return Err(malformed("the server closed this connection"));
        }
        self.request.clear();
        self.request
            .extend_from_slice(format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host).as_bytes());
        if let Some(body) = body {
            self.request.extend_from_slice(
                format!(
                    "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            self.request.extend_from_slice(body);
        } else {
            self.request.extend_from_slice(b"\r\n");
        }
        let result = match self.write_request().await {
            Ok(()) => self.read_response().await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            self.closed = true;
        }
        result
    }

    async fn write_request(&mut self) -> Result<(), HttpError> {
        let mut at = 0;
        while at < self.request.len() {
            self.stream.writable().await?;
            match self.stream.try_write(&self.request[at..]) {
                Ok(0) => return Err(malformed("the server stopped accepting the request")),
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    async fn read_response(&mut self) -> Result<Response, HttpError> {
        let head = loop {
            if let Some(head) = parse_head(&self.buf)? {
                break head;
            }
            self.fill().await?;
        };
        let body = match head.framing {
            Framing::Length(n) => {
                while self.buf.len() < head.len + n {
                    self.fill().await?;
                }
                let body = self.buf[head.len..head.len + n].to_vec();
                self.buf.drain(..head.len + n);
                body
            }
            Framing::Chunked => loop {
                if let Some((body, used)) = decode_chunked(&self.buf[head.len..])? {
                    self.buf.drain(..head.len + used);
                    break body;
                }
                self.fill().await?;
            },
        };
        self.closed = head.close;
        Ok(Response {
            status: head.status,
            body,
        })
    }

    async fn fill(&mut self) -> Result<(), HttpError> {
        let start = self.buf.len();
        self.buf.resize(start + 8 * 1024, 0);
        let n = loop {
            if let Err(e) = self.stream.readable().await {
                self.buf.truncate(start);
                return Err(e.into());
            }
            match self.stream.try_read(&mut self.buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e.into());
                }
            }
        };
        self.buf.truncate(start + n);
        if n == 0 {
            return Err(HttpError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection mid-response",
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_with_content_length_is_parsed() {
        let raw = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\nhello";
        let head = parse_head(raw).unwrap().unwrap();
        assert_eq!(head.status, 201);
        assert_eq!(head.framing, Framing::Length(5));
        assert!(!head.close);
        assert_eq!(&raw[head.len..], b"hello");
    }

    #[test]
    fn an_incomplete_head_asks_for_more() {
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n").unwrap(), None);
        assert_eq!(parse_head(b"").unwrap(), None);
    }

    #[test]
    fn connection_close_and_http_1_0_are_noticed() {
        let head = parse_head(b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(head.close);
        assert_eq!(head.status, 503);
        let head = parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(head.close);
        let head = parse_head(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!head.close);
    }

    #[test]
    fn chunked_bodies_are_decoded_and_trailers_skipped() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        let head = parse_head(raw).unwrap().unwrap();
        assert_eq!(head.framing, Framing::Chunked);
        let (body, used) = decode_chunked(&raw[head.len..]).unwrap().unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(&raw[head.len + used..], b"NEXT");
        // Every strict prefix is incomplete, never an error.
        let rest = &raw[head.len..head.len + used];
        for cut in 0..rest.len() {
            assert_eq!(decode_chunked(&rest[..cut]).unwrap(), None, "cut at {cut}");
        }
    }

    #[test]
    fn malformed_heads_are_errors_that_say_why() {
        let bad: [&[u8]; 6] = [
            b"SPDY/3 200 OK\r\n\r\n",
            b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nServer: t\r\n\r\n",
        ];
        for raw in bad {
            let err = parse_head(raw).unwrap_err();
            assert!(matches!(err, HttpError::Malformed(_)), "{raw:?}: {err}");
        }
        assert!(decode_chunked(b"zz\r\n").is_err());
        assert!(decode_chunked(b"2\r\nabXY").is_err());
    }

    #[test]
    fn no_content_is_an_empty_body() {
        let head = parse_head(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap().unwrap();
        assert_eq!(head.framing, Framing::Length(0));
    }

    #[tokio::test]
    async fn a_keep_alive_connection_carries_several_requests() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            let mut requests = Vec::new();
            // Two requests: answer each once its body has arrived.
            for answer in [
                &b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"[..],
                &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"[..],
            ] {
                loop {
                    let text = String::from_utf8_lossy(&seen).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .map(|n| n.parse::<usize>().unwrap())
                            .unwrap_or(0);
                        if seen.len() >= end + 4 + len {
                            requests.push(text[..end + 4 + len].to_string());
                            seen.drain(..end + 4 + len);
                            break;
                        }
                    }
                    let n = s.read(&mut buf).unwrap();
                    seen.extend_from_slice(&buf[..n]);
                }
                s.write_all(answer).unwrap();
            }
            requests
        });
        let mut c = Connection::open(addr).await.unwrap();
        let r = c.post_json("/x", b"{\"a\":1}").await.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"ok"[..]));
        let r = c.get("/y").await.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        let requests = server.join().unwrap();
        assert!(requests[0].starts_with("POST /x HTTP/1.1\r\n"), "{}", requests[0]);
        assert!(
            requests[0].ends_with("Content-Length: 7\r\n\r\n{\"a\":1}"),
            "{}",
            requests[0]
        );
        assert!(requests[1].starts_with("GET /y HTTP/1.1\r\n"), "{}", requests[1]);
    }
}
