//! `teller-audit trustee keygen | share | check | finish | decrypt`: a
//! trustee's side of the key ceremony and of the decryption, on the
//! trustee's own machine (§16.1, files in §16.12).
//!
//! Each command reads the board (downloaded from Teller, or a folder of
//! messages), replays it — so every rule is re-applied here and nothing is
//! taken on the server's word — and writes the trustee's next message, to
//! upload. The trustee's secrets stay in its folder (`--dir`), in files
//! readable only by their owner and never overwritten.
//!
//! Exit status: 0 when a message was written, 1 when there is nothing to
//! do yet (the board is waiting for others; the reason is printed), 2 on
//! an error.

use std::path::{Path, PathBuf};

use super::board::{list, Board, Phase};
use super::ceremony::{self, Polynomial, TrusteeSecret};
use super::decrypt::{partial_decrypt, Aggregate, Aggregator};
use super::envelope::{Envelope, Round};
use super::files::{self, read_board, replay, BoardFile};
use super::request::{for_each_ballot, read_request_head, strict, RequestHead};
use super::TrusteeIndex;
use crate::crypto::Digest;
use crate::definition::Definition;
use crate::encrypted::ballot::{BallotShape, EncryptedBallot};
use crate::encrypted::batch::{Bases, Batch};
use crate::encrypted::cast::CastContext;
use crate::encrypted::fingerprint::FingerprintInput;
use crate::encrypted::group::{Element, OsRandom, RandomSource};

/// A trustee's commands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TrusteeCommand {
    /// Make your keys, kept in DIR (owner-only; keep it on encrypted
    /// media), and your registration message to upload.
    Keygen {
        /// The ceremony's board (file, or folder with board.json), which
        /// names the election and its trustees.
        #[arg(long)]
        board: PathBuf,
        /// Your number, as staff gave it.
        #[arg(long)]
        trustee: TrusteeIndex,
        /// Your folder of secret files (made if missing).
        #[arg(long)]
        dir: PathBuf,
        /// Where to write the message (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Round commit: draw your polynomial and commit to it. Round deal
    /// (once everyone has committed): seal each trustee's share to them.
    Share(RoundArgs),
    /// Open and check the shares sent to you; complain about any bad one.
    Check(RoundArgs),
    /// Compute your key share, the joint key and the verification keys.
    /// Keeps the key share and erases the polynomial.
    Finish(RoundArgs),
    /// After the close: check the ceremony, the ballots and the encrypted
    /// totals, then write your partial decryption of the totals.
    Decrypt {
        /// The ceremony's board.
        #[arg(long)]
        board: PathBuf,
        /// Your folder of secret files.
        #[arg(long)]
        dir: PathBuf,
        /// The decryption request Teller gives after the close (§16.12).
        #[arg(long)]
        request: PathBuf,
        /// Where to write the message (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The arguments of `share`, `check` and `finish`.
#[derive(Debug, Clone, clap::Args)]
pub struct RoundArgs {
    /// The ceremony's board (file, or folder with board.json and messages).
    #[arg(long)]
    board: PathBuf,
    /// Your folder of secret files.
    #[arg(long)]
    dir: PathBuf,
    /// Where to write the message (default: print it).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What a command did: a message written, or nothing to do yet.
enum Done {
    Wrote,
    Waiting(String),
}

/// Run a trustee command: `Ok(true)` when a message was written,
/// `Ok(false)` when there is nothing to do yet, `Err` on an error.
pub fn run(command: &TrusteeCommand) -> Result<bool, String> {
    let done = match command {
        TrusteeCommand::Keygen {
            board,
            trustee,
            dir,
            out,
        } => keygen(board, *trustee, dir, out.as_deref(), &mut OsRandom)?,
        TrusteeCommand::Share(args) => share(args, &mut OsRandom)?,
        TrusteeCommand::Check(args) => check(args, &mut OsRandom)?,
        TrusteeCommand::Finish(args) => finish(args, &mut OsRandom)?,
        TrusteeCommand::Decrypt {
            board,
            dir,
            request,
            out,
        } => decrypt(board, dir, request, out.as_deref(), &mut OsRandom)?,
    };
    match done {
        Done::Wrote => Ok(true),
        Done::Waiting(why) => {
            eprintln!("Nothing to do yet: {why}");
            Ok(false)
        }
    }
}

/// Write a message as its canonical JSON (to `out`, or standard output).
fn emit(message: &Envelope, out: Option<&Path>) -> Result<Done, String> {
    let mut text = message.canonical_bytes();
    text.push(b'\n');
    match out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "Wrote your {} message to {} (digest {}). Upload it to Teller.",
                message.round,
                path.display(),
                message.digest()
            );
        }
        None => print!("{}", String::from_utf8_lossy(&text)),
    }
    Ok(Done::Wrote)
}

