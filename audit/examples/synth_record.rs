//! Write a valid, tallied election record with N ballots, built with the
//! library alone — to measure `teller-audit verify` on large elections
//! without a server:
//!
//!     cargo run --release -p teller-audit --example synth_record -- 1000000 /tmp/record-1m.json
//!     /usr/bin/time -v target/release/teller-audit verify /tmp/record-1m.json
//!
//! With a directory and a count after them, it also writes that many
//! members' receipts (`r000000.json`, …), to measure `verify-receipts`:
//!
//!     cargo run --release -p teller-audit --example synth_record -- 100000 /tmp/record.json /tmp/receipts 20000

use std::collections::BTreeMap;
use std::io::Write;

use ring::signature::{Ed25519KeyPair, KeyPair};
use teller_audit::ballot::{Ballot, PublishedBallot};
use teller_audit::checkpoint::{Checkpoint, CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, Nonce, PublicKey, Seed, Signature};
use teller_audit::definition::{Candidate, Contest, Definition, Method, Threshold};
use teller_audit::log::{ChainedEntry, Event, LogEntry, GENESIS};
use teller_audit::receipt::{Receipt, ReceiptBody, RECEIPT_FORMAT};
use teller_audit::record::{Counts, RECORD_FORMAT};
use teller_audit::tally::Tallier;

