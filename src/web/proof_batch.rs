//! Checking the proofs of encrypted casts that arrive together in one
//! multiscalar multiplication (audit/FORMAT.md §15.6).
//!
//! Each cast's own checks (shape, election, fingerprint, elements, every
//! proof's challenge) run on the blocking pool as before; what is left of
//! its proofs is a set of group equations. A checker thread takes whatever
//! equations are waiting, up to [`MAX_BATCH`] casts, and checks them all at
//! once, each equation multiplied by an independent random 128-bit weight
//! from the server's CSPRNG: a batch with any false equation passes with
//! probability at most 2^-128. Many ballots' points in one multiplication
//! cost less per point than one ballot's (Pippenger's method beyond a few
//! hundred points), and a cast alone is checked as before. When a batch
//! fails, each of its casts is checked on its own, so a forged ballot is
//! refused and the honest ones beside it are not.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use teller_audit::encrypted::batch::{Bases, Batch, Equations};
use teller_audit::encrypted::group::{OsRandom, RandomSource};
use tokio::sync::oneshot;

use crate::ops::encrypted::Encryption;

/// Casts checked in one multiscalar multiplication at most.
pub const MAX_BATCH: usize = 64;
/// Casts waiting beyond this many are checked on their own thread instead.
const MAX_WAITING: usize = 4_096;

/// What a batch needs of an election: `g` and `h` with their tables.
pub trait HasBases: Send + Sync {
    /// The bases the election's proofs are checked over.
    fn bases(&self) -> &Bases;
}

impl HasBases for Encryption {
    fn bases(&self) -> &Bases {
        &self.bases
    }
}

struct Job {
    encryption: Arc<dyn HasBases>,
    equations: Equations,
    reply: oneshot::Sender<bool>,
}

/// The queue in front of the checker threads.
#[derive(Clone)]
pub struct ProofBatcher {
    tx: SyncSender<Job>,
}

impl ProofBatcher {
    /// Start `threads` checker threads.
    pub fn start(threads: usize) -> ProofBatcher {
        let (tx, rx) = sync_channel::<Job>(MAX_WAITING);
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("teller-proofs-{i}"))
                .spawn(move || work(&rx));
            if let Err(e) = spawned {
                // Without checkers every cast is checked on its own.
                tracing::error!(error = %e, "cannot start a proof checker");
            }
        }
        ProofBatcher { tx }
    }

    /// Whether every equation holds (checked with the other casts waiting).
    /// `false` means at least one may not: the caller checks the ballot's
    /// proofs one by one, which names the proof at fault (and is the
    /// verdict, should a checker ever have failed).
    pub async fn holds(&self, encryption: Arc<dyn HasBases>, equations: Equations) -> bool {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            encryption,
            equations,
            reply,
        };
        match self.tx.try_send(job) {
            Ok(()) => answer.await.unwrap_or(false),
            // Too many waiting (or the checkers are gone): check it alone,
            // on the blocking pool, rather than refuse an honest ballot.
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                let _ = tokio::task::spawn_blocking(move || check(vec![job])).await;
                answer.await.unwrap_or(false)
            }
        }
    }
}

fn work(rx: &std::sync::Mutex<Receiver<Job>>) {
    loop {
        let batch = {
            let Ok(rx) = rx.lock() else { return };
            let Ok(first) = rx.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        check(batch);
    }
}

/// The batch's random weights: a ChaCha stream keyed from the operating
/// system's CSPRNG for each batch (one system call per batch, not one per
/// equation). Unpredictable to whoever made the ballots, which is all the
/// soundness of a batch needs (§15.6).
struct BatchWeights(rand::rngs::StdRng);

impl BatchWeights {
    fn new() -> BatchWeights {
        use rand::SeedableRng;
        let mut seed = [0u8; 32];
        OsRandom.fill(&mut seed);
        BatchWeights(rand::rngs::StdRng::from_seed(seed))
    }
}

impl RandomSource for BatchWeights {
    fn fill(&mut self, out: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut self.0, out);
    }
}

/// Check the jobs, one batch per election, and answer each.
fn check(mut jobs: Vec<Job>) {
    while let Some(first) = jobs.first() {
        let election = first.encryption.clone();
        let same = |j: &Job| std::ptr::addr_eq(Arc::as_ptr(&j.encryption), Arc::as_ptr(&election));
        let (mine, rest): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(same);
        jobs = rest;
        let mut batch = Batch::new(election.bases());
        let mut replies = Vec::with_capacity(mine.len());
        for (i, job) in mine.into_iter().enumerate() {
            batch.push(i, job.equations);
            replies.push(Some(job.reply));
        }
        let failing = batch.verify(&mut BatchWeights::new()).err().unwrap_or_default();
        for i in failing {
            if let Some(reply) = replies[i].take() {
                let _ = reply.send(false);
            }
        }
        for reply in replies.into_iter().flatten() {
            let _ = reply.send(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teller_audit::encrypted::batch::Equation;
    use teller_audit::encrypted::group::{g_pow, int, random_scalar, Element, Scalar};

    struct Election(Bases);
    impl HasBases for Election {
        fn bases(&self) -> &Bases {
            &self.0
        }
    }

    /// `x·g − X = 0`, false when `lie`.
    fn statement(lie: bool) -> Equations {
        let x = random_scalar(&mut OsRandom);
        let mut eqs = Equations::new();
        let big_x = eqs.point(g_pow(&x));
        let claimed = if lie { *x + Scalar::ONE } else { *x };
        eqs.push(Equation {
            g: claimed,
            h: Scalar::ZERO,
            terms: vec![(-Scalar::ONE, big_x)],
        });
        eqs
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_false_cast_among_honest_ones_is_the_only_one_refused() {
        let batcher = ProofBatcher::start(1);
        let one: Arc<dyn HasBases> = Arc::new(Election(Bases::new(&Element::from_point(g_pow(&int(7))))));
        let other: Arc<dyn HasBases> = Arc::new(Election(Bases::new(&Element::from_point(g_pow(&int(9))))));
        for round in 0..5 {
            let casts: Vec<_> = (0..40)
                .map(|i| {
                    let election = if i % 3 == 0 { &other } else { &one }.clone();
                    let batcher = batcher.clone();
                    let lie = i == 17 + round;
                    tokio::spawn(async move { (lie, batcher.holds(election, statement(lie)).await) })
                })
                .collect();
            for cast in casts {
                let (lie, held) = cast.await.unwrap();
                assert_eq!(held, !lie);
            }
        }
    }
}
