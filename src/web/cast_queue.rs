//! Group commit for casts: prepared casts that arrive together are committed
//! in one transaction and made durable by one commit.
//! A worker takes whatever is waiting, up to a batch limit; while it
//! commits, the next batch gathers. Nobody is told their ballot is cast
//! before the commit that holds it has returned. Once it has, the batch's
//! receipts are signed together (the election key opened once per batch) on
//! the blocking pool, while the worker commits the next batch.
//!
//! A batch whose transaction fails may still have been committed (the
//! connection can drop during COMMIT). Its casts are not answered "nothing
//! was cast" on a guess: each is looked up afterwards ([`find_stored`]) and
//! answered with its receipt if its ballot is there, `503` if it is not, and
//! "outcome unknown" only if the database cannot be asked before
//! [`RESOLVE_BY`] has passed since the cast arrived.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use teller_audit::receipt::Receipt;

use crate::db::{self, DbError, DbPool};
use crate::ops::cast::{commit_batch, find_stored, sign_batch, Prepared, Unsigned};
use crate::ops::OpError;
use crate::secrets::MasterSecret;

/// Requests waiting beyond this many are refused as "busy, retry".
const MAX_WAITING: usize = 20_000;
/// A cast not committed within this long is refused, not committed later:
/// well inside the request timeout, so a voter is never told "timed out"
/// about a ballot that is then cast after all.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(15);
/// How long after its arrival a cast whose commit failed may wait for the
/// database to say whether it was stored: inside the request timeout (30 s).
pub const RESOLVE_BY: std::time::Duration = std::time::Duration::from_secs(25);

struct Job {
    prepared: Prepared,
    reply: oneshot::Sender<Result<Receipt, OpError>>,
    deadline: std::time::Instant,
}

type Reply = oneshot::Sender<Result<Receipt, OpError>>;

/// The queue in front of the cast workers.
#[derive(Clone)]
pub struct CastQueue {
    tx: SyncSender<Job>,
}

impl CastQueue {
    /// Start `workers` threads casting batches of at most `max_batch`,
    /// signing receipts with `secret`.
    pub fn start(
        pool: DbPool,
        secret: Arc<MasterSecret>,
        workers: usize,
        max_batch: usize,
        metrics: Arc<super::metrics::Metrics>,
    ) -> Self {
        let (tx, rx) = sync_channel::<Job>(MAX_WAITING);
        let rx = Arc::new(Mutex::new(rx));
        // Signing runs on the runtime's blocking pool when there is one.
        let runtime = tokio::runtime::Handle::try_current().ok();
        for i in 0..workers.max(1) {
            let (pool, rx, secret, runtime) = (pool.clone(), rx.clone(), secret.clone(), runtime.clone());
            let metrics = metrics.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("teller-cast-{i}"))
                .spawn(move || work(&pool, &secret, runtime.as_ref(), &rx, max_batch.max(1), &metrics));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a cast worker");
            }
        }
        CastQueue { tx }
    }

    /// Commit a prepared cast, waiting until it is durable (or refused), and
    /// return its signed receipt.
    pub async fn commit(&self, prepared: Prepared) -> Result<Receipt, OpError> {
        let (reply, answer) = oneshot::channel();
        let deadline = std::time::Instant::now() + DEADLINE;
        match self.tx.try_send(Job {
            prepared,
            reply,
            deadline,
        }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(busy("too many ballots are waiting")),
            Err(TrySendError::Disconnected(_)) => return Err(busy("the cast workers have stopped")),
        }
        answer.await.unwrap_or_else(|_| Err(busy("the cast worker stopped")))
    }
}

fn busy(why: &str) -> OpError {
    OpError::Db(DbError::Connect(why.to_string()))
}

/// The cast worker keeps one connection of a pool at least this large
/// between batches (SQLite only), with a larger page cache; a smaller pool
/// is left all its connections.
const KEEP_FROM_POOL_SIZE: u32 = 4;

/// The cast worker's connection: kept between batches (with its wider page
/// cache) where the pool can spare it, else taken and returned per batch.
struct Writer {
    kept: Option<db::DbConn>,
    /// Whether to keep it: SQLite and a pool of at least
    /// [`KEEP_FROM_POOL_SIZE`], known from the first connection taken.
    keep: bool,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            kept: None,
            keep: false,
        }
    }

    fn take(&mut self, pool: &DbPool) -> Result<db::DbConn, DbError> {
        if let Some(conn) = self.kept.take() {
            return Ok(conn);
        }
        let mut conn = db::get(pool)?;
        self.keep = pool.max_size() >= KEEP_FROM_POOL_SIZE && matches!(&mut *conn, db::AnyConnection::Sqlite(_));
        if self.keep {
            if let Err(e) = db::writer_cache(&mut conn, true) {
                tracing::warn!(error = %e, "the cast worker's connection keeps SQLite's default page cache");
            }
        }
        Ok(conn)
    }

    /// After a batch that committed: keep the connection for the next.
    fn put_back(&mut self, conn: db::DbConn) {
        if self.keep {
            self.kept = Some(conn);
        }
    }

    /// After a batch that failed: return the connection to the pool with
    /// the default page cache (best effort: it may be broken).
    fn give_up(&mut self, mut conn: db::DbConn) {
        if self.keep {
            let _ = db::writer_cache(&mut conn, false);
        }
    }
}

