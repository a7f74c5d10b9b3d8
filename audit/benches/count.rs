//! Counting benchmarks: Scottish and Meek STV on 1,000,000 ranked ballots
//! (20 candidates, 5 seats) and approval on 1,000,000 ballots.
//!
//! Ballots are generated deterministically (splitmix64, fixed seed): skewed
//! candidate popularity (weight 1/(rank+1)), rankings of 1 to 20
//! preferences (short ones likelier), drawn without replacement by
//! popularity — so that grouping leaves hundreds of thousands of distinct
//! rankings rather than a handful. Each measured iteration starts from the
//! raw ballots in memory: validation, grouping and the count are included.
//!
//! Run: `cargo bench -p teller-audit --bench count [-- FILTER]`. After the
//! benchmarks the process prints its peak resident memory (VmHWM); filter
//! to one benchmark to measure that one alone.

use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use teller_audit::count::{
    approval, stv_meek, stv_scottish, Action, ApprovalBallots, MeekRule, Outcome, Profile, RankedBallots, TieBreaker,
    Weight,
};

const BALLOTS: usize = 1_000_000;
const CANDIDATES: usize = 20;
const SEATS: usize = 5;

/// splitmix64: tiny, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Flat raw ballots: candidate numbers (u8) with end offsets.
struct Raw {
    prefs: Vec<u8>,
    ends: Vec<u32>,
}

impl Raw {
    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(s, e)| &self.prefs[s as usize..e as usize])
    }
}

fn popularity() -> Vec<u64> {
    (0..CANDIDATES as u64).map(|i| 10_000 / (i + 1)).collect()
}

fn ranked_ballots() -> Raw {
    let mut rng = Rng(0x5EED_0000_0000_0001);
    let pop = popularity();
    let mut raw = Raw {
        prefs: Vec::with_capacity(BALLOTS * 6),
        ends: Vec::with_capacity(BALLOTS),
    };
    let mut left: Vec<(u8, u64)> = Vec::with_capacity(CANDIDATES);
    for _ in 0..BALLOTS {
        // Product of two uniforms: short rankings likelier, all of 1..=20 occur.
        let len = 1 + (rng.below(20) * rng.below(20) / 19) as usize;
        left.clear();
        left.extend(pop.iter().enumerate().map(|(c, &w)| (c as u8, w)));
        for _ in 0..len {
            let total: u64 = left.iter().map(|&(_, w)| w).sum();
            let mut r = rng.below(total);
            let mut pick = 0;
            for (i, &(_, w)) in left.iter().enumerate() {
                if r < w {
                    pick = i;
                    break;
                }
                r -= w;
            }
            raw.prefs.push(left.swap_remove(pick).0);
        }
        raw.ends.push(raw.prefs.len() as u32);
    }
    raw
}

fn approval_ballots() -> Raw {
    let mut rng = Rng(0x5EED_0000_0000_0002);
    let pop = popularity();
    let mut raw = Raw {
        prefs: Vec::with_capacity(BALLOTS * 4),
        ends: Vec::with_capacity(BALLOTS),
    };
    for _ in 0..BALLOTS {
        let start = raw.prefs.len();
        for (c, &w) in pop.iter().enumerate() {
            // Approval chance 5% to 45% by popularity.
            if rng.below(10_000) < 500 + 4 * w / 10 {
                raw.prefs.push(c as u8);
            }
        }
        if raw.prefs.len() == start {
            raw.prefs.push(rng.below(CANDIDATES as u64) as u8);
        }
        raw.ends.push(raw.prefs.len() as u32);
    }
    raw
}

fn names() -> Vec<String> {
    (1..=CANDIDATES).map(|c| format!("Candidate {c}")).collect()
}

/// Validation and grouping: what every ranked count starts with.
fn group(raw: &Raw) -> Profile<RankedBallots> {
    let mut builder = RankedBallots::builder(CANDIDATES);
    builder.reserve(raw.ends.len(), raw.prefs.len());
    let mut buf = [0usize; CANDIDATES];
    for ranking in raw.iter() {
        for (b, &c) in buf.iter_mut().zip(ranking) {
            *b = usize::from(c);
        }
        // Generated ballots are valid by construction.
        let _ = builder.push(Weight::ONE, &buf[..ranking.len()]);
    }
    Profile::new(names(), builder.build())
}