const ELECTION: &str = "5f0c2a1e-9d3b-4c7a-8e21-6b4d9f0a1c33";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().ok_or("usage: synth_record N OUT")?.parse()?;
    let out = args.next().ok_or("usage: synth_record N OUT")?;
    let receipts_dir = args.next();
    let receipts: usize = args.next().map_or(Ok(0), |k| k.parse())?;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| "key")?;
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "key")?;
    let mut public = [0u8; 32];
    public.copy_from_slice(key.public_key().as_ref());
    let public = PublicKey(public);
    let sign = |bytes: &[u8]| {
        let mut s = [0u8; 64];
        s.copy_from_slice(key.sign(bytes).as_ref());
        Signature(s)
    };

    let names = [
        "Amara Okafor",
        "Daniel Brooks",
        "Mei-Ling Chen",
        "Rosa Delgado",
        "Tomasz Nowak",
        "Priya Raman",
        "Samuel Adeyemi",
    ];
    let definition = Definition {
        title: "Synthetic board election".into(),
        description: String::new(),
        contests: vec![
            Contest {
                id: "directors".into(),
                title: "Board of Directors".into(),
                description: String::new(),
                seats: 3,
                candidates: names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| Candidate {
                        id: format!("c{i}"),
                        name: n.to_string(),
                        statement: String::new(),
                    })
                    .collect(),
                method: Method::Plurality {
                    majority_required: false,
                    write_ins: false,
                },
            },
            Contest {
                id: "bylaw".into(),
                title: "Bylaw amendment".into(),
                description: String::new(),
                seats: 1,
                candidates: vec![],
                method: Method::Referendum {
                    threshold: Threshold::TWO_THIRDS,
                },
            },
        ],
    };
    let seed = Seed([7; 32]);

    // Ballots, sorted by tracker as published.
    eprintln!("making {n} ballots…");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut ballots: Vec<PublishedBallot> = (0..n)
        .map(|i| {
            let r = next();
            let mut choices = BTreeMap::new();
            let k = (r % 4) as usize;
            let mut picks: Vec<String> = Vec::new();
            for j in 0..k {
                let c = format!("c{}", (r >> (8 * (j + 1))) % 7);
                if !picks.contains(&c) {
                    picks.push(c);
                }
            }
            picks.sort();
            choices.insert("directors".to_string(), picks);
            let answer = ["yes", "yes", "no", "abstain"][(r >> 40) as usize % 4];
            choices.insert("bylaw".to_string(), vec![answer.to_string()]);
            let mut nonce = [0u8; 16];
            nonce[..8].copy_from_slice(&i.to_be_bytes());
            nonce[8..].copy_from_slice(&r.to_be_bytes());
            let b = Ballot {
                election: ELECTION.into(),
                nonce: Nonce(nonce),
                choices,
                weight: Weight::ONE,
            };
            PublishedBallot {
                tracker: b.tracker(),
                nonce: b.nonce,
                choices: b.choices,
                weight: b.weight,
            }
        })
        .collect();
    ballots.sort_by_key(|b| b.tracker);

    let mut log: Vec<ChainedEntry> = Vec::new();
    let mut checkpoints: Vec<SignedCheckpoint> = Vec::new();
    let append = |log: &mut Vec<ChainedEntry>, event: Event| {
        let previous = log.last().map(|e| e.hash).unwrap_or(GENESIS);
        let entry = LogEntry {
            seq: log.len() as u64,
            time: 1_796_115_600,
            event,
        };
        let hash = entry.chain_hash(&previous);
        log.push(ChainedEntry { entry, hash });
    };
    let mut checkpoint = |log: &Vec<ChainedEntry>, reason| {
        let c = Checkpoint {
            format: CHECKPOINT_FORMAT.into(),
            election: ELECTION.into(),
            size: log.len() as u64,
            head: log.last().map(|e| e.hash).unwrap_or(Digest([0; 32])),
            time: 1_796_115_600,
            reason,
        };
        let signature = sign(&c.signed_bytes());
        checkpoints.push(SignedCheckpoint {
            checkpoint: c,
            signature,
        });
    };
    let actor = || "cli:synth".to_string();
    append(
        &mut log,
        Event::ElectionCreated {
            election: ELECTION.into(),
            title: definition.title.clone(),
            public_key: public,
            actor: actor(),
        },
    );
    append(
        &mut log,
        Event::RollImported {
            added: n,
            total: n,
            actor: actor(),
        },
    );
    append(
        &mut log,
        Event::TokensIssued {
            count: n,
            actor: actor(),
        },
    );
    append(
        &mut log,
        Event::PollsOpened {
            definition_hash: definition.hash(),
            eligible: n,
            tokens_issued: n,
            lot_seed_commitment: seed.commitment(),
            certification_quorum: 0,
            closes_at: None,
            actor: actor(),
            witnesses: Some(vec![]),
            witness_quorum: Some(0),
            encryption: Some(None),
        },
    );
    checkpoint(&log, CheckpointReason::Opened);
    // Seals of up to 10,000 ballots; each batch in tracker order.
    let mut order: Vec<usize> = (0..ballots.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    for (s, chunk) in order.chunks(10_000).enumerate() {
        let mut batch: Vec<Digest> = chunk.iter().map(|&i| ballots[i].tracker).collect();
        batch.sort();
        for t in &batch {
            append(&mut log, Event::Ballot { tracker: *t });
        }
        append(
            &mut log,
            Event::Seal {
                seal: s as u64 + 1,
                ballots: batch.len() as u64,
            },
        );
        checkpoint(&log, CheckpointReason::Sealed);
    }
    append(
        &mut log,
        Event::PollsClosed {
            tokens_used: n,
            tokens_issued: n,
            ballots: n,
            reason: "synthetic".into(),
            actor: actor(),
        },
    );
    checkpoint(&log, CheckpointReason::Closed);
    let mut tallier = Tallier::new(definition.clone());
    for b in &ballots {
        tallier.add(&b.choices, b.weight);
    }
    let tally = tallier.finish(ELECTION, &seed);
    append(
        &mut log,
        Event::Tallied {
            tally_digest: tally.digest(),
            lot_seed: seed,
            actor: actor(),
        },
    );
    checkpoint(&log, CheckpointReason::Tallied);

    if let Some(dir) = &receipts_dir {
        eprintln!("writing {receipts} receipts to {dir}…");
        std::fs::create_dir_all(dir)?;
        for (j, &i) in order.iter().take(receipts).enumerate() {
            let b = &ballots[i];
            let ballot = Ballot {
                election: ELECTION.into(),
                nonce: b.nonce,
                choices: b.choices.clone(),
                weight: b.weight,
            };
            let body = ReceiptBody {
                format: RECEIPT_FORMAT.into(),
                election: ELECTION.into(),
                tracker: b.tracker,
                ballot: ballot.into(),
                seal: (j / 10_000) as u64 + 1,
                public_key: public,
            };
            let receipt = Receipt {
                signature: sign(&body.signed_bytes()),
                body,
            };
            std::fs::write(format!("{dir}/r{j:06}.json"), serde_json::to_vec(&receipt)?)?;
        }
    }

    eprintln!("writing {out}…");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    write!(
        w,
        "{{\"format\":\"{RECORD_FORMAT}\",\"election\":{{\"id\":\"{ELECTION}\",\"state\":\"tallied\",\"definition\":"
    )?;
    serde_json::to_writer(&mut w, &definition)?;
    write!(w, "}},\"public_key\":")?;
    serde_json::to_writer(&mut w, &public)?;
    w.write_all(b",\"log\":[")?;
    for (i, e) in log.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut w, e)?;
    }
    w.write_all(b"],\"checkpoints\":")?;
    serde_json::to_writer(&mut w, &checkpoints)?;
    w.write_all(b",\"ballots\":[")?;
    for (i, b) in ballots.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut w, b)?;
    }
    w.write_all(b"],\"counts\":")?;
    serde_json::to_writer(
        &mut w,
        &Counts {
            eligible: n,
            tokens_issued: n,
            tokens_used: n,
            ballots: n,
        },
    )?;
    w.write_all(b",\"tally\":")?;
    serde_json::to_writer(&mut w, &tally)?;
    w.write_all(b"}\n")?;
    w.flush()?;
    Ok(())
}