/// Read and replay the board, printing what a folder held that was skipped.
fn load_board(path: &Path) -> Result<(BoardFile, Board), String> {
    let (file, lenient) = read_board(path)?;
    let replayed = replay(&file, lenient)?;
    for s in &replayed.skipped {
        eprintln!("note: skipped {s}");
    }
    Ok((file, replayed.board))
}

/// A trustee's secrets and the board, checked to belong together.
fn load(board: &Path, dir: &Path) -> Result<(TrusteeSecret, Board), String> {
    let secret = files::read_secret_file(dir)?;
    let (_, board) = load_board(board)?;
    if board.params().election() != secret.election() {
        return Err(format!(
            "the board is for election {}, your keys for election {}",
            board.params().election(),
            secret.election()
        ));
    }
    let j = secret.trustee();
    match board.registration(j) {
        Some(r) if r.signing_key == secret.signing_key() && r.encryption_key == secret.encryption_key() => {}
        Some(_) => {
            return Err(format!(
                "trustee {j} is registered on the board with other keys than those in {}",
                dir.display()
            ))
        }
        None if board.is_excluded(j) => {}
        None => {
            return Err(format!(
                "trustee {j} has not registered yet: upload your register message first"
            ))
        }
    }
    Ok((secret, board))
}

/// The board's state in a sentence, for the trustee.
fn describe(board: &Board) -> String {
    let phase = board.phase();
    match phase {
        Phase::Complete => format!("the ceremony is complete (attempt {})", board.attempt()),
        Phase::Failed => format!("the ceremony failed: {}", board.failure().unwrap_or("")),
        _ => format!(
            "attempt {}, participants {}; waiting for {} messages from trustee(s) {}",
            board.attempt(),
            list(board.participants()),
            phase.round().map_or("no", Round::name),
            list(&board.awaiting())
        ),
    }
}

/// Stop here if this trustee was excluded or is not in the attempt.
fn still_in(board: &Board, j: TrusteeIndex) -> Result<(), String> {
    if let Some(e) = board.exclusions().iter().find(|e| e.trustee == j) {
        return Err(format!("you take no further part: {e}"));
    }
    if board.phase() == Phase::Failed {
        return Err(describe(board));
    }
    Ok(())
}

fn keygen(
    board_path: &Path,
    j: TrusteeIndex,
    dir: &Path,
    out: Option<&Path>,
    rng: &mut dyn RandomSource,
) -> Result<Done, String> {
    let (_, board) = load_board(board_path)?;
    let params = board.params();
    let name = params.name(j).ok_or_else(|| {
        format!(
            "the board names trustees 1 to {}; there is no trustee {j}",
            params.trustees()
        )
    })?;
    if board.registration(j).is_some() {
        return Err(format!("trustee {j} has already registered on this board"));
    }
    still_in(&board, j)?;
    files::make_folder(dir)?;
    let secret = TrusteeSecret::generate(params.election(), j, name, rng);
    let path = files::write_secret_file(dir, &secret)?;
    eprintln!(
        "Wrote your secret keys to {} (readable only by you; keep the folder on encrypted media, and back it up).",
        path.display()
    );
    eprintln!(
        "Trustee {j} ({name}), election {}. Signing key fingerprint: {} — compare it with your fellow trustees out of band.",
        params.election(),
        secret.signing_key().fingerprint()
    );
    emit(&secret.register(rng), out)
}

fn share(args: &RoundArgs, rng: &mut dyn RandomSource) -> Result<Done, String> {
    let (secret, board) = load(&args.board, &args.dir)?;
    let j = secret.trustee();
    still_in(&board, j)?;
    let attempt = board.attempt();
    match board.phase() {
        Phase::Committing if board.has_posted(j, Round::Commit) => Ok(Done::Waiting(describe(&board))),
        Phase::Committing => {
            let polynomial = match files::read_polynomial(&args.dir, &secret, attempt)? {
                // Drawn before, but the commit was not uploaded: the same one again.
                Some(p) => p,
                None => {
                    let p = Polynomial::draw(attempt, board.params().threshold(), rng);
                    let path = files::write_polynomial(&args.dir, &secret, &p)?;
                    eprintln!(
                        "Drew your polynomial for attempt {attempt}; it is kept in {} until finish.",
                        path.display()
                    );
                    p
                }
            };
            emit(
                &ceremony::commit(&secret, &board, &polynomial).map_err(|e| e.to_string())?,
                args.out.as_deref(),
            )
        }
        Phase::Dealing if board.has_posted(j, Round::Deal) => Ok(Done::Waiting(describe(&board))),
        Phase::Dealing => {
            let polynomial = files::read_polynomial(&args.dir, &secret, attempt)?.ok_or_else(|| {
                format!(
                    "your polynomial for attempt {attempt} ({}) is missing, so you cannot deal: staff can exclude you as absent and the ceremony restarts without you",
                    files::polynomial_path(&args.dir, attempt).display()
                )
            })?;
            emit(
                &ceremony::deal(&secret, &board, &polynomial, rng).map_err(|e| e.to_string())?,
                args.out.as_deref(),
            )
        }
        Phase::Registering => Ok(Done::Waiting(format!(
            "registration is not over: waiting for trustee(s) {}",
            list(&board.awaiting())
        ))),
        _ => Ok(Done::Waiting(format!(
            "{}; share is for the commit and deal rounds",
            describe(&board)
        ))),
    }
}

