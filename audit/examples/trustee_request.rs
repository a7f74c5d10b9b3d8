//! A synthetic decryption request of N encrypted ballots, with the
//! trustees' files to decrypt it, to measure `teller-audit trustee decrypt`
//! and the combination at scale (FORMAT.md §16.12;
//! BENCHMARKS.md, "Encrypted ballots"):
//!
//!     cargo build --release -p teller-audit --bin teller-audit --example trustee_request
//!     target/release/examples/trustee_request make 100000 /tmp/tr-100k
//!     cd /tmp/tr-100k
//!     /usr/bin/time -v teller-audit trustee decrypt --board board.json \
//!         --dir trustee-1 --request request.json --out partial-1.json
//!     … the same for trustee 2 …
//!     target/release/examples/trustee_request combine /tmp/tr-100k
//!
//! `make` runs an in-process key ceremony (3 trustees, any 2 decrypt),
//! writes `board.json` and each trustee's folder (`trustee-J`), encrypts N
//! ballots of the example election (weights 1 and 2.5) on every core and
//! writes `request.json` as Teller serves it (`teller-decryption-request/1`,
//! canonical), ballots in the order made rather than by tracker (nothing
//! reads the order), with memory bounded: the ballots go to a scratch file
//! as they are made and their sum is kept. `combine` checks the partial
//! decryptions `partial-1.json` and `partial-2.json` as the server does at
//! upload and combines them (§16.7–§16.8), timing each step.

use std::collections::BTreeMap;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use teller_audit::count::Weight;
use teller_audit::encrypted::ballot::{BallotShape, Encrypter};
use teller_audit::encrypted::elgamal::EncryptionKey;
use teller_audit::encrypted::group::OsRandom;
use teller_audit::trustees::board::{Board, Phase};
use teller_audit::trustees::ceremony::{self, Polynomial, TrusteeSecret};
use teller_audit::trustees::cli::{fingerprint, REQUEST_FORMAT};
use teller_audit::trustees::decrypt::{check_partial, combine, Aggregator, PartialDecryption};
use teller_audit::trustees::envelope::Envelope;
use teller_audit::trustees::files::{self, BoardFile};
use teller_audit::trustees::request::read_request_head;
use teller_audit::trustees::Parameters;

#[path = "synth_encrypted.rs"]
#[allow(dead_code)]
mod synth;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["make", n, dir] => make(n.parse()?, Path::new(dir)),
        ["combine", dir] => combine_shares(Path::new(dir)),
        _ => Err("usage: trustee_request make N DIR | trustee_request combine DIR".into()),
    }
}

/// Ballot `i`'s choices (varied, deterministic) and weight.
fn choices_of(i: usize) -> (BTreeMap<String, Vec<String>>, Weight) {
    let directors = [
        "amara-okafor",
        "daniel-brooks",
        "mei-ling-chen",
        "rosa-delgado",
        "tomasz-nowak",
        "priya-raman",
        "samuel-adeyemi",
    ];
    let r = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let picks: Vec<String> = (0..(r >> 60) % 4)
        .map(|k| directors[((i as u64 + 2 * k) % 7) as usize].to_string())
        .collect();
    let treasurer = match (r >> 20) % 3 {
        0 => vec!["grace-whitfield".to_string()],
        1 => vec!["omar-haddad".to_string()],
        _ => vec![],
    };
    let bylaw = ["yes", "yes", "no", "abstain"][((r >> 30) % 4) as usize];
    let choices = BTreeMap::from([
        ("directors".to_string(), picks),
        ("treasurer".to_string(), treasurer),
        ("bylaw-amendment-7".to_string(), vec![bylaw.to_string()]),
    ]);
    let weight = if i % 5 == 4 { "2.5" } else { "1" };
    (choices, Weight::parse(weight).expect("a weight"))
}

