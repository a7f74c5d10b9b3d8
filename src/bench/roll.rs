//! `teller bench --roll N`: a roll of N members imported through the
//! console — the real server as a child process, a real HTTP upload, the
//! preview, the confirmation — with the server's peak memory (`VmHWM`),
//! beside the command line's `teller voters import` of the same file as the
//! baseline. The roll has the columns an organisation's export has (id,
//! name, e-mail, weight and three ignored ones), so its size is realistic.

use std::fmt::Write as _;
use std::io::{BufWriter, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::http::parse_head;
use super::memory::{self, mib, Sampler};
use super::prepare::{example_spec, ACTOR};
use super::scratch::{Backend, ScratchDb, WorkDir};
use super::server::Server;
use crate::db;
use crate::domain::roles::Role;
use crate::ops::{create, staff};
use crate::secrets::MasterSecret;
use crate::time::now;

/// The longest one import may take.
const LIMIT: Duration = Duration::from_secs(30 * 60);

/// What one backend measured.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The backend.
    pub backend: Backend,
    /// `teller voters import`: wall time and peak memory (KiB).
    pub cli: (Duration, u64),
    /// The server's `VmHWM` before the upload (KiB).
    pub server_idle_kib: u64,
    /// Upload and preview, then confirmation.
    pub upload: Duration,
    /// The confirmation.
    pub confirm: Duration,
    /// The server's `VmHWM` after both (KiB).
    pub server_peak_kib: u64,
    /// The preview page's size in bytes.
    pub preview_bytes: usize,
}

/// Run it: N members, on SQLite and (given a URL) PostgreSQL; print and
/// return a Markdown report.
pub fn run(members: u64, postgres_url: Option<&str>, work_parent: &Path, out: Option<&Path>) -> Result<String> {
    let work = WorkDir::create(work_parent)?;
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let secret_file = work.path().join("master.key");
    let secret = MasterSecret::generate_file(&secret_file)?;
    let file = work.path().join("roll.csv");
    write_roll(&file, members)?;
    let size = std::fs::metadata(&file)?.len();
    eprintln!(
        "teller bench --roll: {members} members, {:.1} MiB",
        size as f64 / 1048576.0
    );
    let mut figures = Vec::new();
    let mut databases = vec![ScratchDb::sqlite(work.path(), "roll")];
    if let Some(url) = postgres_url {
        databases.push(ScratchDb::postgres(url, "roll")?);
    }
    for database in &databases {
        eprintln!("{}: command line, then console", database.backend);
        figures.push(measure(
            database,
            &secret,
            &secret_file,
            &exe,
            work.path(),
            &file,
            members,
        )?);
    }
    let report = render(members, size, &figures);
    println!("{report}");
    if let Some(out) = out {
        std::fs::write(out, &report).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(report)
}

/// `member_id,name,email,weight,branch,joined,phone`.
fn write_roll(path: &Path, members: u64) -> Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "member_id,name,email,weight,branch,joined,phone")?;
    for i in 0..members {
        writeln!(
            w,
            "PT{i:07},\"Member {i}, Pharmacy Technician\",member.{i}@example-society.org,{},Branch {},20{:02}-0{}-1{},+44 20 7946 {:04}",
            1 + i % 3,
            i % 40,
            i % 25,
            1 + i % 9,
            i % 10,
            i % 10_000
        )?;
    }
    w.flush()?;
    Ok(())
}

