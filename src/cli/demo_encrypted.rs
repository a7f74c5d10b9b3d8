//! The demo's encrypted election (docs/TRUSTEES.md): the example in
//! `examples/encrypted-election.toml`, with three demo trustees (any two
//! decrypt) whose folders live in the demo's data directory.
//!
//! The demo plays the trustees' part with the very code a trustee runs:
//! each step is a `teller-audit trustee …` command line, parsed as the
//! binary parses it and run by `teller_audit::trustees::cli::run` on files,
//! and the message it writes is posted with `ops::ceremony::post`, as the
//! trustee page's upload does. So what the demo records is exactly what it
//! ran, and a newcomer can read every file it made.
//!
//! `teller demo` keeps the terminal for a short summary: each trustee
//! command then runs in a child process of the binary (`teller
//! demo-trustee-step`), and the command lines with all they printed go to
//! `<data>/trustees/ceremony.log` ([`Trustees::Logged`]); `--verbose` adds
//! the trustees' folders and trustee 1's commands to the summary. Called
//! as a library (tests, `teller bench`), the commands run in this process
//! ([`Trustees::InProcess`]).
//!
//! `teller demo-decrypt` ([`decrypt`]) is the other half: it closes the
//! polls, has trustees 1 and 2 decrypt the totals the same way, and
//! publishes the tally made from them, as staff would.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use teller_audit::trustees::cli::TrusteeCommand;
use teller_audit::trustees::TrusteeIndex;

use crate::db;
use crate::domain::spec;
use crate::domain::token::Token;
use crate::ops::{ceremony, create, decryption, lifecycle, roll, OpError};
use crate::secrets::MasterSecret;
use crate::time::now;

/// The demo trustees, in the order staff name them.
const TRUSTEES: [&str; 3] = ["Ana Ruiz", "Ben Okafor", "Chen Wei"];

/// Where the demo's trustees work: `<data>/trustees`, holding the board
/// they download, each trustee's folder of secrets and the messages they
/// upload.
pub fn trustees_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("trustees")
}

/// Trustee `j`'s folder of secrets (`--dir`), relative to [`trustees_dir`].
fn folder(j: TrusteeIndex) -> String {
    format!("trustee-{j}")
}

/// The file `teller demo` keeps the ceremony's command lines and all they
/// printed in, in [`trustees_dir`].
pub fn ceremony_log(data_dir: &Path) -> PathBuf {
    trustees_dir(data_dir).join("ceremony.log")
}

/// Where the trustees' commands run, and so where what they print goes.
#[derive(Debug, Clone, Copy)]
pub enum Trustees<'a> {
    /// In this process: what they print goes to standard error.
    InProcess,
    /// Each in a child process of this binary (`teller demo-trustee-step`),
    /// with the command line and all it printed appended to this file.
    Logged(&'a Path),
}

/// What the demo made, for its banner.
pub struct EncryptedDemo {
    /// The election's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// A few members' voting links.
    pub links: Vec<(String, String)>,
    /// How many members hold a code.
    pub members: usize,
    /// The file with every code.
    pub tokens_path: PathBuf,
    /// Where the trustees work.
    pub trustees_dir: PathBuf,
    /// Each trustee's number, name, folder and access code.
    pub trustees: Vec<(TrusteeIndex, String, PathBuf, Token)>,
    /// The file holding the access codes.
    pub codes_path: PathBuf,
    /// The commands trustee 1 ran, in order, in `trustees_dir`.
    pub trustee_one: Vec<String>,
    /// How long the key ceremony took (five rounds, three trustees).
    pub ceremony_took: Duration,
    /// Where the trustees' commands and their output were kept, if they were.
    pub log: Option<PathBuf>,
}

/// Create the encrypted example election beside the plain one, name its
/// trustees, run their key ceremony (in this process) and open its polls.
pub fn create(
    conn: &mut db::AnyConnection,
    secret: &MasterSecret,
    dir: &Path,
    public_url: &str,
    members: u32,
    actor: &str,
) -> Result<EncryptedDemo> {
    create_with(conn, secret, dir, public_url, members, actor, Trustees::InProcess)
}

