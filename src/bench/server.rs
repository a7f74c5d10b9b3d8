//! The real server as a child process: `teller serve` from this very
//! binary, on a free loopback port, killed when the guard is dropped — on
//! success, error or panic alike — so no run leaves a server behind.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::http::parse_head;
use super::memory::tail;

/// How long a server may take to answer its first request.
const STARTUP: Duration = Duration::from_secs(60);

/// A running `teller serve`, killed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// A loopback port nobody was listening on a moment ago. The server binds
/// it itself, since it only prints the address it bound, which would need
/// parsing; the short race with other programs is retried by [`Server::start`].
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Start `exe serve` on `database_url` with the master secret in
    /// `secret_file`, its output in `log`, and wait until
    /// `GET ready_path` answers 200.
    pub fn start(exe: &Path, database_url: &str, secret_file: &Path, log: &Path, ready_path: &str) -> Result<Self> {
        let mut last_error = None;
        for _ in 0..3 {
            match Self::try_start(exe, database_url, secret_file, log, ready_path) {
                Ok(server) => return Ok(server),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("the server did not start")))
    }

    fn try_start(exe: &Path, database_url: &str, secret_file: &Path, log: &Path, ready_path: &str) -> Result<Self> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let out = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone()?;
        let child = Command::new(exe)
            .args(["serve", "--listen", &addr.to_string()])
            .env("TELLER_DATABASE_URL", database_url)
            .env("TELLER_MASTER_SECRET_FILE", secret_file)
            .env_remove("TELLER_MASTER_SECRET")
            // Warnings and errors only: per-request logging is not what is measured.
            .env("TELLER_LOG", "warn")
            .env("NO_COLOR", "1")
            // The load generator is one client on loopback with up to
            // 1,000 connections: as a trusted proxy it may hold them (one
            // client's cap is 128, `web::client`).
            .env("TELLER_TRUSTED_PROXIES", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .with_context(|| format!("cannot start {} serve", exe.display()))?;
        // From here on, the guard kills the child whatever happens.
        let mut server = Server {
            child,
            addr,
            log: log.to_path_buf(),
        };
        server.wait_until_ready(ready_path)?;
        Ok(server)
    }

    fn wait_until_ready(&mut self, path: &str) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "the server exited ({status}) before answering:\n{}",
                    tail(&self.log, 2000)
                );
            }
            if get_status(self.addr, path).ok() == Some(200) {
                return Ok(());
            }
            if start.elapsed() > STARTUP {
                anyhow::bail!(
                    "the server did not answer GET {path} within {} s:\n{}",
                    STARTUP.as_secs(),
                    tail(&self.log, 2000)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id, for `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fail, with the end of its log, if it has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            anyhow::bail!("the server exited ({status}):\n{}", tail(&self.log, 2000));
        }
        Ok(())
    }

    /// The end of what it printed.
    pub fn log_tail(&self) -> String {
        tail(&self.log, 2000)
    }

    /// The warnings and errors it logged (the first few).
    pub fn log_problems(&self) -> Vec<String> {
        problems_in(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of a server log at level WARN or ERROR, at most 20.
pub fn problems_in(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.split_whitespace().take(3).any(|w| w == "WARN" || w == "ERROR"))
        .take(20)
        .map(str::to_string)
        .collect()
}

/// One blocking `GET` with `Connection: close`, for readiness checks: the status.
pub fn get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(head) = parse_head(&buf)? {
            return Ok(head.status);
        }
        let n = stream.read(&mut chunk)?;
        anyhow::ensure!(n > 0, "the connection closed before a response head");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_warnings_and_errors_are_problems() {
        let log = "Teller is serving on http://127.0.0.1:1\n\
                   2026-11-22T03:01:00.000Z  WARN teller::scheduler: scheduler: could not seal\n\
                   2026-11-22T03:01:00.000Z ERROR teller::web::cast_queue: a batch of casts failed\n\
                   2026-11-22T03:01:00.000Z  INFO teller: WARN in a message is not a level\n";
        let found = problems_in(log);
        assert_eq!(found.len(), 2);
        assert!(found[0].contains("could not seal") && found[1].contains("batch of casts failed"));
    }

    #[test]
    fn a_free_port_can_be_bound() {
        let port = free_port().unwrap();
        assert!(port > 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn a_child_that_exits_is_reported_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        // `false` ignores its arguments and exits 1 at once.
        let err = Server::try_start(Path::new("false"), "x.db", Path::new("k"), &log, "/").unwrap_err();
        assert!(err.to_string().contains("exited"), "{err}");
    }
}