fn approvals(raw: &Raw) -> Profile<ApprovalBallots> {
    let mut ballots = ApprovalBallots::new(CANDIDATES).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = [0usize; CANDIDATES];
    for a in raw.iter() {
        for (b, &c) in buf.iter_mut().zip(a) {
            *b = usize::from(c);
        }
        // Generated ballots are valid by construction.
        let _ = ballots.push(Weight::ONE, &buf[..a.len()]);
    }
    Profile::new(names(), ballots)
}

/// Ballots are generated on first use, so that a filtered run holds only the
/// data of the benchmarks it runs (and its peak memory is theirs alone).
fn ranked_raw() -> &'static Raw {
    static RAW: OnceLock<Raw> = OnceLock::new();
    RAW.get_or_init(|| {
        let raw = ranked_ballots();
        let grouped = group(&raw);
        eprintln!(
            "ranked: {} ballots, {} preferences, {} distinct rankings",
            raw.ends.len(),
            raw.prefs.len(),
            grouped.ballots.len()
        );
        raw
    })
}

fn approval_raw() -> &'static Raw {
    static RAW: OnceLock<Raw> = OnceLock::new();
    RAW.get_or_init(|| {
        let raw = approval_ballots();
        eprintln!("approval: {} ballots, {} approvals", raw.ends.len(), raw.prefs.len());
        raw
    })
}

/// Prints a benchmark's result once (criterion calls the setup repeatedly).
fn describe(name: &str, out: &Outcome) {
    static SHOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
    if shown.iter().any(|s| s == name) {
        return;
    }
    shown.push(name.to_owned());
    let iterations: u32 = out
        .transcript
        .rounds
        .iter()
        .map(|r| match r.action {
            Action::Iteration { iterations, .. } => iterations,
            _ => 0,
        })
        .sum();
    eprintln!(
        "{name}: {} rounds, {iterations} Meek iterations, elected {:?}",
        out.transcript.rounds.len(),
        out.elected
    );
}

fn bench_stv(c: &mut Criterion) {
    let lots = TieBreaker::new([0; 32]);
    let mut g = c.benchmark_group("stv_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    g.bench_function("grouping", |b| {
        let raw = ranked_raw();
        b.iter(|| black_box(group(raw)))
    });
    g.bench_function("scottish", |b| {
        let raw = ranked_raw();
        if let Ok(out) = stv_scottish(&group(raw), SEATS, &lots) {
            describe("scottish", &out);
        }
        b.iter(|| black_box(stv_scottish(&group(raw), SEATS, &lots)))
    });
    for (name, rule) in [
        ("meek_prf", MeekRule::PrfReference),
        ("meek_droop", MeekRule::DroopParametric),
    ] {
        g.bench_function(name, |b| {
            let raw = ranked_raw();
            if let Ok(out) = stv_meek(&group(raw), SEATS, rule, &lots) {
                describe(name, &out);
            }
            b.iter(|| black_box(stv_meek(&group(raw), SEATS, rule, &lots)))
        });
    }
    g.finish();
}

fn bench_approval(c: &mut Criterion) {
    let lots = TieBreaker::new([0; 32]);
    let mut g = c.benchmark_group("approval_1m");
    g.sample_size(20);
    g.bench_function("count", |b| {
        let profile = approvals(approval_raw());
        b.iter(|| black_box(approval(&profile, SEATS, &lots)))
    });
    g.bench_function("build_and_count", |b| {
        let raw = approval_raw();
        b.iter(|| black_box(approval(&approvals(raw), SEATS, &lots)))
    });
    g.finish();
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
}

criterion_group!(benches, bench_stv, bench_approval);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if let Some(peak) = peak_memory() {
        eprintln!("peak resident memory (VmHWM): {peak}");
    }
}