/// [`create`], running the trustees' commands as `how` says.
pub fn create_with(
    conn: &mut db::AnyConnection,
    secret: &MasterSecret,
    dir: &Path,
    public_url: &str,
    members: u32,
    actor: &str,
    how: Trustees<'_>,
) -> Result<EncryptedDemo> {
    let mut parsed =
        spec::parse(include_str!("../../examples/encrypted-election.toml")).map_err(OpError::Definition)?;
    parsed.seal_interval_seconds = 30;
    parsed.seal_min_ballots = 1;
    let id = create::create_election(conn, secret, &parsed, actor, now())?;
    roll::import_roll(
        conn,
        &id,
        super::demo::sample_roll(members.max(1)).as_bytes(),
        actor,
        now(),
    )?;
    let issued = roll::issue_tokens(conn, secret, &id, actor, now())?;
    let tokens_path = dir.join("tokens-encrypted.csv");
    let file =
        crate::files::create_new(&tokens_path).with_context(|| format!("cannot create {}", tokens_path.display()))?;
    roll::write_tokens_csv(std::io::BufWriter::new(file), public_url, &issued)?;

    let base = trustees_dir(dir);
    crate::files::create_dir_all(&base.join("messages"))
        .with_context(|| format!("cannot create {}", base.join("messages").display()))?;
    let mut trustees = Vec::new();
    for name in TRUSTEES {
        let named = ceremony::name_trustee(conn, &id, name, None, actor, now())?;
        trustees.push((
            named.trustee,
            name.to_string(),
            base.join(folder(named.trustee)),
            named.code,
        ));
    }
    let codes_path = base.join("access-codes.txt");
    write_codes(&codes_path, &id, &trustees)?;

    let started = Instant::now();
    let trustee_one = run_ceremony(conn, &id, &base, how)?;
    let ceremony_took = started.elapsed();

    lifecycle::open(conn, secret, &id, actor, now())?;
    Ok(EncryptedDemo {
        id,
        title: parsed.definition.title.clone(),
        links: issued
            .iter()
            .take(3)
            .map(|t| (t.name.clone(), roll::voting_link(public_url, &t.token)))
            .collect(),
        members: issued.len(),
        tokens_path,
        trustees_dir: base,
        trustees,
        codes_path,
        trustee_one,
        ceremony_took,
        log: match how {
            Trustees::Logged(path) => Some(path.to_path_buf()),
            Trustees::InProcess => None,
        },
    })
}