fn make(n: usize, dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    let started = Instant::now();
    // The ceremony, as the trustees would run it, with their files.
    let names: Vec<String> = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let params = Parameters::new(synth::ELECTION, 2, names.clone())?;
    let mut board = Board::new(params.clone());
    let mut file = BoardFile::new(&params);
    let mut post = |board: &mut Board, e: Envelope| {
        board.post(&e).unwrap_or_else(|r| panic!("refused: {r}"));
        file.messages.push(e);
    };
    let secrets: Vec<TrusteeSecret> = params
        .indices()
        .map(|j| TrusteeSecret::generate(synth::ELECTION, j, &names[j as usize - 1], &mut OsRandom))
        .collect();
    for s in &secrets {
        post(&mut board, s.register(&mut OsRandom));
    }
    let polynomials: Vec<Polynomial> = secrets.iter().map(|_| Polynomial::draw(1, 2, &mut OsRandom)).collect();
    for (s, p) in secrets.iter().zip(&polynomials) {
        let e = ceremony::commit(s, &board, p)?;
        post(&mut board, e);
    }
    for (s, p) in secrets.iter().zip(&polynomials) {
        let e = ceremony::deal(s, &board, p, &mut OsRandom)?;
        post(&mut board, e);
    }
    for s in &secrets {
        let (e, _) = ceremony::check(s, &board, &mut OsRandom)?;
        post(&mut board, e);
    }
    for (s, p) in secrets.iter().zip(&polynomials) {
        let (share, e) = ceremony::finish(s, &board, p, &mut OsRandom)?;
        let folder = dir.join(format!("trustee-{}", s.trustee()));
        let _ = std::fs::remove_dir_all(&folder);
        files::make_folder(&folder)?;
        files::write_secret_file(&folder, s)?;
        files::write_key_share(&folder, &share)?;
        post(&mut board, e);
    }
    assert_eq!(board.phase(), Phase::Complete);
    std::fs::write(dir.join("board.json"), teller_audit::canonical::to_bytes(&file)?)?;

    // The ballots, encrypted on every core, a block at a time; each block
    // is written to the scratch file and added to the running sum.
    let definition = synth::definition();
    let shape = BallotShape::of(&definition)?;
    let fp = fingerprint(&definition, &board)?;
    let key = EncryptionKey::new(board.outcome().expect("complete").joint_key)?;
    let encrypter = Encrypter {
        election: synth::ELECTION,
        fingerprint: fp,
        key: &key,
        shape: &shape,
    };
    let scratch_path = dir.join("ballots.scratch");
    let mut scratch = BufWriter::new(std::fs::File::create(&scratch_path)?);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut sum = Aggregator::new(&shape);
    const BLOCK: usize = 512;
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let per = (end - start).div_ceil(threads);
        let parts: Vec<(Vec<u8>, Aggregator)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (encrypter, shape) = (&encrypter, &shape);
                    s.spawn(move || {
                        let mut text = Vec::new();
                        let mut part = Aggregator::new(shape);
                        for i in (start + t * per)..(start + (t + 1) * per).min(end) {
                            let (choices, weight) = choices_of(i);
                            let (ballot, _) = encrypter.encrypt(&choices, weight, &mut OsRandom).expect("valid");
                            part.add_ballot(&ballot).expect("the shape");
                            if i > 0 {
                                text.push(b',');
                            }
                            text.extend(ballot.canonical_bytes());
                        }
                        (text, part)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("encrypting")).collect()
        });
        for (text, part) in parts {
            scratch.write_all(&text)?;
            sum.merge(part);
        }
        if end % 10_000 == 0 || end == n {
            eprintln!("{end} ballots, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    scratch.flush()?;
    drop(scratch);

    // The request, members in canonical order.
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("request.json"))?);
    out.write_all(b"{\"aggregate\":")?;
    out.write_all(&canonical(&sum.finish()?))?;
    out.write_all(b",\"ballots\":[")?;
    std::io::copy(&mut std::fs::File::open(&scratch_path)?, &mut out)?;
    out.write_all(b"],\"definition\":")?;
    out.write_all(&canonical(&definition))?;
    out.write_all(b",\"election\":")?;
    out.write_all(&canonical(synth::ELECTION))?;
    out.write_all(b",\"format\":")?;
    out.write_all(&canonical(REQUEST_FORMAT))?;
    out.write_all(b"}")?;
    out.flush()?;
    std::fs::remove_file(&scratch_path)?;
    eprintln!(
        "wrote {} (board.json, trustee-1 … trustee-3, request.json) in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn canonical<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    teller_audit::canonical::to_bytes(value).expect("canonical JSON")
}

fn combine_shares(dir: &Path) -> Result<(), Failure> {
    let started = Instant::now();
    let (file, _) = files::read_board(&dir.join("board.json"))?;
    let board = files::replay(&file, false)?.board;
    let outcome = board.outcome().ok_or("the ceremony is not complete")?.clone();
    let head = read_request_head(&dir.join("request.json"))?;
    let fp = fingerprint(&head.definition, &board)?;
    eprintln!(
        "read the board and the request's aggregate in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let partials: Vec<PartialDecryption> = ["partial-1.json", "partial-2.json"]
        .iter()
        .map(|name| -> Result<PartialDecryption, Failure> {
            let path: PathBuf = dir.join(name);
            let mut bytes = Vec::new();
            std::fs::File::open(&path)?.read_to_end(&mut bytes)?;
            let envelope: Envelope = serde_json::from_slice(&bytes)?;
            check_partial(&outcome, &fp, &head.aggregate, &envelope).map_err(|r| format!("{name}: {r:?}").into())
        })
        .collect::<Result<_, _>>()?;
    let checked = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let totals = combine(&outcome, &head.aggregate, &partials)?;
    eprintln!(
        "checked the 2 partial decryptions in {checked:.3} s; combined them and took the discrete logs of the {} totals in {:.3} s",
        totals.values.len(),
        started.elapsed().as_secs_f64()
    );
    println!("{:?}", totals.values);
    Ok(())
}
