//! Write a valid, tallied record of an encrypted election
//! (FORMAT.md §16.9) with N encrypted ballots, built
//! with the library alone, to test and measure `teller-audit verify` on
//! encrypted records without a server:
//!
//!     cargo run --release -p teller-audit --example synth_encrypted -- 10000 /tmp/encrypted-10k.json
//!     /usr/bin/time -v target/release/teller-audit verify /tmp/encrypted-10k.json
//!
//! An in-process key ceremony with 3 trustees (any 2 decrypt), N ballots of
//! the example election (3 contests, 12 options, weights 1 and 2.5)
//! encrypted on every core, 3 audited ballots, the close, the aggregate, 2
//! partial decryptions, their combination and the tally: every log entry
//! chained and every checkpoint signed. `audit/tests/verify_encrypted.rs`
//! builds its records with [`build`] (this file is included there).

use std::collections::BTreeMap;

use ring::signature::{Ed25519KeyPair, KeyPair};
use teller_audit::checkpoint::{Checkpoint, CheckpointReason, SignedCheckpoint, CHECKPOINT_FORMAT};
use teller_audit::count::Weight;
use teller_audit::crypto::{Digest, PublicKey, Seed, Signature};
use teller_audit::definition::{Candidate, Contest, Definition, Method, Threshold};
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot, Encrypter};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::fingerprint::FingerprintInput;
use teller_audit::encrypted::group::OsRandom;
use teller_audit::encrypted::nonces::BallotSeed;
use teller_audit::encrypted::published::PublishedEncryptedBallot;
use teller_audit::log::{ChainedEntry, Event, LogEntry, OpenedEncryption, ENCRYPTION_MODE, GENESIS};
use teller_audit::record::{
    Counts, ElectionInfo, EncryptionRecord, PublishedAudited, Record, Total, TrusteeName, ENCRYPTION_FORMAT,
    RECORD_FORMAT,
};
use teller_audit::trustees::board::{Board, Phase};
use teller_audit::trustees::ceremony::{self, KeyEntry, KeyShare, Polynomial, TrusteeSecret};
use teller_audit::trustees::decrypt::{check_partial, combine, partial_decrypt, Aggregator};
use teller_audit::trustees::envelope::{Envelope, Round};
use teller_audit::trustees::Parameters;

/// The synthetic election's id.
pub const ELECTION: &str = "7c1e4b2a-3f5d-4e6a-9b8c-0d1e2f3a4b5c";

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().ok_or("usage: synth_encrypted N OUT")?.parse()?;
    let out = args.next().ok_or("usage: synth_encrypted N OUT")?;
    let started = std::time::Instant::now();
    let synth = build(n, 3);
    eprintln!(
        "built {n} encrypted ballots in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    serde_json::to_writer(file, &synth.record)?;
    eprintln!("wrote {out}");
    Ok(())
}

/// A record and the election key that signs its checkpoints.
pub struct Synth {
    /// The record.
    pub record: Record,
    /// The election's key (PKCS#8), to sign checkpoints again after a change.
    pub pkcs8: Vec<u8>,
}

impl Synth {
    /// After a change to the log: chain every entry again and sign every
    /// checkpoint again over the new heads, so that only the change is wrong.
    pub fn reseal(&mut self) {
        let mut previous = GENESIS;
        for e in &mut self.record.log {
            e.hash = e.entry.chain_hash(&previous);
            previous = e.hash;
        }
        let key = Ed25519KeyPair::from_pkcs8(&self.pkcs8).expect("the key");
        for cp in &mut self.record.checkpoints {
            let size = cp.checkpoint.size as usize;
            cp.checkpoint.head = self.record.log[size - 1].hash;
            cp.signature = sign(&key, &cp.checkpoint.signed_bytes());
        }
    }
}

fn sign(key: &Ed25519KeyPair, bytes: &[u8]) -> Signature {
    let mut s = [0u8; 64];
    s.copy_from_slice(key.sign(bytes).as_ref());
    Signature(s)
}

