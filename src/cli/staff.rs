//! Staff commands: elections, the roll, tokens, seals, status, export.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;

use super::Global;
use crate::db;
use crate::domain::spec;
use crate::ops::{self, cli_actor, lifecycle, record, roll, seal, status as status_op};
use crate::secrets::MasterSecret;
use crate::store::elections;
use crate::time::{format as when, now};

#[derive(Subcommand)]
pub enum ElectionCommand {
    /// Create a draft election from a TOML file (see examples/board-election.toml).
    /// Prints the new election's id alone on the last line.
    Create {
        /// The election file.
        file: PathBuf,
    },
    /// List elections.
    List,
    /// Open the polls now: the definition is frozen and its hash logged.
    Open {
        /// Election id (or a unique prefix of it).
        election: String,
    },
    /// Close the polls now: waiting ballots are sealed, the count of tokens
    /// used is logged.
    Close {
        /// Election id (or a unique prefix of it).
        election: String,
        /// Why, for the log (for example "closed early by the committee").
        #[arg(long, default_value = "closed by staff")]
        reason: String,
    },
    /// Count the ballots of a closed election and publish the results.
    Tally {
        /// Election id (or a unique prefix of it).
        election: String,
    },
    /// Delete an election's personal data for good, once its result is
    /// final (certified, or tallied when it has no committee) and the
    /// recount window has passed: the roll (member ids, names, e-mail
    /// addresses, voting-code hashes, who voted), delivery records and
    /// unconfirmed roll uploads. The log, ballots, tally, certifications
    /// and figures stay, so the record still verifies. Asks twice.
    Purge {
        /// Election id (or a unique prefix of it).
        election: String,
        /// Days after the result became final before its personal data may
        /// be deleted.
        #[arg(long, env = "TELLER_RECOUNT_WINDOW_DAYS", default_value_t = ops::purge::DEFAULT_RECOUNT_WINDOW_DAYS)]
        recount_window_days: u32,
    },
    /// Show the election's witnesses (independent servers that co-sign its
    /// log, audit/FORMAT.md §6b) and how far each has co-signed; with
    /// `--witness`, name them (while a draft; the opening freezes them).
    Witnesses {
        /// Election id (or a unique prefix of it).
        election: String,
        /// A witness: its verifier key, as `teller-audit witness keygen`
        /// printed it, and its URL, separated by a space. Repeat for each.
        #[arg(long = "witness", value_name = "VKEY URL")]
        witnesses: Vec<String>,
        /// How many must co-sign each checkpoint (default: all named).
        #[arg(long)]
        quorum: Option<u32>,
        /// Name no witnesses (remove those named).
        #[arg(long, conflicts_with = "witnesses")]
        none: bool,
    },
}