fn measure(
    database: &ScratchDb,
    secret: &MasterSecret,
    secret_file: &Path,
    exe: &Path,
    work: &Path,
    file: &Path,
    members: u64,
) -> Result<Figures> {
    let pool = db::connect(&database.url, 2)?;
    let mut conn = db::get(&pool)?;
    let spec = example_spec()?;
    let for_cli = create::create_election(&mut conn, secret, &spec, ACTOR, now())?;
    let for_console = create::create_election(&mut conn, secret, &spec, ACTOR, now())?;
    let password = staff::generate_password()?;
    staff::add(&mut conn, "bench", "Bench", Role::Officer, &password, now())
        .map_err(|e| anyhow::anyhow!("cannot add the bench account: {e}"))?;
    drop(conn);

    // The baseline: the command line reads the file whole and imports it.
    let cli = memory::run_measured(
        Command::new(exe)
            .args(["voters", "import", &for_cli])
            .arg(file)
            .env("TELLER_DATABASE_URL", &database.url)
            .env("TELLER_MASTER_SECRET_FILE", secret_file)
            .env_remove("TELLER_MASTER_SECRET"),
        &work.join(format!("cli-{}.log", database.backend)),
        LIMIT,
    )?;
    anyhow::ensure!(
        cli.status.success(),
        "teller voters import failed:\n{}",
        cli.output_tail
    );

    let log = work.join(format!("server-{}.log", database.backend));
    let server = Server::start(exe, &database.url, secret_file, &log, "/staff/login")?;
    let idle = memory::resident(server.pid()).map(|r| r.hwm_kib).unwrap_or(0);
    let sampler = Sampler::start(server.pid(), Duration::from_millis(20));
    let addr = server.addr();
    let cookie = sign_in(addr, "bench", &password)?;
    let page = request(
        addr,
        "GET",
        &format!("/staff/elections/{for_console}"),
        &cookie,
        None,
        &[],
    )?;
    let csrf = attribute(&page.1, "name=\"csrf\" value=\"").context("no anti-forgery token on the election page")?;

    let started = Instant::now();
    let (status, preview) = upload(addr, &cookie, &for_console, &csrf, file)?;
    let upload_time = started.elapsed();
    anyhow::ensure!(
        status == 200,
        "the upload was answered {status}:\n{}",
        &preview[..preview.len().min(2000)]
    );
    let id = attribute(&preview, "name=\"upload\" value=\"").context("no upload id on the preview")?;
    let form = format!("csrf={csrf}&upload={id}");
    let started = Instant::now();
    let (status, done) = request(
        addr,
        "POST",
        &format!("/staff/elections/{for_console}/roll/confirm"),
        &cookie,
        Some("application/x-www-form-urlencoded"),
        form.as_bytes(),
    )?;
    let confirm = started.elapsed();
    anyhow::ensure!(
        status == 200 && done.contains(&format!("Imported {members} members")),
        "the confirmation was answered {status}:\n{}",
        &done[..done.len().min(2000)]
    );
    let peak = sampler.stop();
    let peak = peak
        .hwm_kib
        .max(memory::resident(server.pid()).map(|r| r.hwm_kib).unwrap_or(0));
    drop(server);

    let mut conn = db::get(&pool)?;
    let on_roll = crate::store::members::count(&mut conn, &for_console)?;
    let waiting = crate::store::roll_uploads::waiting_rows(&mut conn)?;
    anyhow::ensure!(on_roll == members, "{on_roll} members on the roll, not {members}");
    anyhow::ensure!(waiting == 0, "{waiting} uploaded rows were left behind");
    eprintln!(
        "  {}: command line {:.1} s, {:.0} MiB; console upload {:.1} s + confirm {:.1} s, server peak {:.0} MiB",
        database.backend,
        cli.wall.as_secs_f64(),
        mib(cli.peak_kib),
        upload_time.as_secs_f64(),
        confirm.as_secs_f64(),
        mib(peak)
    );
    Ok(Figures {
        backend: database.backend,
        cli: (cli.wall, cli.peak_kib),
        server_idle_kib: idle,
        upload: upload_time,
        confirm,
        server_peak_kib: peak,
        preview_bytes: preview.len(),
    })
}

fn attribute(html: &str, prefix: &str) -> Option<String> {
    let at = html.find(prefix)? + prefix.len();
    Some(html[at..at + html[at..].find('"')?].to_string())
}

fn sign_in(addr: SocketAddr, username: &str, password: &str) -> Result<String> {
    let form = format!("username={username}&password={password}&code=");
    let mut stream = connect(addr)?;
    write!(
        stream,
        "POST /staff/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )?;
    let mut all = Vec::new();
    stream.read_to_end(&mut all)?;
    let text = String::from_utf8_lossy(&all);
    let cookie = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim().split(';').next().unwrap_or("").to_string())
        })
        .with_context(|| format!("signing in gave no session:\n{}", &text[..text.len().min(1000)]))?;
    Ok(cookie)
}

fn connect(addr: SocketAddr) -> Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(LIMIT))?;
    stream.set_write_timeout(Some(LIMIT))?;
    Ok(stream)
}

/// One request with `Connection: close`: (status, body as text).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(u16, String)> {
    let mut stream = connect(addr)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\n");
    if let Some(t) = content_type {
        let _ = write!(head, "Content-Type: {t}\r\nContent-Length: {}\r\n", body.len());
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    response(stream)
}

fn response(mut stream: TcpStream) -> Result<(u16, String)> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all)?;
    let head = parse_head(&all)?.context("no response head")?;
    Ok((head.status, String::from_utf8_lossy(&all[head.len..]).into_owned()))
}

/// The console's upload form, the file streamed from disk as a browser does.
fn upload(addr: SocketAddr, cookie: &str, election: &str, csrf: &str, file: &Path) -> Result<(u16, String)> {
    let boundary = "----teller-bench-7c1f0e";
    let before = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"roll\"; filename=\"members.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    );
    let after = format!("\r\n--{boundary}--\r\n");
    let size = std::fs::metadata(file)?.len();
    let mut stream = connect(addr)?;
    write!(
        stream,
        "POST /staff/elections/{election}/roll HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{before}",
        before.len() as u64 + size + after.len() as u64
    )?;
    std::io::copy(&mut std::fs::File::open(file)?, &mut stream)?;
    stream.write_all(after.as_bytes())?;
    response(stream)
}

fn render(members: u64, size: u64, figures: &[Figures]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Roll of {members} members, {:.1} MiB (member_id,name,email,weight and three ignored columns).\n",
        size as f64 / 1048576.0
    );
    let _ = writeln!(
        s,
        "| backend | `teller voters import` | its peak | console upload + preview | confirm | preview page | server idle | server peak (`VmHWM`) |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for f in figures {
        let _ = writeln!(
            s,
            "| {} | {:.1} s | {:.0} MiB | {:.1} s | {:.1} s | {:.1} KiB | {:.0} MiB | **{:.0} MiB** |",
            f.backend,
            f.cli.0.as_secs_f64(),
            mib(f.cli.1),
            f.upload.as_secs_f64(),
            f.confirm.as_secs_f64(),
            f.preview_bytes as f64 / 1024.0,
            mib(f.server_idle_kib),
            mib(f.server_peak_kib)
        );
    }
    s
}

/// Where the work directory goes by default.
pub fn default_parent() -> PathBuf {
    std::env::temp_dir()
}
