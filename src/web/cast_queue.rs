//! Group commit for casts: prepared casts that arrive together are committed
//! in one transaction and made durable by one commit.
//! A worker takes whatever is waiting, up to a batch limit; while it
//! commits, the next batch gathers. Nobody is told their ballot is cast
//! before the commit that holds it has returned. Once it has, the batch's
//! receipts are signed together (the election key opened once per batch) on
//! the blocking pool, while the worker commits the next batch.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use teller_audit::receipt::Receipt;

use crate::db::{self, DbError, DbPool};
use crate::ops::cast::{commit_batch, sign_batch, Prepared};
use crate::ops::OpError;
use crate::secrets::MasterSecret;

/// Requests waiting beyond this many are refused as "busy, retry".
const MAX_WAITING: usize = 20_000;
/// A cast not committed within this long is refused, not committed later:
/// well inside the request timeout, so a voter is never told "timed out"
/// about a ballot that is then cast after all.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(15);

struct Job {
    prepared: Prepared,
    reply: oneshot::Sender<Result<Receipt, OpError>>,
    deadline: std::time::Instant,
}

/// The queue in front of the cast workers.
#[derive(Clone)]
pub struct CastQueue {
    tx: SyncSender<Job>,
}

impl CastQueue {
    /// Start `workers` threads casting batches of at most `max_batch`,
    /// signing receipts with `secret`.
    pub fn start(pool: DbPool, secret: Arc<MasterSecret>, workers: usize, max_batch: usize) -> Self {
        let (tx, rx) = sync_channel::<Job>(MAX_WAITING);
        let rx = Arc::new(Mutex::new(rx));
        // Signing runs on the runtime's blocking pool when there is one.
        let runtime = tokio::runtime::Handle::try_current().ok();
        for i in 0..workers.max(1) {
            let (pool, rx, secret, runtime) = (pool.clone(), rx.clone(), secret.clone(), runtime.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("teller-cast-{i}"))
                .spawn(move || work(&pool, &secret, runtime.as_ref(), &rx, max_batch.max(1)));
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

fn work(
    pool: &DbPool,
    secret: &Arc<MasterSecret>,
    runtime: Option<&tokio::runtime::Handle>,
    rx: &Mutex<Receiver<Job>>,
    max_batch: usize,
) {
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
        let (prepared, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|j| (j.prepared, j.reply)).unzip();
        let outcome = db::get(pool)
            .map_err(OpError::from)
            .and_then(|mut conn| commit_batch(&mut conn, prepared, crate::time::now()));
        match outcome {
            Ok(results) => {
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
                if to_sign.is_empty() {
                    continue;
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
            Err(e) => {
                tracing::error!(error = %e, ballots = replies.len(), "a batch of casts failed; nothing in it was cast");
                for reply in replies {
                    let _ = reply.send(Err(busy("the database could not store the ballot")));
                }
            }
        }
    }
}