fn work(
    pool: &DbPool,
    secret: &Arc<MasterSecret>,
    runtime: Option<&tokio::runtime::Handle>,
    rx: &Mutex<Receiver<Job>>,
    max_batch: usize,
    metrics: &super::metrics::Metrics,
) {
    let mut writer = Writer::new();
    loop {
        let batch = {
            // A worker that panicked cannot leave the queue unusable.
            let rx = rx.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let Ok(first) = rx.recv() else {
                return; // every sender is gone: the server is stopping
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        // Drop casts whose voter has gone, and refuse those past their
        // deadline: neither may be committed now.
        let now = std::time::Instant::now();
        let batch: Vec<Job> = batch
            .into_iter()
            .filter_map(|j| {
                if j.reply.is_closed() {
                    None
                } else if now > j.deadline {
                    let _ = j
                        .reply
                        .send(Err(busy("the database did not answer in time; nothing was cast")));
                    None
                } else {
                    Some(j)
                }
            })
            .collect();
        if batch.is_empty() {
            continue;
        }
        let give_up_at = batch
            .iter()
            .map(|j| j.deadline - DEADLINE + RESOLVE_BY)
            .min()
            .unwrap_or_else(|| now + RESOLVE_BY);
        let (prepared, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|j| (j.prepared, j.reply)).unzip();
        let mut conn = match writer.take(pool) {
            Ok(conn) => conn,
            Err(e) => {
                // Nothing was attempted: nothing was cast.
                tracing::error!(error = %e, ballots = replies.len(), "no connection for a batch of casts; nothing in it was cast");
                for reply in replies {
                    let _ = reply.send(Err(busy("the database could not store the ballot")));
                }
                continue;
            }
        };
        match commit_batch(&mut conn, prepared.clone(), crate::time::now()) {
            Ok(results) => {
                writer.put_back(conn);
                metrics.batch(results.len());
                let mut to_sign = Vec::with_capacity(results.len());
                let mut waiting = Vec::with_capacity(results.len());
                for (reply, result) in replies.into_iter().zip(results) {
                    match result {
                        Ok(unsigned) => {
                            to_sign.push(unsigned);
                            waiting.push(reply);
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
                sign_and_answer(secret, runtime, to_sign, waiting);
            }
            Err(e) => {
                writer.give_up(conn);
                tracing::warn!(error = %e, ballots = replies.len(), "a batch of casts failed; finding out which of its ballots were stored");
                let (pool, secret) = (pool.clone(), secret.clone());
                let unknown: Vec<(Prepared, Reply)> = prepared.into_iter().zip(replies).collect();
                let resolve = move || resolve(&pool, &secret, unknown, give_up_at);
                match runtime {
                    Some(rt) => {
                        rt.spawn_blocking(resolve);
                    }
                    None => resolve(),
                }
            }
        }
    }
}

/// Sign committed receipts on the blocking pool (or here) and answer.
fn sign_and_answer(
    secret: &Arc<MasterSecret>,
    runtime: Option<&tokio::runtime::Handle>,
    to_sign: Vec<Unsigned>,
    waiting: Vec<Reply>,
) {
    if to_sign.is_empty() {
        return;
    }
    let secret = secret.clone();
    let sign = move || {
        for (reply, receipt) in waiting.into_iter().zip(sign_batch(&secret, to_sign)) {
            let _ = reply.send(receipt);
        }
    };
    match runtime {
        Some(rt) => {
            rt.spawn_blocking(sign);
        }
        None => sign(),
    }
}

/// Find out, for each cast of a failed batch, whether its ballot was stored:
/// answer the stored ones with their receipt and the others "nothing was
/// cast". While the database cannot be asked, retry with a growing pause
/// until `give_up_at`; casts still unresolved then are answered
/// [`OpError::OutcomeUnknown`], never "nothing was cast".
fn resolve(
    pool: &DbPool,
    secret: &Arc<MasterSecret>,
    mut unknown: Vec<(Prepared, Reply)>,
    give_up_at: std::time::Instant,
) {
    let mut pause = std::time::Duration::from_millis(100);
    let (mut stored, mut not_stored) = (0usize, 0usize);
    loop {
        let mut still = Vec::new();
        let mut to_sign = Vec::new();
        let mut waiting = Vec::new();
        match db::get(pool) {
            Ok(mut conn) => {
                for (p, reply) in unknown {
                    match find_stored(&mut conn, &p, crate::time::now()) {
                        Ok(Some(unsigned)) => {
                            stored += 1;
                            to_sign.push(unsigned);
                            waiting.push(reply);
                        }
                        Ok(None) => {
                            not_stored += 1;
                            let _ = reply.send(Err(busy("the database could not store the ballot; nothing was cast")));
                        }
                        Err(_) => still.push((p, reply)),
                    }
                }
            }
            Err(_) => still = unknown,
        }
        for (reply, receipt) in waiting.into_iter().zip(sign_batch(secret, to_sign)) {
            let _ = reply.send(receipt);
        }
        if still.is_empty() {
            tracing::warn!(
                stored,
                not_stored,
                "a failed batch of casts was resolved: stored ballots were answered with their receipts"
            );
            return;
        }
        if std::time::Instant::now() + pause > give_up_at {
            tracing::error!(
                unresolved = still.len(),
                stored,
                not_stored,
                "the database could not be asked whether casts of a failed batch were stored"
            );
            for (_, reply) in still {
                let _ = reply.send(Err(OpError::OutcomeUnknown));
            }
            return;
        }
        unknown = still;
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_secs(2));
    }
}