#[derive(Subcommand)]
pub enum VotersCommand {
    /// Import the member roll from a CSV file with a header row naming at
    /// least member_id, name and email. Any bad row stops the import:
    /// nothing is imported, and every problem is listed with its row number.
    Import {
        /// Election id (or a unique prefix of it).
        election: String,
        /// The roll (CSV, UTF-8).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Issue a voting token to every member who has none, and write them to a
    /// CSV for mail merge (member_id,name,email,token,link). This is the only
    /// time tokens are visible: keep the file safe and delete it after use.
    Issue {
        /// Election id (or a unique prefix of it).
        election: String,
        /// Where to write the tokens (must not exist yet).
        #[arg(long)]
        out: PathBuf,
    },
    /// Give a member who had not voted by the last seal a new token; the old
    /// one stops working. The member is told at their e-mail address (by
    /// `teller serve`, which sends the notice), and the replacement is counted
    /// in the public record.
    Reissue {
        /// Election id (or a unique prefix of it).
        election: String,
        /// The member's id.
        member: String,
        /// Write the new token as a one-row CSV here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Create a staff account for the console (the first administrator,
    /// typically). A strong password is generated and printed once, unless
    /// --password-stdin reads one from standard input.
    Add {
        /// Login name: 2–40 characters of a-z, 0-9, '.', '-' and '_'.
        username: String,
        /// administrator, officer, certifier or observer.
        #[arg(long, default_value = "administrator")]
        role: String,
        /// The name shown in the console, the log and on certificates.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List staff accounts.
    List,
}

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Write a new random secret to FILE (readable only by you): a master
    /// secret, or a backup key.
    New {
        /// Where to write it (must not exist yet).
        file: PathBuf,
    },
}

fn conn(g: &Global) -> Result<db::DbConn> {
    Ok(db::get(&g.pool(2)?)?)
}

fn id_of(conn: &mut db::AnyConnection, election: &str) -> Result<String> {
    Ok(ops::resolve_election(conn, election)?.id)
}

pub fn election(g: &Global, cmd: ElectionCommand) -> Result<()> {
    let actor = cli_actor();
    match cmd {
        ElectionCommand::Create { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = spec::parse(&text).map_err(ops::OpError::Definition)?;
            let secret = g.master_secret()?;
            let mut c = conn(g)?;
            let id = ops::create::create_election(&mut c, &secret, &parsed, &actor, now())?;
            let d = &parsed.definition;
            println!(
                "Created the draft election \"{}\" with {}.",
                d.title,
                crate::text::count(d.contests.len() as u64, "contest", "contests")
            );
            println!(
                "  Opens: {}.  Closes: {}.",
                parsed
                    .opens_at
                    .map(when)
                    .unwrap_or_else(|| "by hand (teller election open)".into()),
                parsed
                    .closes_at
                    .map(when)
                    .unwrap_or_else(|| "by hand (teller election close)".into())
            );
            println!("  Next: teller voters import {id} members.csv");
            println!("{id}");
        }
        ElectionCommand::List => {
            let mut c = conn(g)?;
            let rows = elections::list(&mut c)?;
            if rows.is_empty() {
                println!("No elections yet. Create one with `teller election create FILE`.");
            }
            for r in rows {
                println!("{}  {:<9}  {}", r.id, r.state, r.title);
            }
        }
        ElectionCommand::Purge {
            election,
            recount_window_days,
        } => purge(g, &election, recount_window_days, &actor)?,
        ElectionCommand::Witnesses {
            election,
            witnesses,
            quorum,
            none,
        } => {
            let mut c = conn(g)?;
            let id = id_of(&mut c, &election)?;
            if none || !witnesses.is_empty() {
                let list = witnesses
                    .iter()
                    .map(|w| {
                        let (vkey, url) = w.trim().split_once(char::is_whitespace).ok_or_else(|| {
                            anyhow::anyhow!("--witness {w:?}: give the verifier key, a space and the URL")
                        })?;
                        ops::witnesses::parse_witness(vkey, url).map_err(anyhow::Error::msg)
                    })
                    .collect::<Result<Vec<_>>>()?;
                let quorum = quorum.unwrap_or(list.len() as u32);
                ops::witnesses::set_policy(&mut c, &id, &list, quorum, &actor)?;
            }
            print_witnesses(&mut c, &id)?;
        }
        ElectionCommand::Open { election } => {
            let secret = g.master_secret()?;
            let mut c = conn(g)?;
            let id = id_of(&mut c, &election)?;
            lifecycle::open(&mut c, &secret, &id, &actor, now())?;
            println!("The polls are open for election {id}. The definition is frozen and its hash is in the log.");
        }
        ElectionCommand::Close { election, reason } => {
            let secret = g.master_secret()?;
            let mut c = conn(g)?;
            let id = id_of(&mut c, &election)?;
            let closed = lifecycle::close(&mut c, &secret, &id, &reason, &actor, now())?;
            println!(
                "The polls are closed for election {id}: {} ballots from {} tokens used. Next: teller election tally {id}",
                closed.ballots, closed.tokens_used
            );
        }
        ElectionCommand::Tally { election } => {
            let secret = g.master_secret()?;
            let mut c = conn(g)?;
            let id = id_of(&mut c, &election)?;
            let tally = lifecycle::tally(&mut c, &secret, &id, &actor, now())?;
            println!(
                "Tallied {} ballots. Results are published; the tally digest is {}.",
                tally.ballots,
                tally.digest()
            );
            for r in &tally.contests {
                println!(
                    "  {}: {} cast, {} blank, {} invalid",
                    r.title, r.cast, r.blank, r.invalid
                );
            }
            println!("Next: teller export {id} --out record.json");
        }
    }
    Ok(())
}

pub fn voters(g: &Global, cmd: VotersCommand) -> Result<()> {
    match cmd {
        VotersCommand::Import { election, file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut c = conn(g)?;
            let id = id_of(&mut c, &election)?;
            let summary = roll::import_roll(&mut c, &id, &bytes, &cli_actor(), now())?;
            for n in &summary.notices {
                println!("Note: {n}");
            }
            println!(
                "Imported {} members; the roll now has {}.",
                summary.added, summary.total
            );
        }
    }
    Ok(())
}

/// Create a file only its owner can read; refuse to overwrite.
fn create_private(path: &Path) -> Result<std::fs::File> {
    crate::files::create_new(path).with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
}

pub fn tokens(g: &Global, cmd: TokensCommand) -> Result<()> {
    let secret = g.master_secret()?;
    let mut c = conn(g)?;
    let public_url = g.public_url();
    match cmd {
        TokensCommand::Issue { election, out } => {
            let id = id_of(&mut c, &election)?;
            // Create the file first, so a bad path fails before any token exists.
            let file = create_private(&out)?;
            let issued = match roll::issue_tokens(&mut c, &secret, &id, &cli_actor(), now()) {
                Ok(i) => i,
                Err(e) => {
                    drop(file);
                    let _ = std::fs::remove_file(&out);
                    return Err(e.into());
                }
            };
            roll::write_tokens_csv(std::io::BufWriter::new(file), &public_url, &issued).with_context(|| {
                format!(
                    "the tokens were issued but could not be written to {}; re-issue them with `teller tokens reissue`",
                    out.display()
                )
            })?;
            if issued.is_empty() {
                println!("Every member already holds a token; {} lists none.", out.display());
            } else {
                println!(
                    "Issued {} tokens and wrote them to {}. Keep that file safe and delete it once the invitations are sent:\nit is the only copy of the tokens.",
                    issued.len(),
                    out.display()
                );
            }
        }
        TokensCommand::Reissue { election, member, out } => {
            let id = id_of(&mut c, &election)?;
            let file = out.as_deref().map(create_private).transpose()?;
            let t = roll::reissue_token(&mut c, &secret, &id, &member, &cli_actor(), roll::Notify::Member, now())?;
            match file {
                Some(f) => {
                    roll::write_tokens_csv(std::io::BufWriter::new(f), &public_url, std::slice::from_ref(&t))?;
                    println!("Re-issued the token of member {member}; the old one no longer works. Written to the file given.");
                }
                None => {
                    println!(
                        "Re-issued the token of member {} ({}); the old one no longer works.",
                        t.member_id, t.name
                    );
                    println!("token: {}", t.token.grouped());
                    println!("link:  {}", roll::voting_link(&public_url, &t.token));
                }
            }
            if !t.email.trim().is_empty() {
                println!(
                    "The member will be told at {} that a new code was issued (sent by `teller serve`).",
                    t.email
                );
            }
        }
    }
    Ok(())
}

pub fn seal(g: &Global, election: &str) -> Result<()> {
    let secret = g.master_secret()?;
    let mut c = conn(g)?;
    let id = id_of(&mut c, election)?;
    match seal::seal_by_staff(&mut c, &secret, &id, now())? {
        Ok(s) => println!("Sealed {} ballots into the log as seal {}.", s.ballots, s.seal),
        Err(not) => {
            let text = not.to_string();
            let mut chars = text.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
            println!("{first}{}.", chars.as_str());
        }
    }
    Ok(())
}

pub fn status(g: &Global, election: &str) -> Result<()> {
    let mut c = conn(g)?;
    let s = status_op::status(&mut c, election)?;
    let e = &s.election;
    println!("Election  {}", e.id);
    println!("Title     {}", e.title);
    let schedule = match (e.opens_at, e.closes_at) {
        (Some(o), Some(c)) => format!(" (scheduled {} to {})", when(o), when(c)),
        (Some(o), None) => format!(" (opens {})", when(o)),
        (None, Some(c)) => format!(" (closes {})", when(c)),
        (None, None) => String::new(),
    };
    println!("State     {}{schedule}", s.state);
    let tokens = status_op::tokens_issued(&mut c, &e.id)?;
    println!("Members   {} eligible, {} holding a token", s.eligible, tokens);
    // As of the last seal only: ballots cast since are not counted anywhere staff look.
    if s.seals > 0 {
        println!(
            "Turnout   {} voted as of the last seal (seal {} at {})",
            s.voted_as_of_last_seal,
            s.seals,
            when(s.last_seal_at)
        );
    } else {
        println!("Turnout   no seal yet");
    }
    println!("Log       {} entries, head {}", s.log_size, s.log_head);
    Ok(())
}

pub fn export(g: &Global, election: &str, out: &Path) -> Result<()> {
    let mut c = conn(g)?;
    // Write beside the target and rename, so a failed export leaves no half file.
    let tmp = out.with_extension("json.partial");
    let written = {
        let file = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let result = record::write_record(&mut c, election, &mut w);
        drop(w);
        match result {
            Ok(written) => written,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        }
    };
    std::fs::rename(&tmp, out).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "Wrote the record of {} ({}) to {}: {} log entries, {} checkpoints, {}.",
        written.election,
        written.state,
        out.display(),
        written.entries,
        written.checkpoints,
        match written.ballots {
            Some(n) => format!("{n} ballots and the tally"),
            None => "no ballots yet (they are published with the tally)".to_string(),
        }
    );
    println!("Verify it with: teller-audit verify {}", out.display());
    Ok(())
}

pub fn staff(g: &Global, cmd: StaffCommand) -> Result<()> {
    use crate::domain::roles::Role;
    use crate::ops::staff as accounts;
    let mut c = conn(g)?;
    match cmd {
        StaffCommand::Add {
            username,
            role,
            name,
            password_stdin,
        } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (accounts::generate_password()?, true)
            };
            let display = name.unwrap_or_else(|| username.clone());
            let row = accounts::add(&mut c, &username, &display, role, &password, now())?;
            println!(
                "Created {} account {} ({}).",
                role.label(),
                row.username,
                row.display_name
            );
            if generated {
                println!("Password (shown once; change it after signing in): {password}");
            }
            println!("Sign in at {}/staff", g.public_url());
        }
        StaffCommand::List => {
            for r in crate::store::staff::list(&mut c)? {
                let flags = match (r.disabled, r.totp_secret.is_some()) {
                    (true, _) => "  (disabled)",
                    (false, true) => "  (two-step sign-in)",
                    _ => "",
                };
                println!("{:<20} {:<14} {}{flags}", r.username, r.role, r.display_name);
            }
        }
    }
    Ok(())
}