fn check(args: &RoundArgs, rng: &mut dyn RandomSource) -> Result<Done, String> {
    let (secret, board) = load(&args.board, &args.dir)?;
    let j = secret.trustee();
    still_in(&board, j)?;
    if board.phase() != Phase::Checking || board.has_posted(j, Round::Check) {
        return Ok(Done::Waiting(format!(
            "{}; check is for the check round",
            describe(&board)
        )));
    }
    let (message, report) = ceremony::check(&secret, &board, rng).map_err(|e| e.to_string())?;
    if !report.good.is_empty() {
        eprintln!("Good shares from trustee(s) {}.", list(&report.good));
    }
    for (i, why) in &report.bad {
        eprintln!("BAD share from trustee {i}: {why}. Your check message complains against them, with proof.");
    }
    emit(&message, args.out.as_deref())
}

fn finish(args: &RoundArgs, rng: &mut dyn RandomSource) -> Result<Done, String> {
    let (secret, board) = load(&args.board, &args.dir)?;
    let j = secret.trustee();
    still_in(&board, j)?;
    let attempt = board.attempt();
    if board.phase() != Phase::Finishing || board.has_posted(j, Round::Finish) {
        return Ok(Done::Waiting(format!(
            "{}; finish is for the finish round",
            describe(&board)
        )));
    }
    let message = match files::read_key_share(&args.dir, &secret, attempt)? {
        // Computed before (its polynomial is erased): prove it again.
        Some(share) => ceremony::finish_message(&secret, &board, &share, rng).map_err(|e| e.to_string())?,
        None => {
            let polynomial = files::read_polynomial(&args.dir, &secret, attempt)?.ok_or_else(|| {
                format!("your polynomial for attempt {attempt} is missing: you cannot compute your key share")
            })?;
            let (share, message) = ceremony::finish(&secret, &board, &polynomial, rng).map_err(|e| e.to_string())?;
            let path = files::write_key_share(&args.dir, &share)?;
            eprintln!(
                "Wrote your key share to {} (readable only by you; keep it until the tally).",
                path.display()
            );
            message
        }
    };
    for p in files::erase_polynomials(&args.dir)? {
        eprintln!("Erased {}.", p.display());
    }
    if let Some(keys) = board.public_keys() {
        eprintln!("Joint key: {}", keys.joint_key.to_hex());
    }
    emit(&message, args.out.as_deref())
}

/// The `format` of a decryption request.
pub const REQUEST_FORMAT: &str = "teller-decryption-request/1";

fn decrypt(
    board_path: &Path,
    dir: &Path,
    request_path: &Path,
    out: Option<&Path>,
    rng: &mut dyn RandomSource,
) -> Result<Done, String> {
    let (secret, board) = load(board_path, dir)?;
    let j = secret.trustee();
    let Some(outcome) = board.outcome() else {
        return Err(format!("the ceremony is not complete: {}", describe(&board)));
    };
    let member = outcome
        .member(j)
        .ok_or_else(|| format!("trustee {j} is not a trustee of the completed ceremony"))?;
    let share = files::read_key_share(dir, &secret, outcome.attempt)?.ok_or_else(|| {
        format!(
            "your key share for attempt {} ({}) is missing",
            outcome.attempt,
            files::key_share_path(dir, outcome.attempt).display()
        )
    })?;
    if share.verification_key != member.verification_key || share.joint_key != outcome.joint_key {
        return Err("your key share is not the one the ceremony's keys give".into());
    }
    let head = read_request_head(request_path)?;
    if head.election != secret.election() {
        return Err(format!(
            "{} is not a decryption request of election {}",
            request_path.display(),
            secret.election()
        ));
    }
    let fp = fingerprint(&head.definition, &board)?;
    let recomputed = checked_aggregate(request_path, &head, &board, &fp)?;
    if let Some(n) = (0..head.aggregate.targets.len().max(recomputed.targets.len()))
        .find(|&n| head.aggregate.targets.get(n) != recomputed.targets.get(n))
    {
        return Err(format!(
            "the encrypted totals given differ from those the ballots give, at target {n}: not decrypting"
        ));
    }
    if head.aggregate.weight_decimals != recomputed.weight_decimals {
        return Err("the weight decimals given differ from those of the ballots: not decrypting".into());
    }
    eprintln!(
        "Checked {} ballot(s) and the {} encrypted totals (aggregate digest {}); election fingerprint {}.",
        head.ballots,
        recomputed.targets.len(),
        recomputed.digest(&fp),
        &fp.to_hex()[..16]
    );
    emit(&partial_decrypt(&secret, &share, &fp, &recomputed, rng), out)
}