/// The access codes, owner-only: staff would hand each to its trustee
/// privately; here they let the newcomer sign in at `/trustee` as any of
/// them.
fn write_codes(path: &Path, id: &str, trustees: &[(TrusteeIndex, String, PathBuf, Token)]) -> Result<()> {
    use std::io::Write as _;
    let mut text =
        format!("# Trustee access codes of the demo's encrypted election {id}.\n# Sign in with one at /trustee.\n");
    for (j, name, _, code) in trustees {
        let _ = writeln!(text, "trustee {j}  {name:<12} {}", code.as_str());
    }
    let mut file = crate::files::create_new(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The board as Teller serves it to trustees (`GET …/ceremony`), saved
/// where they run their commands.
fn download_board(conn: &mut db::AnyConnection, id: &str, base: &Path) -> Result<()> {
    let c = ceremony::load(conn, id)?.context("the encrypted demo election has no trustees")?;
    let (file, _) = c.board.context("the demo's trustees are not all named")?;
    let path = base.join("board.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&file)?).with_context(|| format!("cannot write {}", path.display()))
}

/// The key ceremony's five rounds (§16.2), each trustee in turn: download
/// the board, run the command the trustee page would show, upload the
/// message. Returns trustee 1's commands.
fn run_ceremony(conn: &mut db::AnyConnection, id: &str, base: &Path, how: Trustees<'_>) -> Result<Vec<String>> {
    if let Trustees::InProcess = how {
        eprintln!(
            "Running the key ceremony of the demo's encrypted election: each of its {} trustees runs teller-audit trustee in {}.",
            TRUSTEES.len(),
            base.display()
        );
    }
    let mut trustee_one = Vec::new();
    let rounds: [(&str, &str); 5] = [
        ("keygen", "register"),
        ("share", "commit-1"),
        ("share", "deal-1"),
        ("check", "check-1"),
        ("finish", "finish-1"),
    ];
    for (command, message) in rounds {
        download_board(conn, id, base)?;
        for j in 1..=TRUSTEES.len() as TrusteeIndex {
            let dir = folder(j);
            let number = if command == "keygen" {
                format!(" --trustee {j}")
            } else {
                String::new()
            };
            let line = format!(
                "teller-audit trustee {command} --board board.json{number} --dir {dir} --out messages/{dir}-{message}.json"
            );
            let written = run_trustee(base, &line, how)?;
            let bytes = std::fs::read(&written).with_context(|| format!("cannot read {}", written.display()))?;
            ceremony::post(conn, id, j, &bytes, now()).with_context(|| format!("posting {}", written.display()))?;
            if j == 1 {
                trustee_one.push(line);
            }
        }
    }
    ceremony::completed(conn, id)?.context("the demo's key ceremony did not complete")?;
    Ok(trustee_one)
}

/// `teller-audit`'s command line, for its `trustee` commands.
#[derive(Parser)]
#[command(name = "teller-audit")]
struct AuditCli {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    #[command(subcommand)]
    Trustee(TrusteeCommand),
}

/// Run a `teller-audit trustee …` command line as the binary would, with
/// its file arguments relative to `base`, in this process or a child as
/// `how` says; returns the file it wrote.
fn run_trustee(base: &Path, line: &str, how: Trustees<'_>) -> Result<PathBuf> {
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    let mut out = None;
    let mut path_next = None;
    for word in line.split_whitespace() {
        match path_next.take() {
            Some(flag) => {
                let path = base.join(word);
                if flag == "--out" {
                    out = Some(path.clone());
                }
                args.push(path.into_os_string());
            }
            None => {
                if matches!(word, "--board" | "--dir" | "--out" | "--request") {
                    path_next = Some(word);
                }
                args.push(word.into());
            }
        }
    }
    let out = out.with_context(|| format!("{line:?} names no --out file"))?;
    match how {
        Trustees::InProcess => run_step(&args).with_context(|| line.to_string())?,
        Trustees::Logged(log) => run_logged(&args, line, log)?,
    }
    Ok(out)
}

/// Run one trustee command line (`teller-audit trustee …`, parsed as that
/// binary parses it) in this process; an error if it wrote nothing.
fn run_step(args: &[std::ffi::OsString]) -> Result<()> {
    let AuditCommand::Trustee(command) = AuditCli::try_parse_from(args)
        .context("the demo's own trustee command does not parse")?
        .command;
    match teller_audit::trustees::cli::run(&command) {
        Ok(true) => Ok(()),
        Ok(false) => anyhow::bail!("nothing to do, which the demo did not expect"),
        Err(e) => anyhow::bail!("{e}"),
    }
}

/// Run one trustee command line in a child process of this binary,
/// appending the line and all the command prints to `log`.
fn run_logged(args: &[std::ffi::OsString], line: &str, log: &Path) -> Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    writeln!(file, "$ {line}").with_context(|| format!("cannot write {}", log.display()))?;
    let exe = std::env::current_exe().context("cannot find this program, to run the demo's trustees")?;
    let status = std::process::Command::new(exe)
        .arg("demo-trustee-step")
        .args(&args[1..])
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .context("cannot run the demo's trustee command")?;
    if !status.success() {
        anyhow::bail!("{line} failed; what it printed is in {}", log.display());
    }
    Ok(())
}

/// `teller demo-trustee-step trustee …`: one trustee command line of the
/// demo's (`args` without the program name), run in this process.
pub fn trustee_step(args: &[std::ffi::OsString]) -> Result<()> {
    let mut line = vec![std::ffi::OsString::from("teller-audit")];
    line.extend(args.iter().cloned());
    run_step(&line)
}

/// The demo's paragraph about its encrypted election: what a newcomer
/// needs (the page, links to vote, where trustees sign in, the command that
/// tallies), and where the details are; with `verbose`, the trustees'
/// folders and the commands trustee 1 ran too.
pub fn banner(demo: &EncryptedDemo, public_url: &str, data_dir: &Path, verbose: bool) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "An encrypted election runs beside it: {}.", demo.title);
    let _ = writeln!(b, "  Encrypted election page:  {public_url}/e/{}", demo.id);
    let _ = writeln!(
        b,
        "  Vote (the ballot is encrypted in your browser): {}",
        demo.links.first().map_or("", |(_, link)| link.as_str())
    );
    let _ = writeln!(
        b,
        "  (all {} links are in {})",
        demo.members,
        demo.tokens_path.display()
    );
    let _ = writeln!(
        b,
        "  Any 2 of its 3 trustees decrypt the totals. Sign in as one at {public_url}/trustee"
    );
    let _ = writeln!(b, "  with a code from {}.", demo.codes_path.display());
    let _ = writeln!(b, "  To close it and have two trustees decrypt and publish the result:");
    let _ = writeln!(
        b,
        "    cargo run --release -- demo-decrypt {} --data-dir {}",
        demo.id,
        data_dir.display()
    );
    match &demo.log {
        Some(log) => {
            let _ = writeln!(
                b,
                "  Its trustees' key ceremony ran just now ({:.2} s); every command they ran, with what",
                demo.ceremony_took.as_secs_f64()
            );
            let _ = writeln!(
                b,
                "  it printed, is in {} (--verbose prints trustee 1's here too).",
                log.display()
            );
        }
        None => {
            let _ = writeln!(
                b,
                "  Its trustees' key ceremony ran just now ({:.2} s).",
                demo.ceremony_took.as_secs_f64()
            );
        }
    }
    if verbose {
        let _ = writeln!(b, "  Each trustee's secrets are in a folder of their own:");
        for (j, name, dir, _) in &demo.trustees {
            let _ = writeln!(b, "    trustee {j} ({name}): {}", dir.display());
        }
        let _ = writeln!(
            b,
            "  Trustee 1 ran these, in {} (board.json downloaded before each round, each message uploaded after):",
            demo.trustees_dir.display()
        );
        for line in &demo.trustee_one {
            let _ = writeln!(b, "    {line}");
        }
    }
    let _ = writeln!(b, "  What a trustee does, in plain words: docs/TRUSTEES.md\n");
    b
}