/// `teller election purge`: show what goes, then ask twice.
fn purge(g: &Global, election: &str, window_days: u32, actor: &str) -> Result<()> {
    use std::io::BufRead;
    let mut c = conn(g)?;
    let plan = ops::purge::plan(&mut c, election, window_days)?;
    if let Some(why) = plan.refusal(now()) {
        anyhow::bail!("cannot delete the personal data of election {}: {why}", plan.election);
    }
    println!("Election {} — {}", plan.election, plan.title);
    if let (Some(at), Some(from)) = (plan.final_at, plan.purge_from) {
        println!(
            "Its result became final on {}; the {window_days}-day recount window ended on {}.",
            when(at),
            when(from)
        );
    }
    println!("This deletes for good:");
    println!(
        "  - the roll: {} members' ids, names, e-mail addresses, voting-code hashes and whether each voted;",
        plan.members
    );
    println!(
        "  - {} delivery records (who was sent a code or reminder);",
        plan.deliveries
    );
    println!("  - {} unconfirmed roll uploads.", plan.roll_uploads);
    println!(
        "Kept: the log, the ballots, the tally, the certifications and the figures, so the record still verifies."
    );
    println!("Backups made before now still hold this data: destroy them as your retention policy says.");
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |prompt: &str| -> Result<String> {
        print!("{prompt}");
        std::io::Write::flush(&mut std::io::stdout())?;
        match lines.next() {
            Some(line) => Ok(line?.trim().to_string()),
            None => anyhow::bail!("no answer was given; nothing was deleted"),
        }
    };
    if ask(&format!("Type the election's id ({}) to go on: ", plan.election))? != plan.election {
        anyhow::bail!("that is not this election's id; nothing was deleted");
    }
    if ask("This cannot be undone. Type DELETE to delete the personal data now: ")? != "DELETE" {
        anyhow::bail!("not confirmed; nothing was deleted");
    }
    let done = ops::purge::purge(&mut c, &plan.election, actor, window_days, now())?;
    println!(
        "Deleted the personal data of election {}: {} members, {} delivery records, {} roll uploads. \
         Its record is unchanged.",
        done.election_id, done.members, done.deliveries, done.roll_uploads
    );
    Ok(())
}