/// The example election (FORMAT.md §14.11).
pub fn definition() -> Definition {
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
    let contest = |id: &str, title: &str, seats, method, names: &[&str]| Contest {
        id: id.into(),
        title: title.into(),
        description: String::new(),
        seats,
        candidates: candidates(names),
        method,
    };
    let plurality = Method::Plurality {
        majority_required: false,
        write_ins: false,
    };
    Definition {
        title: "Synthetic encrypted election".into(),
        description: String::new(),
        contests: vec![
            contest(
                "directors",
                "Board of Directors",
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
            contest(
                "treasurer",
                "Treasurer",
                1,
                plurality,
                &["Grace Whitfield", "Omar Haddad"],
            ),
            contest(
                "bylaw-amendment-7",
                "Bylaw amendment 7",
                1,
                Method::Referendum {
                    threshold: Threshold::TWO_THIRDS,
                },
                &[],
            ),
        ],
    }
}

/// Member `i`'s choices and weight (deterministic, varied).
fn choices_of(i: usize) -> (BTreeMap<String, Vec<String>>, Weight) {
    let mut r = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d;
    r ^= r >> 29;
    let directors = [
        "amara-okafor",
        "daniel-brooks",
        "mei-ling-chen",
        "rosa-delgado",
        "tomasz-nowak",
        "priya-raman",
        "samuel-adeyemi",
    ];
    let mut picks: Vec<String> = Vec::new();
    for k in 0..(r % 4) {
        let c = directors[((r >> (8 * (k + 1))) % 7) as usize].to_string();
        if !picks.contains(&c) {
            picks.push(c);
        }
    }
    let treasurer = match (r >> 40) % 3 {
        0 => vec!["grace-whitfield".to_string()],
        1 => vec!["omar-haddad".to_string()],
        _ => vec![],
    };
    let bylaw = ["yes", "yes", "no", "abstain"][((r >> 44) % 4) as usize];
    let mut choices = BTreeMap::new();
    choices.insert("directors".to_string(), picks);
    choices.insert("treasurer".to_string(), treasurer);
    choices.insert("bylaw-amendment-7".to_string(), vec![bylaw.to_string()]);
    let weight = if i % 5 == 4 { "2.5" } else { "1" };
    (choices, Weight::parse(weight).expect("a weight"))
}

/// A valid, tallied encrypted record with `n` cast and `audited` audited ballots.
pub fn build(n: usize, audited: usize) -> Synth {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("a key").as_ref().to_vec();
    let key = Ed25519KeyPair::from_pkcs8(&pkcs8).expect("the key");
    let mut public = [0u8; 32];
    public.copy_from_slice(key.public_key().as_ref());
    let public = PublicKey(public);
    let definition = definition();
    let seed = Seed([9; 32]);
    let mut log: Vec<ChainedEntry> = Vec::new();
    let mut checkpoints: Vec<SignedCheckpoint> = Vec::new();
    let append = |log: &mut Vec<ChainedEntry>, event: Event| {
        let previous = log.last().map(|e| e.hash).unwrap_or(GENESIS);
        let entry = LogEntry {
            seq: log.len() as u64,
            time: 1_796_115_600 + log.len() as i64,
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
            time: 1_796_115_600 + log.len() as i64,
            reason,
        };
        let signature = sign(&key, &c.signed_bytes());
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
            added: n as u64,
            total: n as u64,
            actor: actor(),
        },
    );
    append(
        &mut log,
        Event::TokensIssued {
            count: n as u64,
            actor: actor(),
        },
    );

    // The key ceremony: 3 trustees, any 2 decrypt.
    let names: Vec<String> = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let params = Parameters::new(ELECTION, 2, names.clone()).expect("parameters");
    let mut board = Board::new(params.clone());
    let mut ceremony_log: Vec<Envelope> = Vec::new();
    for j in params.indices() {
        append(
            &mut log,
            Event::TrusteeNamed {
                trustee: j,
                name: names[j as usize - 1].clone(),
                actor: actor(),
            },
        );
    }
    let mut post = |board: &mut Board, log: &mut Vec<ChainedEntry>, e: Envelope| {
        let accepted = board.post(&e).unwrap_or_else(|r| panic!("refused: {r}"));
        let event = if e.round == Round::Register {
            let r = board.registration(e.trustee).expect("registered");
            Event::TrusteeRegistered {
                trustee: e.trustee,
                signing_key: r.signing_key,
                encryption_key: r.encryption_key,
                message: accepted.digest,
            }
        } else {
            Event::CeremonyMessage {
                attempt: e.attempt,
                trustee: e.trustee,
                round: e.round.name().to_string(),
                message: accepted.digest,
            }
        };
        append(log, event);
        ceremony_log.push(e);
    };
    let secrets: Vec<TrusteeSecret> = params
        .indices()
        .map(|j| TrusteeSecret::generate(ELECTION, j, &names[j as usize - 1], &mut OsRandom))
        .collect();
    for s in &secrets {
        post(&mut board, &mut log, s.register(&mut OsRandom));
    }
    let polynomials: Vec<Polynomial> = secrets.iter().map(|_| Polynomial::draw(1, 2, &mut OsRandom)).collect();
    for (s, p) in secrets.iter().zip(&polynomials) {
        let e = ceremony::commit(s, &board, p).expect("commit");
        post(&mut board, &mut log, e);
    }
    for (s, p) in secrets.iter().zip(&polynomials) {
        let e = ceremony::deal(s, &board, p, &mut OsRandom).expect("deal");
        post(&mut board, &mut log, e);
    }
    for s in &secrets {
        let (e, report) = ceremony::check(s, &board, &mut OsRandom).expect("check");
        assert!(report.bad.is_empty());
        post(&mut board, &mut log, e);
    }
    let mut shares: Vec<KeyShare> = Vec::new();
    for (s, p) in secrets.iter().zip(&polynomials) {
        let (share, e) = ceremony::finish(s, &board, p, &mut OsRandom).expect("finish");
        shares.push(share);
        post(&mut board, &mut log, e);
    }
    assert_eq!(board.phase(), Phase::Complete);
    let outcome = board.outcome().expect("complete").clone();
    append(
        &mut log,
        Event::CeremonyCompleted {
            attempt: outcome.attempt,
            threshold: outcome.threshold,
            joint_key: outcome.joint_key,
            verification_keys: outcome
                .verification_keys()
                .into_iter()
                .map(|(trustee, key)| KeyEntry { trustee, key })
                .collect(),
        },
    );
    let fp = FingerprintInput {
        election: ELECTION,
        definition_hash: definition.hash(),
        threshold: outcome.threshold,
        joint_key: outcome.joint_key,
        verification_keys: &outcome.verification_keys(),
    }
    .fingerprint();
    append(
        &mut log,
        Event::PollsOpened {
            definition_hash: definition.hash(),
            eligible: n as u64,
            tokens_issued: n as u64,
            lot_seed_commitment: seed.commitment(),
            certification_quorum: 0,
            closes_at: None,
            actor: actor(),
            witnesses: Some(vec![]),
            witness_quorum: Some(0),
            encryption: Some(Some(OpenedEncryption {
                mode: ENCRYPTION_MODE.into(),
                threshold: outcome.threshold,
                joint_key: outcome.joint_key,
                fingerprint: fp,
            })),
        },
    );
    checkpoint(&log, CheckpointReason::Opened);

    // Ballots, encrypted on every core.
    let shape = BallotShape::of(&definition).expect("encryptable");
    let joint = EncryptionKey::new(outcome.joint_key).expect("a key");
    let encrypter = Encrypter {
        election: ELECTION,
        fingerprint: fp,
        key: &joint,
        shape: &shape,
    };
    let encrypt = |i: usize| -> (EncryptedBallot, BallotSeed, BTreeMap<String, Vec<String>>) {
        let (choices, weight) = choices_of(i);
        let (ballot, seed) = encrypter
            .encrypt(&choices, weight, &mut OsRandom)
            .expect("valid choices");
        (ballot, seed, choices)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let per = (n + audited).div_ceil(threads).max(1);
    let mut made: Vec<(EncryptedBallot, BallotSeed, BTreeMap<String, Vec<String>>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let encrypt = &encrypt;
                scope.spawn(move || {
                    (t * per..((t + 1) * per).min(n + audited))
                        .map(encrypt)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("encrypting"))
            .collect()
    });
    let spoiled: Vec<_> = made.split_off(n);
    let mut cast: Vec<(Digest, EncryptedBallot)> = made.into_iter().map(|(b, _, _)| (b.tracker(), b)).collect();
    cast.sort_by_key(|(t, _)| *t);
    let mut audited_ballots: Vec<PublishedAudited> = spoiled
        .into_iter()
        .map(|(b, seed, choices)| PublishedAudited {
            tracker: b.tracker(),
            ballot: PublishedEncryptedBallot::of(b),
            seed,
            choices,
        })
        .collect();
    audited_ballots.sort_by_key(|a| a.tracker);

    // Seals of up to 1,000 ballots, in cast order (here: by index); the
    // audited entries follow the first batch's ballots.
    let mut order: Vec<usize> = (0..cast.len()).collect();
    order.sort_by_key(|&i| (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
    for (s, chunk) in order.chunks(1_000).enumerate() {
        let mut batch: Vec<Digest> = chunk.iter().map(|&i| cast[i].0).collect();
        batch.sort();
        for t in &batch {
            append(&mut log, Event::Ballot { tracker: *t });
        }
        if s == 0 {
            for a in &audited_ballots {
                append(&mut log, Event::Audited { tracker: a.tracker });
            }
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
    if cast.is_empty() && !audited_ballots.is_empty() {
        for a in &audited_ballots {
            append(&mut log, Event::Audited { tracker: a.tracker });
        }
        append(&mut log, Event::Seal { seal: 1, ballots: 0 });
        checkpoint(&log, CheckpointReason::Sealed);
    }
    append(
        &mut log,
        Event::PollsClosed {
            tokens_used: n as u64,
            tokens_issued: n as u64,
            ballots: n as u64,
            reason: "synthetic".into(),
            actor: actor(),
        },
    );
    checkpoint(&log, CheckpointReason::Closed);

    // Aggregate, two partial decryptions (trustees 3 and 1), combination.
    let mut aggregator = Aggregator::new(&shape);
    let mut total_weight = 0u64;
    for (_, b) in &cast {
        aggregator.add_ballot(b).expect("the shape");
        total_weight += b.weight.micros();
    }
    let aggregate = aggregator.finish().expect("an aggregate");
    let digest = aggregate.digest(&fp);
    append(
        &mut log,
        Event::Aggregated {
            aggregate_digest: digest,
            ballots: n as u64,
            weight_decimals: aggregate.weight_decimals,
        },
    );
    let mut decryptions = Vec::new();
    let mut partials = Vec::new();
    for j in [3u32, 1] {
        let i = j as usize - 1;
        let e = partial_decrypt(&secrets[i], &shares[i], &fp, &aggregate, &mut OsRandom);
        partials.push(check_partial(&outcome, &fp, &aggregate, &e).expect("a valid partial decryption"));
        append(
            &mut log,
            Event::DecryptionShare {
                trustee: j,
                message: e.digest(),
            },
        );
        decryptions.push(e);
    }
    let totals = combine(&outcome, &aggregate, &partials).expect("the totals");
    let tally = teller_audit::tally::encrypted::tally(
        ELECTION,
        &definition,
        &aggregate,
        &totals,
        n as u64,
        Weight::from_micros(total_weight).unwrap_or(Weight::ONE),
        &seed,
    )
    .expect("a tally");
    append(
        &mut log,
        Event::Tallied {
            tally_digest: tally.digest(),
            lot_seed: seed,
            actor: actor(),
        },
    );
    checkpoint(&log, CheckpointReason::Tallied);
    let published: Vec<Total> = totals
        .values
        .iter()
        .enumerate()
        .map(|(i, &value)| Total {
            target: i as u64,
            trustees: totals.trustees.clone(),
            value,
        })
        .collect();
    let record = Record {
        format: RECORD_FORMAT.into(),
        election: ElectionInfo {
            id: ELECTION.into(),
            state: "tallied".into(),
            definition,
        },
        public_key: public,
        log,
        checkpoints,
        ballots: None,
        encrypted_ballots: Some(cast.into_iter().map(|(_, b)| PublishedEncryptedBallot::of(b)).collect()),
        counts: Counts {
            eligible: n as u64,
            tokens_issued: n as u64,
            tokens_used: n as u64,
            ballots: n as u64,
        },
        tally: Some(tally),
        encryption: Some(EncryptionRecord {
            format: ENCRYPTION_FORMAT.into(),
            trustees: names
                .iter()
                .enumerate()
                .map(|(i, name)| TrusteeName {
                    trustee: i as u32 + 1,
                    name: name.clone(),
                })
                .collect(),
            ceremony: ceremony_log,
            audited: Some(audited_ballots),
            aggregate: Some(aggregate),
            decryptions,
            totals: Some(published),
        }),
    };
    Synth { record, pkcs8 }
}