/// The election fingerprint (§14.7) from the definition and the ceremony.
pub fn fingerprint(definition: &Definition, board: &Board) -> Result<Digest, String> {
    let outcome = board.outcome().ok_or("the ceremony is not complete")?;
    let keys: Vec<(TrusteeIndex, Element)> = outcome.verification_keys();
    Ok(FingerprintInput {
        election: &outcome.election,
        definition_hash: definition.hash(),
        threshold: outcome.threshold,
        joint_key: outcome.joint_key,
        verification_keys: &keys,
    }
    .fingerprint())
}

/// What one worker of [`checked_aggregate`] gathers.
struct Checked {
    aggregator: Aggregator,
    /// Every `alpha` seen, with its ballot's position.
    alphas: Vec<([u8; 32], u64)>,
    rng: OsRandom,
}

/// Check every ballot of the request as the server does at casting
/// (§15.7: shape, election, fingerprint, elements, proofs) and across
/// ballots (no `alpha` twice: §16.11 steps 9–11), and aggregate them
/// (§16.6), on every core; the request is read in bounded memory
/// ([`super::request`]) but for the alphas, 40 bytes each.
fn checked_aggregate(path: &Path, head: &RequestHead, board: &Board, fp: &Digest) -> Result<Aggregate, String> {
    let outcome = board.outcome().ok_or("the ceremony is not complete")?;
    let shape = BallotShape::of(&head.definition).map_err(|e| e.to_string())?;
    let bases = Bases::new(&outcome.joint_key);
    let context = CastContext {
        election: &outcome.election,
        fingerprint: *fp,
        shape: &shape,
        bases: &bases,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = for_each_ballot(
        path,
        head,
        threads,
        || Checked {
            aggregator: Aggregator::new(&shape),
            alphas: Vec::new(),
            rng: OsRandom,
        },
        |state, run| {
            // Each ballot's own checks, then the proofs of the whole run in
            // one random-weighted multiscalar multiplication (§15.6); if it
            // fails, the ballots are checked one by one, in order, to name
            // the first at fault.
            let mut ballots = Vec::with_capacity(run.len());
            let mut batch = Batch::new(&bases);
            let mut refused = None;
            for raw in run {
                let ballot: EncryptedBallot = match strict(raw.bytes, &format!("ballot {}", raw.index)) {
                    Ok(ballot) => ballot,
                    Err(e) => {
                        refused = Some((raw.index, e));
                        break;
                    }
                };
                let own = context
                    .check_ballot(&ballot, ballot.weight)
                    .and_then(|()| context.ballot_equations(&ballot));
                match own {
                    Ok(equations) => batch.push(ballots.len(), equations),
                    Err(e) => {
                        refused = Some((
                            raw.index,
                            format!("ballot {} (tracker {}): {e}", raw.index, ballot.tracker()),
                        ));
                        break;
                    }
                }
                ballots.push((raw.index, ballot));
            }
            // A ballot before the one refused may fail its proofs: the
            // lowest-numbered failure is the one to name.
            if batch.verify(&mut state.rng).is_err() {
                for (index, ballot) in &ballots {
                    context
                        .check_proofs_unbatched(ballot)
                        .map_err(|e| (*index, format!("ballot {index} (tracker {}): {e}", ballot.tracker())))?;
                }
            }
            if let Some(failure) = refused {
                return Err(failure);
            }
            for (index, ballot) in &ballots {
                for c in &ballot.contests {
                    let alphas = c.selections.iter().map(|s| &s.alpha).chain([&c.indicator.alpha]);
                    state.alphas.extend(alphas.map(|a| (*a.as_bytes(), *index)));
                }
                state
                    .aggregator
                    .add_ballot(ballot)
                    .map_err(|e| (*index, format!("ballot {index}: {e}")))?;
            }
            Ok(())
        },
    )?;
    let mut aggregator = Aggregator::new(&shape);
    let mut alphas = Vec::new();
    for w in workers {
        aggregator.merge(w.aggregator);
        alphas.extend(w.alphas);
    }
    alphas.sort_unstable();
    if let Some(pair) = alphas.windows(2).find(|p| p[0].0 == p[1].0) {
        return Err(format!(
            "ballots {} and {} hold the same alpha {} (a replayed ciphertext): not decrypting",
            pair[0].1,
            pair[1].1,
            hex::encode(pair[0].0)
        ));
    }
    aggregator.finish().map_err(|e| e.to_string())
}
