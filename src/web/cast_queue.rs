//! Group commit for casts: requests that arrive together are cast in one
//! transaction (each in its own savepoint) and made durable by one commit.
//! A worker takes whatever is waiting, up to a batch limit; while it
//! commits, the next batch gathers. Nobody is told their ballot is cast
//! before the commit that holds it has returned.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use teller_audit::receipt::Receipt;
use tokio::sync::oneshot;

use crate::db::{self, DbError, DbPool};
use crate::ops::cast::{cast_batch, CastRequest};
use crate::ops::OpError;
use crate::secrets::MasterSecret;

/// Requests waiting beyond this many are refused as "busy, retry".
const MAX_WAITING: usize = 20_000;

struct Job {
    request: CastRequest,
    reply: oneshot::Sender<Result<Receipt, OpError>>,
}

/// The queue in front of the cast workers.
#[derive(Clone)]
pub struct CastQueue {
    tx: SyncSender<Job>,
}

impl CastQueue {
    /// Start `workers` threads casting batches of at most `max_batch`.
    pub fn start(pool: DbPool, secret: Arc<MasterSecret>, workers: usize, max_batch: usize) -> Self {
        let (tx, rx) = sync_channel::<Job>(MAX_WAITING);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let (pool, secret, rx) = (pool.clone(), secret.clone(), rx.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("teller-cast-{i}"))
                .spawn(move || work(&pool, &secret, &rx, max_batch.max(1)));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a cast worker");
            }
        }
        CastQueue { tx }
    }

    /// Cast, waiting until the ballot is durable (or refused).
    pub async fn cast(&self, request: CastRequest) -> Result<Receipt, OpError> {
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(Job { request, reply }) {
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

fn work(pool: &DbPool, secret: &MasterSecret, rx: &Mutex<Receiver<Job>>, max_batch: usize) {
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
        let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|j| (j.request, j.reply)).unzip();
        let outcome = db::get(pool)
            .map_err(OpError::from)
            .and_then(|mut conn| cast_batch(&mut conn, secret, requests, crate::time::now()));
        match outcome {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
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