/// `teller demo-decrypt`: close the demo's encrypted election (if its polls
/// are open), then have trustees 1 and 2 run `teller-audit trustee
/// decrypt` on the decryption request in their folders and upload their
/// partial decryptions, which decrypts the totals; then, as staff, publish
/// the tally made from them.
pub fn decrypt(data_dir: &Path, election: &str, public_url: &str) -> Result<()> {
    let db_path = data_dir.join("teller.db");
    let secret_path = data_dir.join("master.key");
    if !db_path.exists() || !secret_path.exists() {
        anyhow::bail!(
            "{} holds no demo (no teller.db and master.key); give the --data-dir `teller demo` printed",
            data_dir.display()
        );
    }
    let secret = MasterSecret::from_file(&secret_path)?;
    let pool = db::connect(&db_path.to_string_lossy(), 2)?;
    let mut conn = db::get(&pool)?;
    let row = crate::ops::resolve_election(&mut conn, election)?;
    let id = row.id.clone();
    let base = trustees_dir(data_dir);
    if !base.join(folder(1)).is_dir() {
        anyhow::bail!(
            "{} has no demo trustees' folders: demo-decrypt is for the demo's encrypted election",
            base.display()
        );
    }
    let actor = crate::ops::cli_actor();
    if row.state()? == crate::domain::lifecycle::State::Open {
        let closed = lifecycle::close(&mut conn, &secret, &id, "demo-decrypt", &actor, now())?;
        println!(
            "Closed the polls of {id}: {} ballot(s) cast. Their encrypted totals are fixed in the log.",
            closed.ballots
        );
    }
    let progress = decryption::progress(&mut conn, &id)?
        .with_context(|| format!("election {id} is not an encrypted election whose polls have closed"))?;
    if !progress.decrypted {
        trustees_decrypt(&mut conn, &id, &base, &progress)?;
    }
    let closed = crate::ops::resolve_election(&mut conn, &id)?.state()? == crate::domain::lifecycle::State::Closed;
    if closed {
        // The totals are decrypted; staff publish the tally made from them,
        // as with a plain election (the `tallied` entry names who did).
        println!("The totals are decrypted. Staff publish the tally made from them:");
        println!("  teller election tally {id}");
        let tally = lifecycle::tally(&mut conn, &secret, &id, &actor, now())?;
        println!(
            "Tallied {} ballot(s); the result is published, tally digest {}.",
            tally.ballots,
            tally.digest()
        );
        for r in &tally.contests {
            println!("  {}: {} cast, {} blank", r.title, r.cast, r.blank);
        }
    } else {
        println!("The totals are decrypted and the result is published already.");
    }
    println!("The result: {public_url}/e/{id}");
    println!("Check it yourself, trusting nothing the server says:");
    println!(
        "  TELLER_DATABASE_URL={} cargo run --release -- export {id} --out record.json",
        db_path.display()
    );
    println!("  cargo run --release -p teller-audit -- verify record.json");
    Ok(())
}

