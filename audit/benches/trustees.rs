//! The tally under encryption (FORMAT.md §16.6–§16.8)
//! for 100,000 ballots of the example election (12 options in 3 contests:
//! 15 ciphertexts, 30 points a ballot), against issue 13's target of under
//! 10 s for aggregation and decryption with `K` trustees' shares.
//!
//! Phases, each timed on its own (the median of three runs):
//!
//! 1. **decode**: the 3,000,000 received point encodings decoded and
//!    checked (RFC 9496), on two threads — what reading the ballots costs
//!    whoever aggregates them from storage;
//! 2. **aggregate**: the decoded ciphertexts multiplied per weight, then
//!    one multiscalar multiplication per target (18 targets), on two
//!    threads;
//! 3. **decrypt**: two of three trustees' partial decryptions with their
//!    proofs, the server's check of both, and the combination with the
//!    bounded discrete log.
//!
//! Then two worst cases: every ballot with its own weight (no grouping
//! helps), and the largest discrete-log table (bound 2^44, §16.8).
//!
//! Run: `cargo bench -p teller-audit --bench trustees`. Ciphertexts are
//! synthetic but valid: `Enc(m; r)` with `r` stepping by a fixed scalar,
//! computed by additions and encoded in batches, so building them is quick.

use std::time::{Duration, Instant};

use curve25519_dalek::ristretto::RistrettoPoint;
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::{Candidate, Contest, Definition, Method, Threshold};
use teller_audit::encrypted::ballot::BallotShape;
use teller_audit::encrypted::elgamal::RawCiphertext;
use teller_audit::encrypted::group::{g_pow, int, Element, OsRandom, Scalar};
use teller_audit::trustees::board::{Board, Outcome};
use teller_audit::trustees::ceremony::{self, KeyShare, Polynomial, TrusteeSecret};
use teller_audit::trustees::decrypt::{check_partial, combine, partial_decrypt, Aggregate, Aggregator};
use teller_audit::trustees::dlog::{DlogTable, MAX_BOUND};
use teller_audit::trustees::Parameters;

const BALLOTS: usize = 100_000;
const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

fn example() -> Definition {
    let candidates = |names: &[&str]| {
        names
            .iter()
            .map(|n| Candidate {
                id: n.to_lowercase().replace(' ', "-"),
                name: n.to_string(),
                statement: String::new(),
            })
            .collect()
    };
    let plurality = Method::Plurality {
        majority_required: false,
        write_ins: false,
    };
    let contest = |id: &str, seats, method, names: &[&str]| Contest {
        id: id.into(),
        title: id.into(),
        description: String::new(),
        seats,
        candidates: candidates(names),
        method,
    };
    Definition {
        title: "Example".into(),
        description: String::new(),
        contests: vec![
            contest(
                "directors",
                3,
                plurality.clone(),
                &[
                    "Amara Okafor",
                    "Daniel Brooks",
                    "Mei-Ling Chen",
                    "Rosa Delgado",
                    "Tomasz Nowak",
                    "Priya Raman",
                    "Samuel Adeyemi",
                ],
            ),
            contest("treasurer", 1, plurality, &["Grace Whitfield", "Omar Haddad"]),
            contest(
                "bylaw-amendment-7",
                1,
                Method::Referendum {
                    threshold: Threshold::TWO_THIRDS,
                },
                &[],
            ),
        ],
    }
}

/// Three trustees, `K = 2`, in memory.
fn ceremony() -> (Outcome, Vec<(TrusteeSecret, KeyShare)>) {
    let params = Parameters::new(ELECTION, 2, vec!["A".into(), "B".into(), "C".into()]).expect("valid parameters");
    let mut board = Board::new(params);
    let secrets: Vec<TrusteeSecret> = (1..=3)
        .map(|j| TrusteeSecret::generate(ELECTION, j, ["A", "B", "C"][j as usize - 1], &mut OsRandom))
        .collect();
    for s in &secrets {
        board.post(&s.register(&mut OsRandom)).expect("register");
    }
    let polys: Vec<Polynomial> = (0..3).map(|_| Polynomial::draw(1, 2, &mut OsRandom)).collect();
    for (s, p) in secrets.iter().zip(&polys) {
        board
            .post(&ceremony::commit(s, &board, p).expect("commit"))
            .expect("commit");
    }
    for (s, p) in secrets.iter().zip(&polys) {
        board
            .post(&ceremony::deal(s, &board, p, &mut OsRandom).expect("deal"))
            .expect("deal");
    }
    for s in &secrets {
        board
            .post(&ceremony::check(s, &board, &mut OsRandom).expect("check").0)
            .expect("check");
    }
    let mut shares = Vec::new();
    for (s, p) in secrets.into_iter().zip(&polys) {
        let (share, e) = ceremony::finish(&s, &board, p, &mut OsRandom).expect("finish");
        board.post(&e).expect("finish");
        shares.push((s, share));
    }
    (board.outcome().expect("complete").clone(), shares)
}

