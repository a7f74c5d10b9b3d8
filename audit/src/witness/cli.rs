//! `teller-audit witness keygen` and `teller-audit witness serve`
//! (docs/WITNESS.md).

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};

use super::server::{serve, Limits};
use super::state::StateDir;
use super::{logs, Witness};
use crate::cosignature::WitnessKey;
use crate::note::is_key_name;

/// The `format` of a witness key file.
pub const WITNESS_KEY_FORMAT: &str = "teller-witness-key/1";

/// Run an independent witness of Teller's logs.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum WitnessCommand {
    /// Make the witness's key pair. The private key stays in FILE
    /// (readable only by you); give the verifier key it prints to the
    /// services whose logs you witness.
    Keygen {
        /// The witness's name, a schema-less URL such as witness.example.org/w1.
        #[arg(long)]
        name: String,
        /// Where to keep the private key (must not exist yet).
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve the witness: cosign each log's checkpoints that extend the
    /// last one it cosigned (c2sp.org/tlog-witness).
    Serve {
        /// The private key file (from `witness keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The logs witnessed: one log verifier key per line.
        #[arg(long)]
        logs: PathBuf,
        /// Where the witness remembers each log's latest checkpoint. Back it up.
        #[arg(long)]
        state: PathBuf,
        /// The address to listen on, such as 127.0.0.1:7380.
        #[arg(long)]
        listen: SocketAddr,
    },
}

/// A witness's key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    name: String,
    vkey: String,
    private_key_pkcs8: String,
}

/// Run a witness command; `Err` is a message for the operator.
pub fn run(command: &WitnessCommand) -> Result<(), String> {
    match command {
        WitnessCommand::Keygen { name, out } => keygen(name, out),
        WitnessCommand::Serve {
            key,
            logs,
            state,
            listen,
        } => run_server(key, logs, state, *listen),
    }
}

/// `witness keygen`: a new key in a new owner-only file; print the vkey.
fn keygen(name: &str, out: &Path) -> Result<(), String> {
    let vkey = new_key_file(name, out)?;
    println!("Wrote the witness's private key to {} (keep it safe).", out.display());
    println!("Verifier key (give it to the logs you witness):");
    println!("{vkey}");
    Ok(())
}

/// Make a witness key named `name` in the new owner-only file `out` (it
/// must not exist); returns its vkey.
pub fn new_key_file(name: &str, out: &Path) -> Result<String, String> {
    if !is_key_name(name) {
        return Err(format!(
            "{name:?} cannot name a key: it must be non-empty, without spaces or plus signs"
        ));
    }
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| "the random generator failed".to_string())?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "key generation failed".to_string())?;
    let vkey = WitnessKey::of(name, &pair).vkey();
    let file = KeyFile {
        format: WITNESS_KEY_FORMAT.into(),
        name: name.into(),
        vkey: vkey.clone(),
        private_key_pkcs8: hex::encode(pkcs8.as_ref()),
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    write_private_new(out, &text)?;
    Ok(vkey)
}

/// Write `text` to `out`, a new file readable only by its owner, and flush
/// it to disk; refuses to replace a file that exists (a private key must
/// never be overwritten). Certifiers' and witnesses' keys are written so.
pub fn write_private_new(out: &Path, text: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(out)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .map_err(|e| format!("cannot create {} (it must not exist yet): {e}", out.display()))
}

/// Read a witness key file: the key pair and its name; the vkey written in
/// it must be the key's.
pub fn read_key(path: &Path) -> Result<(String, Ed25519KeyPair), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?;
    let damaged = || format!("{} is not a teller-audit witness key file", path.display());
    let file: KeyFile = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
    if file.format != WITNESS_KEY_FORMAT {
        return Err(damaged());
    }
    let pkcs8 = hex::decode(&file.private_key_pkcs8).map_err(|_| damaged())?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| damaged())?;
    if WitnessKey::of(&file.name, &pair).vkey() != file.vkey {
        return Err(format!("{}: the vkey does not match the private key", path.display()));
    }
    Ok((file.name, pair))
}

/// `witness serve`: load the key, the logs and the state, then serve until
/// interrupted (Ctrl-C or SIGTERM).
fn run_server(key: &Path, logs_file: &Path, state: &Path, listen: SocketAddr) -> Result<(), String> {
    let (name, pair) = read_key(key)?;
    let text = std::fs::read_to_string(logs_file)
        .map_err(|e| format!("cannot read the logs file {}: {e}", logs_file.display()))?;
    let logs = logs::parse(&text).map_err(|e| format!("{}: {e}", logs_file.display()))?;
    let states = StateDir::open(state).map_err(|e| e.to_string())?;
    let witness = Witness::open(&name, pair, &logs, states).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        eprintln!(
            "witness: {} listening on {listen}, witnessing {} log(s)",
            witness.key().vkey(),
            logs.len()
        );
        serve(listener, Arc::new(witness), Limits::default(), stopped())
            .await
            .map_err(|e| e.to_string())?;
        eprintln!("witness: stopped");
        Ok(())
    })
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