/// The demo's trustees in turn, until `K` are accepted: download the board and the decryption
/// request, run `teller-audit trustee decrypt`, upload the partial
/// decryption; the `K`th accepted decrypts the totals.
fn trustees_decrypt(
    conn: &mut db::AnyConnection,
    id: &str,
    base: &Path,
    progress: &decryption::Progress,
) -> Result<()> {
    download_board(conn, id, base)?;
    let request = decryption::request(conn, id)?;
    let request_path = base.join("decryption-request.json");
    std::fs::write(&request_path, request).with_context(|| format!("cannot write {}", request_path.display()))?;
    println!(
        "Downloaded the board and the decryption request into {}; each trustee runs there:",
        base.display()
    );
    let mut decrypted = false;
    for j in 1..=TRUSTEES.len() as TrusteeIndex {
        if decrypted {
            break;
        }
        if progress.accepted.contains(&j) {
            println!("  (trustee {j}'s partial decryption is accepted already)");
            continue;
        }
        let dir = folder(j);
        let line = format!(
            "teller-audit trustee decrypt --board board.json --dir {dir} --request decryption-request.json --out messages/{dir}-partial.json"
        );
        println!("  {line}");
        let written = run_trustee(base, &line, Trustees::InProcess)?;
        let bytes = std::fs::read(&written).with_context(|| format!("cannot read {}", written.display()))?;
        let accepted = decryption::post_share(conn, id, j, &bytes, now())
            .with_context(|| format!("uploading {}", written.display()))?;
        println!(
            "    uploaded {}: accepted, {} of the {} needed",
            written.display(),
            accepted.accepted,
            accepted.threshold
        );
        decrypted |= accepted.decrypted;
    }
    if !decrypted {
        anyhow::bail!("the trustees' partial decryptions did not complete the decryption");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made() -> EncryptedDemo {
        let base = PathBuf::from("/tmp/demo/trustees");
        EncryptedDemo {
            id: "0b7e4b4e-0000-4000-8000-000000000001".into(),
            title: "Encrypted example".into(),
            links: vec![
                ("Ana".into(), "http://x/v/AAAA".into()),
                ("Ben".into(), "http://x/v/BBBB".into()),
            ],
            members: 300,
            tokens_path: PathBuf::from("/tmp/demo/tokens-encrypted.csv"),
            trustees_dir: base.clone(),
            trustees: (1..=3)
                .map(|j| {
                    (
                        j,
                        TRUSTEES[j as usize - 1].to_string(),
                        base.join(folder(j)),
                        Token::generate().unwrap(),
                    )
                })
                .collect(),
            codes_path: base.join("access-codes.txt"),
            trustee_one: vec!["teller-audit trustee keygen --board board.json --trustee 1 --dir trustee-1".into()],
            ceremony_took: Duration::from_millis(300),
            log: Some(base.join("ceremony.log")),
        }
    }

    /// The summary: what a newcomer needs, in a few lines, and where the
    /// details are; the details themselves only with `--verbose`.
    #[test]
    fn the_banner_is_short_unless_verbose() {
        let demo = made();
        let short = banner(&demo, "http://x", Path::new("/tmp/demo"), false);
        assert!(short.lines().count() <= 12, "{short}");
        for needed in [
            "http://x/e/0b7e4b4e-0000-4000-8000-000000000001",
            "http://x/v/AAAA",
            "http://x/trustee",
            "/tmp/demo/trustees/access-codes.txt",
            "demo-decrypt 0b7e4b4e-0000-4000-8000-000000000001 --data-dir /tmp/demo",
            "/tmp/demo/trustees/ceremony.log",
        ] {
            assert!(short.contains(needed), "{needed:?} not in\n{short}");
        }
        assert!(!short.contains("teller-audit trustee keygen"), "{short}");
        assert!(!short.contains("trustee-2"), "{short}");
        let long = banner(&demo, "http://x", Path::new("/tmp/demo"), true);
        assert!(long.starts_with(&short[..short.find("  What a trustee does").unwrap()]));
        assert!(
            long.contains("teller-audit trustee keygen --board board.json --trustee 1"),
            "{long}"
        );
        assert!(
            long.contains("trustee 2 (Ben Okafor): /tmp/demo/trustees/trustee-2"),
            "{long}"
        );
    }
}