pub fn backup(g: &Global, key: &super::BackupKeyArgs, out: &Path) -> Result<()> {
    let key = key.key(g)?;
    let shown = super::shown_url(&g.database_url);
    let summary = crate::backup::backup(&g.database_url, &key, out).with_context(|| format!("backup of {shown}"))?;
    println!(
        "Backed up {shown} ({} database, schema {}, {} bytes) to {}, encrypted with the {} (key id {}).",
        summary.header.backend,
        summary.header.schema,
        summary.bytes,
        out.display(),
        summary.header.key.replace('-', " "),
        summary.header.key_id
    );
    println!(
        "Keep it as secret as the database itself. Restore it with `teller restore {}` into a new database.",
        out.display()
    );
    Ok(())
}

pub fn restore(g: &Global, key: &super::BackupKeyArgs, file: &Path) -> Result<()> {
    let header = crate::backup::inspect(file)?;
    let key = key.key(g)?;
    let shown = super::shown_url(&g.database_url);
    let summary =
        crate::backup::restore(file, &key, &g.database_url).with_context(|| format!("restore into {shown}"))?;
    println!(
        "Restored {} ({} bytes, made {} by Teller {}) into {shown}; its schema is up to date.",
        file.display(),
        summary.bytes,
        header.created_at,
        header.teller_version
    );
    let mut c = conn(g)?;
    for r in elections::list(&mut c)? {
        println!("  {}  {:<9}  {}", r.id, r.state, r.title);
    }
    println!("Ballots cast after the backup was made are not in it. Start `teller serve` on this database to go on.");
    Ok(())
}

