//! Plurality (and approval) through the tally an election uses, on
//! 1,000,000 ballots: the path the server's tally and `teller-audit verify`
//! take, ballot by ballot — validating every choice against the contest's
//! rules, then counting it with its weight.
//!
//! Run: `cargo bench -p teller-audit --bench tally`. Peak memory (VmHWM) is
//! printed at the end; it includes the million ballots held in memory.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion};
use teller_audit::count::Weight;
use teller_audit::crypto::Seed;
use teller_audit::definition::{Candidate, Contest, Definition, Method};
use teller_audit::tally::Tallier;

const BALLOTS: usize = 1_000_000;

fn definition(method: Method, seats: u32) -> Definition {
    Definition {
        title: "Bench".into(),
        description: String::new(),
        contests: vec![Contest {
            id: "board".into(),
            title: "Board".into(),
            description: String::new(),
            seats,
            candidates: (0..20)
                .map(|i| Candidate {
                    id: format!("c{i:02}"),
                    name: format!("Candidate {i}"),
                    statement: String::new(),
                })
                .collect(),
            method,
        }],
    }
}

/// Ballots as a server holds them: contest id → chosen option ids.
fn ballots(max_marks: u64) -> Vec<BTreeMap<String, Vec<String>>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..BALLOTS)
        .map(|_| {
            let marks = next() % (max_marks + 1);
            let mut chosen: Vec<String> = Vec::new();
            for _ in 0..marks {
                // Skewed popularity: low-numbered candidates more often.
                let c = (next() % 20).min(next() % 20);
                let id = format!("c{c:02}");
                if !chosen.contains(&id) {
                    chosen.push(id);
                }
            }
            chosen.sort();
            let mut m = BTreeMap::new();
            m.insert("board".to_string(), chosen);
            m
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tally_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let plurality = definition(
        Method::Plurality {
            majority_required: false,
            write_ins: false,
        },
        5,
    );
    let vote_for_five = ballots(5);
    g.bench_function("plurality_vote_for_5", |b| {
        b.iter(|| {
            let mut t = Tallier::new(plurality.clone());
            for choices in &vote_for_five {
                t.add(choices, Weight::ONE);
            }
            black_box(t.finish("e", &Seed([0; 32])))
        })
    });
    let approval = definition(Method::Approval, 5);
    let approvals = ballots(8);
    g.bench_function("approval", |b| {
        b.iter(|| {
            let mut t = Tallier::new(approval.clone());
            for choices in &approvals {
                t.add(choices, Weight::ONE);
            }
            black_box(t.finish("e", &Seed([0; 32])))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if let Some(peak) = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("VmHWM:"))
            .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
    }) {
        eprintln!("peak resident memory (VmHWM): {peak}");
    }
}