/// A small deterministic generator for the ballots' marks.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Per ballot, the counts of its 15 ciphertexts (options then indicator,
/// per contest), valid for the example's limits.
fn marks(rng: &mut XorShift) -> Vec<u64> {
    let mut out = Vec::with_capacity(15);
    for (options, limit) in [(7u64, 3u64), (2, 1), (3, 1)] {
        let mut m = vec![0u64; options as usize];
        for _ in 0..rng.next(limit + 1) {
            m[rng.next(options) as usize] = 1;
        }
        let any = u64::from(m.iter().any(|&x| x > 0));
        out.extend(m);
        out.push(any);
    }
    out
}

/// The encodings of `ballots` ballots' ciphertexts under `h`, with their
/// marks. `Enc(m; r_n)` with `r_n = r_0 + n·δ`: each ciphertext is a few
/// additions from the last; points are kept halved so that
/// `double_and_compress_batch` encodes them with one shared inversion.
fn encoded_ballots(h: &Element, ballots: usize, seed: u64) -> (Vec<[u8; 32]>, Vec<Vec<u64>>) {
    let half = int(2).invert();
    let (r0, delta) = (Scalar::from(seed) * int(7919) + int(1), int(1_000_003));
    let mut alpha = g_pow(&(r0 * half));
    let mut mask = h.point() * (r0 * half);
    let (step_g, step_h, half_g) = (g_pow(&(delta * half)), h.point() * (delta * half), g_pow(&half));
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d ^ seed);
    let mut all_marks = Vec::with_capacity(ballots);
    let mut encodings = Vec::with_capacity(ballots * 30);
    let mut batch: Vec<RistrettoPoint> = Vec::with_capacity(4096);
    for _ in 0..ballots {
        let m = marks(&mut rng);
        for &count in &m {
            batch.push(alpha);
            batch.push(if count == 1 { mask + half_g } else { mask });
            alpha += step_g;
            mask += step_h;
        }
        all_marks.push(m);
        if batch.len() >= 4000 {
            encodings.extend(
                RistrettoPoint::double_and_compress_batch(&batch)
                    .iter()
                    .map(|c| c.to_bytes()),
            );
            batch.clear();
        }
    }
    encodings.extend(
        RistrettoPoint::double_and_compress_batch(&batch)
            .iter()
            .map(|c| c.to_bytes()),
    );
    (encodings, all_marks)
}