pub fn secret(cmd: SecretCommand) -> Result<()> {
    match cmd {
        SecretCommand::New { file } => {
            MasterSecret::generate_file(&file)?;
            println!(
                "Wrote a new secret to {} (mode 600). Use it as the master secret (--master-secret-file) or as a \
                 backup key (--backup-key-file), and keep a copy somewhere safe: without the master secret, \
                 elections' keys cannot be used; without a backup key, its backups cannot be read.",
                file.display()
            );
        }
    }
    Ok(())
}

/// The election's witnesses and their progress, one line each.
fn print_witnesses(c: &mut crate::db::AnyConnection, id: &str) -> Result<()> {
    let (list, quorum) = ops::witnesses::statuses(c, id)?;
    if list.is_empty() {
        println!("Election {id} names no witnesses: only its own key vouches for its log.");
        return Ok(());
    }
    println!(
        "Election {id}: {} must co-sign each checkpoint.",
        crate::text::count(u64::from(quorum), "witness", "witnesses")
    );
    for w in list {
        let key = teller_audit::cosignature::WitnessKey {
            name: w.witness.name.clone(),
            key: w.witness.key.0,
        };
        let progress = match (w.cosigned_size, &w.last_error) {
            (0, None) => "not yet asked".to_string(),
            (0, Some(e)) => format!("nothing co-signed yet; last error: {e}"),
            (n, None) => format!("co-signed up to {n} entries"),
            (n, Some(e)) => format!("co-signed up to {n} entries; last error: {e}"),
        };
        println!("  {}  {}  {progress}", key.vkey(), w.witness.url);
    }
    Ok(())
}
