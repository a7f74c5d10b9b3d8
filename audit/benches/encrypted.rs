//! Encrypted-ballot benchmarks (FORMAT.md §14–§15) on
//! the example election of `audit/conformance/encrypted-vectors.json` (the
//! demo's board election, treasurer's write-ins off: 12 options in 3
//! contests):
//!
//! - encrypting and proving the example ballot (what the no-JavaScript path
//!   does on the server, and the Rust side of the browser's work);
//! - the server's check of one cast (§15.7, budget ≤ 2 ms CPU): strict
//!   reading with every element decoded, the proofs unbatched and batched,
//!   and the whole check from the posted bytes to the tracker.
//!
//! Run: `cargo bench -p teller-audit --bench encrypted [-- FILTER]`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use serde_json::Value;
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::Definition;
use teller_audit::encrypted::ballot::{BallotShape, Encrypter};
use teller_audit::encrypted::batch::Bases;
use teller_audit::encrypted::cast::{read_ballot, CastContext, EmptyStore};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::group::{random_scalar, Element, OsRandom};
use teller_audit::encrypted::proofs::SelectionStatement;

const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

struct Fixture {
    shape: BallotShape,
    key: EncryptionKey,
    bases: Bases,
    fp: Digest,
    choices: BTreeMap<String, Vec<String>>,
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/encrypted-vectors.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("the vectors file")).expect("JSON");
    let example = vectors["encrypted-ballot"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == "example"))
        .expect("the example ballot");
    let definition: Definition = serde_json::from_value(example["definition"].clone()).expect("a definition");
    let h = Element::from_hex(example["fingerprint_input"]["joint_key"].as_str().expect("hex")).expect("h");
    Fixture {
        shape: BallotShape::of(&definition).expect("encryptable"),
        key: EncryptionKey::new(h).expect("not the identity"),
        bases: Bases::new(&h),
        fp: Digest::from_hex(example["fingerprint"].as_str().expect("hex")).expect("fp"),
        choices: serde_json::from_value(example["choices"].clone()).expect("choices"),
    }
}

fn bench_encrypted(c: &mut Criterion) {
    let f = fixture();
    let encrypter = Encrypter {
        election: ELECTION,
        fingerprint: f.fp,
        key: &f.key,
        shape: &f.shape,
    };
    let context = CastContext {
        election: ELECTION,
        fingerprint: f.fp,
        shape: &f.shape,
        bases: &f.bases,
    };
    let (ballot, _) = encrypter
        .encrypt(&f.choices, Weight::ONE, &mut OsRandom)
        .expect("valid choices");
    let bytes = ballot.canonical_bytes();
    let options: usize = f.shape.contests.iter().map(|c| c.options.len()).sum();
    eprintln!(
        "example ballot: {} contests, {options} options, {} bytes of canonical JSON, {} alphas",
        f.shape.contests.len(),
        bytes.len(),
        ballot.alphas().len()
    );

    c.bench_function("encrypted/encrypt_and_prove/example", |b| {
        b.iter(|| encrypter.encrypt(black_box(&f.choices), Weight::ONE, &mut OsRandom))
    });

    let r = random_scalar(&mut OsRandom);
    let ciphertext = f.key.encrypt(1, &r);
    let statement = SelectionStatement {
        fingerprint: &f.fp,
        nonce: &ballot.nonce,
        contest: "directors",
        option: "amara-okafor",
        max: 1,
        ciphertext: &ciphertext,
    };
    c.bench_function("encrypted/encrypt_and_prove/one-0-1-option", |b| {
        b.iter(|| {
            let ct = f.key.encrypt(1, black_box(&r));
            black_box(ct);
            statement.prove(&f.key, 1, &r, &mut OsRandom)
        })
    });

    c.bench_function("encrypted/cast/read", |b| b.iter(|| read_ballot(black_box(&bytes))));
    c.bench_function("encrypted/cast/proofs-unbatched", |b| {
        b.iter(|| context.check_proofs_unbatched(black_box(&ballot)))
    });
    c.bench_function("encrypted/cast/proofs-batched", |b| {
        b.iter(|| context.check_proofs(black_box(&ballot), &mut OsRandom))
    });
    c.bench_function("encrypted/cast/tracker", |b| b.iter(|| black_box(&ballot).tracker()));
    // What the server does per cast when casts arrive together
    // (`web::proof_batch`): each ballot's own checks and equations, then
    // one multiscalar multiplication for BATCH ballots. Reported per
    // ballot: the time of one batch divided by BATCH.
    const BATCH: usize = 32;
    let many: Vec<Vec<u8>> = (0..BATCH)
        .map(|_| {
            let (b, _) = encrypter
                .encrypt(&f.choices, Weight::ONE, &mut OsRandom)
                .expect("valid choices");
            b.canonical_bytes()
        })
        .collect();
    c.bench_function("encrypted/cast/equations", |b| {
        b.iter(|| context.ballot_equations(black_box(&ballot)))
    });
    let batched_check = |per_ballot: &mut dyn FnMut() -> u64| {
        let start = per_ballot();
        let mut batch = teller_audit::encrypted::batch::Batch::new(&f.bases);
        for (i, bytes) in many.iter().enumerate() {
            let ballot = read_ballot(black_box(bytes)).expect("reads");
            context.check_ballot(&ballot, Weight::ONE).expect("checks");
            batch.push(i, context.ballot_equations(&ballot).expect("equations"));
            black_box(ballot.tracker());
        }
        batch.verify(&mut OsRandom).expect("all hold");
        (per_ballot() - start) / BATCH as u64
    };
    c.bench_function("encrypted/cast/whole-check-in-batches-of-32-per-ballot", |b| {
        b.iter_custom(|iters| {
            let mut clock = {
                let t0 = std::time::Instant::now();
                move || t0.elapsed().as_nanos() as u64
            };
            std::time::Duration::from_nanos((0..iters).map(|_| batched_check(&mut clock)).sum())
        })
    });
    if thread_cpu_ns().is_some() {
        c.bench_function("encrypted/cast/whole-check-in-batches-of-32-per-ballot-cpu", |b| {
            b.iter_custom(|iters| {
                let mut clock = || thread_cpu_ns().unwrap_or(0);
                std::time::Duration::from_nanos((0..iters).map(|_| batched_check(&mut clock)).sum())
            })
        });
    }
    let whole_check = || {
        let ballot = read_ballot(black_box(&bytes)).expect("reads");
        context.check_cast(&ballot, Weight::ONE, &EmptyStore, &mut OsRandom)
    };
    c.bench_function("encrypted/cast/whole-check", |b| b.iter(whole_check));
    // The same, timed by this thread's CPU time (Linux's schedstat), which
    // other jobs on a shared machine disturb far less than wall time.
    if thread_cpu_ns().is_some() {
        c.bench_function("encrypted/cast/whole-check-cpu", |b| {
            b.iter_custom(|iters| {
                let start = thread_cpu_ns().unwrap_or(0);
                for _ in 0..iters {
                    black_box(whole_check()).expect("the example ballot may be cast");
                }
                std::time::Duration::from_nanos(thread_cpu_ns().unwrap_or(0).saturating_sub(start))
            })
        });
    }
}

/// Nanoseconds this thread has run on a CPU (Linux), or `None`.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

criterion_group!(benches, bench_encrypted);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