/// Decode every encoding (RFC 9496, refusing any invalid one) on two
/// threads, into each ballot's ciphertexts.
fn decode(encodings: &[[u8; 32]]) -> Vec<Vec<RawCiphertext>> {
    let per_ballot = 30;
    let ballots = encodings.len() / per_ballot;
    let half = ballots.div_ceil(2) * per_ballot;
    std::thread::scope(|scope| {
        let parts: Vec<_> = encodings
            .chunks(half.max(per_ballot))
            .map(|part| {
                scope.spawn(move || {
                    part.chunks(per_ballot)
                        .map(|b| {
                            b.chunks(2)
                                .map(|pair| RawCiphertext {
                                    alpha: *Element::decode(&pair[0]).expect("a valid encoding").point(),
                                    beta: *Element::decode(&pair[1]).expect("a valid encoding").point(),
                                })
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("decoding thread"))
            .collect()
    })
}

/// Add every ballot to running products on two threads, merging the halves.
fn running_sums(
    shape: &BallotShape,
    ballots: &[Vec<RawCiphertext>],
    weights: &(dyn Fn(usize) -> Weight + Sync),
) -> Aggregator {
    let half = ballots.len().div_ceil(2).max(1);
    let parts: Vec<Aggregator> = std::thread::scope(|scope| {
        let handles: Vec<_> = ballots
            .chunks(half)
            .enumerate()
            .map(|(n, part)| {
                scope.spawn(move || {
                    let mut a = Aggregator::new(shape);
                    for (i, cts) in part.iter().enumerate() {
                        a.add(weights(n * half + i), cts).expect("the example's shape");
                    }
                    a
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("aggregating thread"))
            .collect()
    });
    let mut total = Aggregator::new(shape);
    for p in parts {
        total.merge(p);
    }
    total
}

fn decrypt(outcome: &Outcome, trustees: &[(TrusteeSecret, KeyShare)], aggregate: &Aggregate) -> Vec<u64> {
    let fp = Digest([9; 32]);
    let partials: Vec<_> = trustees[..2]
        .iter()
        .map(|(s, k)| {
            let e = partial_decrypt(s, k, &fp, aggregate, &mut OsRandom);
            check_partial(outcome, &fp, aggregate, &e).expect("a valid partial decryption")
        })
        .collect();
    combine(outcome, aggregate, &partials).expect("combined").values
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

/// This process's CPU time (user and system, all threads), from /proc.
fn cpu() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
            Some(after.get(11)?.parse::<u64>().ok()? + after.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let shape = BallotShape::of(&example()).expect("the example can be encrypted");
    let (outcome, trustees) = ceremony();
    let (built, (encodings, marks)) = time(|| encoded_ballots(&outcome.joint_key, BALLOTS, 1));
    println!(
        "{BALLOTS} example ballots: {} point encodings built in {:.2} s",
        encodings.len(),
        built.as_secs_f64()
    );
    // Weights 1, 2, 2.5 and 0.5 in turn: d = 1, four groups.
    let w = [
        Weight::parse("1"),
        Weight::parse("2"),
        Weight::parse("2.5"),
        Weight::parse("0.5"),
    ]
    .map(|w| w.expect("weight"));
    let weights = move |i: usize| w[i % 4];
    let (mut dec, mut add, mut fin, mut dcr) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut dec_cpu = Vec::new();
    let mut result = Vec::new();
    for _ in 0..3 {
        let c0 = cpu();
        let (t1, ballots) = time(|| decode(&encodings));
        dec_cpu.push(cpu() - c0);
        let (t2, sums) = time(|| running_sums(&shape, &ballots, &weights));
        let (t3, aggregate) = time(|| sums.finish().expect("bounds fit"));
        let (t4, totals) = time(|| decrypt(&outcome, &trustees, &aggregate));
        dec.push(t1);
        add.push(t2);
        fin.push(t3);
        dcr.push(t4);
        result = totals;
    }
    // The totals are the marks', weighted.
    let expected: u64 = marks
        .iter()
        .enumerate()
        .map(|(i, m)| m[0] * (weights(i).micros() / 100_000))
        .sum();
    assert_eq!(result[0], expected, "the first option's total");
    let (d, a, f, c) = (median(dec), median(add), median(fin), median(dcr));
    println!(
        "decode 3,000,000 points (2 threads): {:.2} s wall, {:.2} s CPU",
        d.as_secs_f64(),
        median(dec_cpu).as_secs_f64()
    );
    println!(
        "add 100,000 decoded ballots to the running products (2 threads): {:.2} s",
        a.as_secs_f64()
    );
    println!("the 18 targets from the products (4 weights): {:.3} s", f.as_secs_f64());
    println!(
        "decrypt with K = 2 (2 partial decryptions with proofs, checked, combined): {:.3} s",
        c.as_secs_f64()
    );
    println!(
        "aggregation and decryption: {:.2} s from decoded ballots (products kept as ballots are cast: {:.2} s at the close); {:.2} s with decoding from storage; target < 10 s",
        (a + f + c).as_secs_f64(),
        (f + c).as_secs_f64(),
        (d + a + f + c).as_secs_f64()
    );

    // Worst case for grouping: every ballot its own weight.
    let distinct = |i: usize| Weight::from_micros(1_000_000 + i as u64 * 10).expect("weight");
    let ballots = decode(&encodings);
    let sums = running_sums(&shape, &ballots, &distinct);
    let (t, aggregate) = time(|| sums.finish().expect("bounds fit"));
    println!(
        "the targets with {BALLOTS} distinct weights (d = 5): {:.2} s; largest bound {}",
        t.as_secs_f64(),
        aggregate.max_bound()
    );
    let (t, _) = time(|| decrypt(&outcome, &trustees, &aggregate));
    println!("decrypt those totals: {:.2} s", t.as_secs_f64());
    drop(ballots);

    // The largest table §16.8 allows.
    let (t, table) = time(|| DlogTable::new(MAX_BOUND).expect("2^44 is allowed"));
    let (s, found) = time(|| table.solve(&g_pow(&int(MAX_BOUND - 12_345)), MAX_BOUND));
    assert_eq!(found, Some(MAX_BOUND - 12_345));
    println!(
        "discrete-log table for bound 2^44 ({} entries): built in {:.2} s; a value near the bound found in {:.2} s",
        table.width(),
        t.as_secs_f64(),
        s.as_secs_f64()
    );
    println!("peak memory (VmHWM): {}", peak_memory());
}
