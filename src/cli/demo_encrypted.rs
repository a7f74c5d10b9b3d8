//! The demo's encrypted election (docs/TRUSTEES.md): the example in
//! `examples/encrypted-election.toml`, with three demo trustees (any two
//! decrypt) whose folders live in the demo's data directory.
//!
//! The demo plays the trustees' part with the very code a trustee runs:
//! each step is a `teller-audit trustee …` command line, parsed as the
//! binary parses it and run by `teller_audit::trustees::cli::run` on files,
//! and the message it writes is posted with `ops::ceremony::post`, as the
//! trustee page's upload does. So what the demo prints is exactly what it
//! ran, and a newcomer can read every file it made.
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
}

/// Create the encrypted example election beside the plain one, name its
/// trustees, run their key ceremony and open its polls.
pub fn create(
    conn: &mut db::AnyConnection,
    secret: &MasterSecret,
    dir: &Path,
    public_url: &str,
    members: u32,
    actor: &str,
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
    let trustee_one = run_ceremony(conn, &id, &base)?;
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
fn run_ceremony(conn: &mut db::AnyConnection, id: &str, base: &Path) -> Result<Vec<String>> {
    eprintln!(
        "Running the key ceremony of the demo's encrypted election: each of its {} trustees runs teller-audit trustee in {}.",
        TRUSTEES.len(),
        base.display()
    );
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
            let written = run_trustee(base, &line)?;
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
/// its file arguments relative to `base`; returns the file it wrote.
fn run_trustee(base: &Path, line: &str) -> Result<PathBuf> {
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
    let AuditCommand::Trustee(command) = AuditCli::try_parse_from(&args)
        .with_context(|| format!("the demo's own command {line:?}"))?
        .command;
    match teller_audit::trustees::cli::run(&command) {
        Ok(true) => out.with_context(|| format!("{line:?} names no --out file")),
        Ok(false) => anyhow::bail!("{line}: nothing to do, which the demo did not expect"),
        Err(e) => anyhow::bail!("{line}: {e}"),
    }
}

/// The demo's paragraph about its encrypted election.
pub fn banner(demo: &EncryptedDemo, public_url: &str, data_dir: &Path) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "An encrypted election runs beside it: {}.", demo.title);
    let _ = writeln!(b, "  Encrypted election page:  {public_url}/e/{}", demo.id);
    let _ = writeln!(
        b,
        "Each ballot is encrypted in the voter's browser; any 2 of its 3 trustees, together, decrypt the totals."
    );
    let _ = writeln!(b, "Vote in it by opening a link:");
    for (name, link) in &demo.links {
        let _ = writeln!(b, "  {name:<22} {link}");
    }
    let _ = writeln!(
        b,
        "  (all {} links are in {})",
        demo.members,
        demo.tokens_path.display()
    );
    let _ = writeln!(
        b,
        "Its trustees' key ceremony ran just now ({:.2} s), each trustee's secrets in a folder of their own:",
        demo.ceremony_took.as_secs_f64()
    );
    for (j, name, dir, _) in &demo.trustees {
        let _ = writeln!(b, "  trustee {j} ({name}): {}", dir.display());
    }
    let _ = writeln!(
        b,
        "Trustee 1 ran these, in {} (board.json downloaded before each round, each message uploaded after):",
        demo.trustees_dir.display()
    );
    for line in &demo.trustee_one {
        let _ = writeln!(b, "  {line}");
    }
    let _ = writeln!(
        b,
        "Sign in as a trustee at {public_url}/trustee with a code from {}.",
        demo.codes_path.display()
    );
    let _ = writeln!(
        b,
        "To close it and have trustees 1 and 2 decrypt the totals (from another terminal):"
    );
    let _ = writeln!(
        b,
        "  cargo run --release -- demo-decrypt {} --data-dir {}",
        demo.id,
        data_dir.display()
    );
    let _ = writeln!(b, "What a trustee does, in plain words: docs/TRUSTEES.md\n");
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
        let written = run_trustee(base, &line)?;
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
