//! The trustees' side of an encrypted election (FORMAT.md
//! §16.1–§16.8): whole ceremonies in memory, every exclusion rule with its
//! restart, decryption with any `K` of the trustees, refused partial
//! decryptions, the weighted tally, and the whole path through the
//! `teller-audit trustee` commands on files.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use teller_audit::count::Weight;
use teller_audit::crypto::Digest;
use teller_audit::definition::{Candidate, Contest, Definition, Method, Threshold};
use teller_audit::encrypted::ballot::{BallotShape, EncryptedBallot, Encrypter};
use teller_audit::encrypted::elgamal::{EncryptionKey, RawCiphertext};
use teller_audit::encrypted::group::{g_pow, int, random_scalar, Element, OsRandom, Scalar};
use teller_audit::trustees::board::{Board, Outcome, Phase, Rule};
use teller_audit::trustees::ceremony::{
    self, complaint_challenge, CheckBody, Complaint, ComplaintStatement, DealBody, FinishBody, KeyShare, Polynomial,
    TrusteeSecret,
};
use teller_audit::trustees::decrypt::{
    check_partial, combine, lagrange_at_zero, partial_decrypt, total_holds, Aggregate, Aggregator, DecryptBody,
    PartialDecryption, RefusalReason, TargetKind,
};
use teller_audit::trustees::envelope::{Envelope, Round};
use teller_audit::trustees::files::{replay, BoardFile, ExclusionEntry};
use teller_audit::trustees::proofs::DleqProof;
use teller_audit::trustees::share::{self, ShareContext};
use teller_audit::trustees::{Parameters, TrusteeIndex};

const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

fn params(n: u32, k: u32) -> Parameters {
    let names = (1..=n).map(|j| format!("Trustee {j}")).collect();
    Parameters::new(ELECTION, k, names).unwrap()
}

/// A trustee's machine in these tests.
struct Machine {
    secret: TrusteeSecret,
    polynomial: Option<Polynomial>,
    share: Option<KeyShare>,
}

impl Machine {
    fn j(&self) -> TrusteeIndex {
        self.secret.trustee()
    }
}

/// A ceremony in memory: the board, and what each trustee's machine holds.
struct Ceremony {
    board: Board,
    machines: Vec<Machine>,
    /// Every accepted message, in order (a board file's `messages`).
    messages: Vec<Envelope>,
}

impl Ceremony {
    /// Named and registered: attempt 1 begins.
    fn registered(n: u32, k: u32) -> Ceremony {
        let p = params(n, k);
        let mut c = Ceremony {
            board: Board::new(p.clone()),
            machines: Vec::new(),
            messages: Vec::new(),
        };
        for j in p.indices() {
            let secret = TrusteeSecret::generate(ELECTION, j, p.name(j).unwrap(), &mut OsRandom);
            let register = secret.register(&mut OsRandom);
            c.post(register);
            c.machines.push(Machine {
                secret,
                polynomial: None,
                share: None,
            });
        }
        assert_eq!(c.board.phase(), Phase::Committing);
        c
    }

    fn post(&mut self, e: Envelope) -> teller_audit::trustees::board::Accepted {
        let accepted = self.board.post(&e).unwrap_or_else(|r| panic!("refused: {r}"));
        self.messages.push(e);
        accepted
    }

    fn machine(&mut self, j: TrusteeIndex) -> &mut Machine {
        self.machines.iter_mut().find(|m| m.j() == j).unwrap()
    }

    fn participants(&self) -> Vec<TrusteeIndex> {
        self.board.participants().to_vec()
    }

    fn commit_all(&mut self) {
        for j in self.participants() {
            let attempt = self.board.attempt();
            let k = self.board.params().threshold();
            let m = self.machine(j);
            let p = Polynomial::draw(attempt, k, &mut OsRandom);
            m.polynomial = Some(p);
            let m = self.machines.iter().find(|m| m.j() == j).unwrap();
            let e = ceremony::commit(&m.secret, &self.board, m.polynomial.as_ref().unwrap()).unwrap();
            self.post(e);
        }
    }

    fn deal(&self, j: TrusteeIndex) -> Envelope {
        let m = self.machines.iter().find(|m| m.j() == j).unwrap();
        ceremony::deal(&m.secret, &self.board, m.polynomial.as_ref().unwrap(), &mut OsRandom).unwrap()
    }

    fn deal_all(&mut self) {
        for j in self.participants() {
            let e = self.deal(j);
            self.post(e);
        }
    }

    fn check(&self, j: TrusteeIndex) -> (Envelope, ceremony::CheckReport) {
        let m = self.machines.iter().find(|m| m.j() == j).unwrap();
        ceremony::check(&m.secret, &self.board, &mut OsRandom).unwrap()
    }

    fn check_all(&mut self) {
        for j in self.participants() {
            let (e, report) = self.check(j);
            assert!(report.bad.is_empty(), "{report:?}");
            self.post(e);
        }
    }

    fn finish_all(&mut self) {
        for j in self.participants() {
            let m = self.machines.iter().find(|m| m.j() == j).unwrap();
            let (share, e) =
                ceremony::finish(&m.secret, &self.board, m.polynomial.as_ref().unwrap(), &mut OsRandom).unwrap();
            self.machine(j).share = Some(share);
            self.post(e);
        }
    }

    /// Every round of the current attempt, all honest.
    fn honest_attempt(&mut self) -> Outcome {
        self.commit_all();
        self.deal_all();
        self.check_all();
        self.finish_all();
        assert_eq!(self.board.phase(), Phase::Complete);
        self.board.outcome().unwrap().clone()
    }

    fn share_of(&self, j: TrusteeIndex) -> &KeyShare {
        self.machines
            .iter()
            .find(|m| m.j() == j)
            .unwrap()
            .share
            .as_ref()
            .unwrap()
    }

    fn secret_of(&self, j: TrusteeIndex) -> &TrusteeSecret {
        &self.machines.iter().find(|m| m.j() == j).unwrap().secret
    }

    /// The board file of what was accepted, with the exclusions.
    fn board_file(&self) -> BoardFile {
        let mut file = BoardFile::new(self.board.params());
        file.messages = self.messages.clone();
        file.exclusions = self.board.exclusions().iter().map(ExclusionEntry::from).collect();
        file
    }
}

/// `x` from `K` key shares (Lagrange at 0): only for checking the tests.
fn reconstruct(shares: &[&KeyShare]) -> Scalar {
    let q: Vec<TrusteeIndex> = shares.iter().map(|s| s.trustee).collect();
    lagrange_at_zero(&q)
        .iter()
        .zip(shares)
        .map(|(l, s)| l * *s.secret)
        .sum()
}

#[test]
fn three_trustees_with_threshold_two_complete_a_ceremony() {
    let mut c = Ceremony::registered(3, 2);
    let outcome = c.honest_attempt();
    assert_eq!(outcome.attempt, 1);
    assert_eq!(outcome.members.iter().map(|m| m.trustee).collect::<Vec<_>>(), [1, 2, 3]);
    // h = g^x, and any two key shares give x; each K_j = g^{x_j}.
    for pair in [[1, 2], [1, 3], [2, 3]] {
        let shares: Vec<&KeyShare> = pair.iter().map(|&j| c.share_of(j)).collect();
        assert_eq!(Element::from_point(g_pow(&reconstruct(&shares))), outcome.joint_key);
    }
    for m in &outcome.members {
        assert_eq!(
            Element::from_point(g_pow(&c.share_of(m.trustee).secret)),
            m.verification_key
        );
    }
    // Every finish names the same keys; the replayed board agrees.
    let replayed = replay(&c.board_file(), false).unwrap().board;
    assert_eq!(replayed.outcome(), Some(&outcome));
    // The ceremony takes nothing more.
    let late = c.secret_of(1).register(&mut OsRandom);
    assert!(c.board.post(&late).is_err());
}

#[test]
fn messages_out_of_turn_are_refused_and_not_logged() {
    let mut c = Ceremony::registered(3, 2);
    // A deal before every commit is in.
    c.machine(1).polynomial = Some(Polynomial::draw(1, 2, &mut OsRandom));
    let m = &c.machines[0];
    let commit = ceremony::commit(&m.secret, &c.board, m.polynomial.as_ref().unwrap()).unwrap();
    c.post(commit.clone());
    let early = c.deal(1);
    assert!(c
        .board
        .post(&early)
        .unwrap_err()
        .to_string()
        .contains("waiting for commit"));
    // The same round twice; another trustee's signature; another election.
    assert!(c
        .board
        .post(&commit)
        .unwrap_err()
        .to_string()
        .contains("already posted"));
    let mut forged = commit.clone();
    forged.trustee = 2;
    assert!(c.board.post(&forged).unwrap_err().to_string().contains("signature"));
    let mut elsewhere = commit;
    elsewhere.election = "00000000-0000-4000-8000-000000000000".into();
    assert!(c.board.post(&elsewhere).is_err());
    assert_eq!(c.board.awaiting(), [2, 3]);
}

/// Trustee `dealer`'s deal, with the share for `victim` replaced by one
/// that opens but does not match the commitments.
fn deal_with_wrong_share(c: &Ceremony, dealer: TrusteeIndex, victim: TrusteeIndex) -> Envelope {
    let honest = c.deal(dealer);
    let mut body: DealBody = serde_json::from_value(honest.body).unwrap();
    let m = c.machines.iter().find(|m| m.j() == dealer).unwrap();
    let wrong = *m.polynomial.as_ref().unwrap().evaluate(victim) + Scalar::ONE;
    let ctx = ShareContext {
        election: ELECTION,
        attempt: c.board.attempt(),
        dealer,
        recipient: victim,
    };
    let key = c.board.registration(victim).unwrap().encryption_key;
    let at = body.shares.iter().position(|s| s.to == victim).unwrap();
    body.shares[at] = share::seal(&ctx, &key, &wrong, &mut OsRandom);
    m.secret.sign(c.board.attempt(), Round::Deal, &body)
}

#[test]
fn a_share_that_does_not_match_its_commitments_names_its_dealer_and_the_restart_excludes_them() {
    let mut c = Ceremony::registered(3, 2);
    c.commit_all();
    let bad = deal_with_wrong_share(&c, 3, 1);
    for j in [1, 2] {
        let e = c.deal(j);
        c.post(e);
    }
    c.post(bad.clone());
    assert_eq!(c.board.phase(), Phase::Checking);
    // Trustee 2 got good shares; trustee 1 complains against 3, with proof.
    let (good, report) = c.check(2);
    assert!(report.bad.is_empty());
    c.post(good);
    let (complaint, report) = c.check(1);
    assert_eq!(report.good, [2]);
    assert_eq!(report.bad.len(), 1);
    assert_eq!(report.bad[0].0, 3);
    let accepted = c.post(complaint);
    assert_eq!(accepted.exclusions.len(), 1);
    let x = &accepted.exclusions[0];
    assert_eq!((x.attempt, x.trustee, x.rule), (1, 3, Rule::BadShare));
    // Attempt 2: trustees 1 and 2, fresh polynomials, complete.
    assert_eq!(c.board.attempt(), 2);
    assert_eq!(c.participants(), [1, 2]);
    assert!(c.board.post(&bad).unwrap_err().to_string().contains("excluded"));
    let outcome = c.honest_attempt();
    assert_eq!(outcome.attempt, 2);
    assert_eq!(outcome.members.len(), 2);
    let shares = [c.share_of(1), c.share_of(2)];
    assert_eq!(Element::from_point(g_pow(&reconstruct(&shares))), outcome.joint_key);
    // Anyone replaying the board reaches the same verdict.
    let replayed = replay(&c.board_file(), false).unwrap().board;
    assert_eq!(replayed.outcome(), Some(&outcome));
    assert_eq!(replayed.exclusions()[0].rule, Rule::BadShare);
}

#[test]
fn a_share_that_does_not_open_names_its_dealer() {
    let mut c = Ceremony::registered(3, 2);
    c.commit_all();
    let honest = c.deal(2);
    let mut body: DealBody = serde_json::from_value(honest.body).unwrap();
    body.shares[0].ciphertext.0[5] ^= 0x40; // the share to trustee 1
    let tampered = c.secret_of(2).sign(1, Round::Deal, &body);
    for j in [1, 3] {
        let e = c.deal(j);
        c.post(e);
    }
    c.post(tampered);
    let (complaint, report) = c.check(1);
    assert!(report.bad[0].1.contains("does not open"), "{report:?}");
    let accepted = c.post(complaint);
    assert_eq!(accepted.exclusions[0].trustee, 2);
    assert_eq!(accepted.exclusions[0].rule, Rule::BadShare);
}

/// A complaint by `accuser` against `dealer`, with the true shared secret
/// and a valid proof (so it stands or falls on the share itself).
fn complaint(c: &Ceremony, accuser: TrusteeIndex, dealer: TrusteeIndex) -> Complaint {
    let secret = c.secret_of(accuser);
    let key = secret.encryption_key();
    let sealed = c.board.deal(dealer).unwrap().shares[&accuser];
    let shared = share::shared_secret(&sealed.ephemeral, secret.encryption_secret());
    let statement = ComplaintStatement {
        election: ELECTION,
        attempt: c.board.attempt(),
        dealer,
        complainant: accuser,
        key: &key,
        ephemeral: &sealed.ephemeral,
        secret: &shared,
    };
    let proof = DleqProof::prove(secret.encryption_secret(), &sealed.ephemeral, &mut OsRandom, |a, b| {
        complaint_challenge(&statement, a, b)
    });
    Complaint {
        against: dealer,
        secret: shared,
        proof,
    }
}

#[test]
fn a_false_accuser_is_named_and_excluded() {
    let mut c = Ceremony::registered(3, 2);
    c.commit_all();
    c.deal_all();
    // Trustee 2 complains against trustee 1, whose share is good.
    let lie = complaint(&c, 2, 1);
    let e = c
        .secret_of(2)
        .sign(1, Round::Check, &CheckBody { complaints: vec![lie] });
    let accepted = c.post(e);
    assert_eq!(accepted.exclusions.len(), 1);
    let x = &accepted.exclusions[0];
    assert_eq!((x.trustee, x.rule), (2, Rule::FalseComplaint));
    assert!(x.detail.contains("opens and matches"), "{}", x.detail);
    assert_eq!(c.participants(), [1, 3]);
    c.honest_attempt();
}

#[test]
fn a_complaint_whose_proof_fails_names_its_author() {
    let mut c = Ceremony::registered(3, 2);
    c.commit_all();
    let bad = deal_with_wrong_share(&c, 1, 3);
    c.post(bad);
    for j in [2, 3] {
        let e = c.deal(j);
        c.post(e);
    }
    // Trustee 3 was wronged, but publishes a secret that is not the one.
    let mut wrong = complaint(&c, 3, 1);
    wrong.secret = Element::from_point(wrong.secret.point() + g_pow(&Scalar::ONE));
    let e = c.secret_of(3).sign(
        1,
        Round::Check,
        &CheckBody {
            complaints: vec![wrong],
        },
    );
    let accepted = c.post(e);
    assert_eq!(
        (accepted.exclusions[0].trustee, accepted.exclusions[0].rule),
        (3, Rule::FalseComplaint)
    );
    assert!(accepted.exclusions[0].detail.contains("proof that fails"));
}

#[test]
fn an_invalid_deal_excludes_its_dealer_at_once() {
    let mut c = Ceremony::registered(3, 2);
    c.commit_all();
    // Coefficients that are not those committed to.
    let honest = c.deal(2);
    let mut body: DealBody = serde_json::from_value(honest.body).unwrap();
    body.coefficients[1] = Element::from_point(g_pow(&int(5)));
    let e = c.secret_of(2).sign(1, Round::Deal, &body);
    let accepted = c.post(e);
    assert_eq!(
        (accepted.exclusions[0].trustee, accepted.exclusions[0].rule),
        (2, Rule::InvalidDeal)
    );
    assert!(accepted.exclusions[0].detail.contains("do not hash to its commitment"));
    // Attempt 2 without trustee 2; then a deal with a share missing.
    assert_eq!(c.participants(), [1, 3]);
    c.commit_all();
    let honest = c.deal(1);
    let mut body: DealBody = serde_json::from_value(honest.body).unwrap();
    body.shares.clear();
    let e = c.secret_of(1).sign(2, Round::Deal, &body);
    let accepted = c.post(e);
    assert!(accepted.exclusions[0].detail.contains("one for each of 3"));
    // Only trustee 3 is left: fewer than K, the ceremony fails.
    assert_eq!(c.board.phase(), Phase::Failed);
    assert!(c.board.failure().unwrap().contains("fewer than the threshold"));
}

#[test]
fn a_malformed_deal_is_an_invalid_deal() {
    let mut c = Ceremony::registered(3, 2);
    c.commit_all();
    let honest = c.deal(3);
    let mut body = honest.body.clone();
    body["shares"][0]["ephemeral"] = Value::String("00".repeat(32));
    let e = c.secret_of(3).sign(1, Round::Deal, &body);
    let accepted = c.post(e);
    assert!(
        accepted.exclusions[0].detail.contains("identity"),
        "{}",
        accepted.exclusions[0].detail
    );
    c.commit_all();
    let mut body = c.deal(1).body;
    body["shares"][0]["ephemeral"] = Value::String("zz".repeat(32));
    let e = c.secret_of(1).sign(2, Round::Deal, &body);
    let accepted = c.post(e);
    assert_eq!(accepted.exclusions[0].rule, Rule::InvalidDeal);
    assert!(
        accepted.exclusions[0].detail.contains("body.shares[0].ephemeral"),
        "{}",
        accepted.exclusions[0].detail
    );
}

#[test]
fn an_invalid_finish_excludes_its_sender() {
    let mut c = Ceremony::registered(4, 2);
    c.commit_all();
    c.deal_all();
    c.check_all();
    let m = c.machines.iter().find(|m| m.j() == 4).unwrap();
    let (_, honest) = ceremony::finish(&m.secret, &c.board, m.polynomial.as_ref().unwrap(), &mut OsRandom).unwrap();
    let mut body: FinishBody = serde_json::from_value(honest.body).unwrap();
    body.joint_key = Element::generator();
    let e = c.secret_of(4).sign(1, Round::Finish, &body);
    let accepted = c.post(e);
    assert_eq!(
        (accepted.exclusions[0].trustee, accepted.exclusions[0].rule),
        (4, Rule::InvalidFinish)
    );
    assert_eq!(c.board.attempt(), 2);
    let outcome = c.honest_attempt();
    assert_eq!(outcome.members.len(), 3);
}

#[test]
fn staff_can_exclude_an_absent_trustee_and_the_ceremony_goes_on() {
    let p = params(3, 2);
    let mut board = Board::new(p.clone());
    let secrets: Vec<TrusteeSecret> = p
        .indices()
        .map(|j| TrusteeSecret::generate(ELECTION, j, p.name(j).unwrap(), &mut OsRandom))
        .collect();
    let mut messages = Vec::new();
    for s in &secrets[..2] {
        let e = s.register(&mut OsRandom);
        board.post(&e).unwrap();
        messages.push(e);
    }
    assert_eq!(board.awaiting(), [3]);
    // Only an awaited trustee can be excluded as absent.
    assert!(board.exclude_absent(&[1], "staff@example.org").is_err());
    let excluded = board.exclude_absent(&[3], "staff@example.org").unwrap();
    assert_eq!(excluded[0].attempt, 0);
    assert_eq!(board.phase(), Phase::Committing);
    assert_eq!(board.participants(), [1, 2]);
    // The same through a board file: staff's exclusions are replayed at
    // the end of their attempt's messages.
    let mut file = BoardFile::new(&p);
    file.messages = messages;
    file.exclusions = board.exclusions().iter().map(ExclusionEntry::from).collect();
    let replayed = replay(&file, false).unwrap().board;
    assert_eq!(replayed.participants(), [1, 2]);
    // A board that claims an exclusion its messages do not show is refused.
    file.exclusions.push(ExclusionEntry {
        attempt: 1,
        trustee: 1,
        rule: "bad-share".into(),
        actor: None,
    });
    assert!(replay(&file, false).unwrap_err().contains("do not show it"));
}

// ---------------------------------------------------------------- decryption

/// The example election's three contests (directors 3 of 7, treasurer 1
/// of 2 without write-ins, a referendum): 12 options.
fn example_definition() -> Definition {
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
    let contest = |id: &str, seats, method, names: &[&str]| Contest {
        id: id.into(),
        title: id.into(),
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

/// Ballots of the example as counts per ciphertext (options then
/// indicator, per contest), with weights.
fn example_ballots() -> Vec<(Weight, Vec<u64>)> {
    let w = |s: &str| Weight::parse(s).unwrap();
    vec![
        // directors: 7 options + indicator; treasurer: 2 + 1; referendum: 3 + 1
        (w("1"), vec![1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1]),
        (w("2.5"), vec![0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1]),
        (w("1"), vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
        (w("0.5"), vec![1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1]),
    ]
}

/// The ballots encrypted under `h` and aggregated.
fn aggregate_of(h: &Element, ballots: &[(Weight, Vec<u64>)]) -> Aggregate {
    let key = EncryptionKey::new(*h).unwrap();
    let shape = BallotShape::of(&example_definition()).unwrap();
    let mut aggregator = Aggregator::new(&shape);
    for (weight, counts) in ballots {
        let cts: Vec<RawCiphertext> = counts
            .iter()
            .map(|&m| key.encrypt_raw(m, &random_scalar(&mut OsRandom)))
            .collect();
        aggregator.add(*weight, &cts).unwrap();
    }
    aggregator.finish().unwrap()
}

/// The totals the ballots should give: `Σ weight × 10^d × m` per option
/// and indicator-weight, the count of indicators per indicator-count.
fn expected_totals(ballots: &[(Weight, Vec<u64>)], d: u32) -> Vec<u64> {
    let scale = 10u64.pow(6 - d);
    let shape = BallotShape::of(&example_definition()).unwrap();
    let mut out = Vec::new();
    let mut index = 0;
    for contest in &shape.contests {
        for _ in &contest.options {
            out.push(ballots.iter().map(|(w, m)| w.micros() / scale * m[index]).sum());
            index += 1;
        }
        out.push(ballots.iter().map(|(w, m)| w.micros() / scale * m[index]).sum());
        out.push(ballots.iter().map(|(_, m)| m[index]).sum());
        index += 1;
    }
    out
}

const FP: Digest = Digest([7; 32]);

fn partials(c: &Ceremony, outcome: &Outcome, aggregate: &Aggregate, who: &[TrusteeIndex]) -> Vec<PartialDecryption> {
    who.iter()
        .map(|&j| {
            let e = partial_decrypt(c.secret_of(j), c.share_of(j), &FP, aggregate, &mut OsRandom);
            check_partial(outcome, &FP, aggregate, &e).unwrap()
        })
        .collect()
}

#[test]
fn the_weighted_tally_decrypts_to_the_exact_totals() {
    let mut c = Ceremony::registered(3, 2);
    let outcome = c.honest_attempt();
    let ballots = example_ballots();
    let aggregate = aggregate_of(&outcome.joint_key, &ballots);
    assert_eq!(aggregate.weight_decimals, 1);
    assert_eq!(aggregate.targets.len(), 12 + 6);
    assert_eq!(aggregate.targets[7].kind, TargetKind::IndicatorWeight);
    assert_eq!(aggregate.targets[8].kind, TargetKind::IndicatorCount);
    // Bounds: Σ e = 10 + 25 + 10 + 5 = 50, four ballots.
    assert_eq!(aggregate.targets[0].bound, 50);
    assert_eq!(aggregate.targets[8].bound, 4);
    let totals = combine(&outcome, &aggregate, &partials(&c, &outcome, &aggregate, &[3, 1])).unwrap();
    assert_eq!(totals.trustees, [1, 3]);
    let expected = expected_totals(&ballots, 1);
    assert_eq!(totals.values, expected);
    // Directors: Amara Okafor 1 + 0.5 = 1.5, i.e. 15 at d = 1.
    assert_eq!(totals.values[0], 15);
    // A verifier checks each total without searching.
    let lambdas = lagrange_at_zero(&totals.trustees);
    let ps = partials(&c, &outcome, &aggregate, &[1, 3]);
    for (n, t) in aggregate.targets.iter().enumerate() {
        let factors: Vec<&Element> = ps.iter().map(|p| &p.factors[n]).collect();
        assert!(total_holds(t, &lambdas, &factors, totals.values[n]));
        assert!(!total_holds(t, &lambdas, &factors, totals.values[n] + 1));
    }
}

#[test]
fn no_ballots_decrypt_to_zero() {
    let mut c = Ceremony::registered(3, 2);
    let outcome = c.honest_attempt();
    let aggregate = aggregate_of(&outcome.joint_key, &[]);
    assert!(aggregate.targets.iter().all(|t| t.alpha.is_identity() && t.bound == 0));
    let totals = combine(&outcome, &aggregate, &partials(&c, &outcome, &aggregate, &[2, 3])).unwrap();
    assert!(totals.values.iter().all(|&t| t == 0));
}

#[test]
fn lost_keys_up_to_n_minus_k_are_survivable() {
    // Five trustees, any three decrypt; two lost keys cost nothing.
    let mut c = Ceremony::registered(5, 3);
    let outcome = c.honest_attempt();
    let ballots = example_ballots();
    let aggregate = aggregate_of(&outcome.joint_key, &ballots);
    let expected = expected_totals(&ballots, 1);
    for who in [[1, 2, 3], [3, 4, 5], [1, 4, 5], [2, 3, 5]] {
        let totals = combine(&outcome, &aggregate, &partials(&c, &outcome, &aggregate, &who)).unwrap();
        assert_eq!(totals.values, expected, "trustees {who:?}");
    }
    // The K lowest of more than K accepted shares are used.
    let totals = combine(&outcome, &aggregate, &partials(&c, &outcome, &aggregate, &[5, 2, 4, 1])).unwrap();
    assert_eq!(totals.trustees, [1, 2, 4]);
    // K − 1 are not enough.
    let err = combine(&outcome, &aggregate, &partials(&c, &outcome, &aggregate, &[2, 5])).unwrap_err();
    assert!(err.to_string().contains("3 are needed"));
}

#[test]
fn a_wrong_partial_decryption_is_refused_and_named() {
    let mut c = Ceremony::registered(3, 2);
    let outcome = c.honest_attempt();
    let aggregate = aggregate_of(&outcome.joint_key, &example_ballots());
    let honest = partial_decrypt(c.secret_of(2), c.share_of(2), &FP, &aggregate, &mut OsRandom);
    let body: DecryptBody = serde_json::from_value(honest.body.clone()).unwrap();
    // A factor changed at target 4, proof kept.
    let mut wrong = body.clone();
    wrong.factors[4].factor = Element::from_point(wrong.factors[4].factor.point() + g_pow(&Scalar::ONE));
    let e = c.secret_of(2).sign(outcome.attempt, Round::Decrypt, &wrong);
    let refusal = check_partial(&outcome, &FP, &aggregate, &e).unwrap_err();
    assert_eq!(
        (refusal.trustee, refusal.reason, refusal.target),
        (2, RefusalReason::Proof, Some(4))
    );
    assert_eq!(refusal.reason.name(), "proof");
    // Another aggregate, a factor missing, another's signature, another election's fingerprint.
    let mut other = body.clone();
    other.aggregate = Digest([1; 32]);
    let e = c.secret_of(2).sign(outcome.attempt, Round::Decrypt, &other);
    assert_eq!(
        check_partial(&outcome, &FP, &aggregate, &e).unwrap_err().reason,
        RefusalReason::Aggregate
    );
    let mut short = body.clone();
    short.factors.pop();
    let e = c.secret_of(2).sign(outcome.attempt, Round::Decrypt, &short);
    assert_eq!(
        check_partial(&outcome, &FP, &aggregate, &e).unwrap_err().reason,
        RefusalReason::Count
    );
    let mut forged = honest.clone();
    forged.trustee = 1;
    assert_eq!(
        check_partial(&outcome, &FP, &aggregate, &forged).unwrap_err().reason,
        RefusalReason::Signature
    );
    assert_eq!(
        check_partial(&outcome, &Digest([8; 32]), &aggregate, &honest)
            .unwrap_err()
            .reason,
        RefusalReason::Aggregate
    );
    // A proof made by another trustee's key share for this one's factor.
    let mut borrowed = body;
    let theirs = partial_decrypt(c.secret_of(1), c.share_of(1), &FP, &aggregate, &mut OsRandom);
    let theirs: DecryptBody = serde_json::from_value(theirs.body).unwrap();
    borrowed.factors[0] = theirs.factors[0];
    let e = c.secret_of(2).sign(outcome.attempt, Round::Decrypt, &borrowed);
    let refusal = check_partial(&outcome, &FP, &aggregate, &e).unwrap_err();
    assert_eq!((refusal.reason, refusal.target), (RefusalReason::Proof, Some(0)));
    assert!(check_partial(&outcome, &FP, &aggregate, &honest).is_ok());
}

// ---------------------------------------------------------------- the CLI on files

fn audit(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_teller-audit"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Run `teller-audit trustee ARGS…`, expecting `code`; returns stderr.
fn trustee(code: i32, args: &[&Path]) -> String {
    let mut all: Vec<&std::ffi::OsStr> = vec!["trustee".as_ref()];
    all.extend(args.iter().map(|p| p.as_os_str()));
    let (got, out, err) = audit(&all);
    assert_eq!(got, code, "trustee {args:?}\nstdout: {out}\nstderr: {err}");
    err
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("teller-trustees-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn three_trustees_run_the_ceremony_and_decrypt_through_the_cli() {
    let root = fresh_dir("cli");
    let board = root.join("board");
    std::fs::create_dir_all(&board).unwrap();
    // Staff's board: three named trustees, K = 2; messages are dropped in
    // the folder as trustees upload them.
    let p = params(3, 2);
    std::fs::write(
        board.join("board.json"),
        serde_json::to_vec_pretty(&BoardFile::new(&p)).unwrap(),
    )
    .unwrap();
    let dirs: Vec<PathBuf> = (1..=3).map(|j| root.join(format!("trustee-{j}"))).collect();
    let msg = |name: String| board.join(format!("{name}.json"));
    for j in 1..=3u32 {
        let dir = &dirs[j as usize - 1];
        let n = j.to_string();
        let err = trustee(
            0,
            &[
                Path::new("keygen"),
                Path::new("--board"),
                &board,
                Path::new("--trustee"),
                Path::new(&n),
                Path::new("--dir"),
                dir,
                Path::new("--out"),
                &msg(format!("register-{j}")),
            ],
        );
        assert!(err.contains("Signing key fingerprint"), "{err}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("trustee.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
    // keygen again does not overwrite the secret file.
    let err = trustee(
        2,
        &[
            Path::new("keygen"),
            Path::new("--board"),
            &board,
            Path::new("--trustee"),
            Path::new("1"),
            Path::new("--dir"),
            &dirs[0],
        ],
    );
    assert!(err.contains("already registered"), "{err}");
    let round = |cmd: &str, j: usize, code: i32, out: String| {
        trustee(
            code,
            &[
                Path::new(cmd),
                Path::new("--board"),
                &board,
                Path::new("--dir"),
                &dirs[j - 1],
                Path::new("--out"),
                &msg(out),
            ],
        )
    };
    round("share", 1, 0, "commit-1".into());
    // Trustee 1 must wait for the others' commits before dealing.
    let err = round("share", 1, 1, "deal-1".into());
    assert!(
        err.contains("waiting for commit messages from trustee(s) 2, 3"),
        "{err}"
    );
    assert!(!msg("deal-1".into()).exists());
    for j in [2, 3] {
        round("share", j, 0, format!("commit-{j}"));
    }
    for j in 1..=3 {
        round("share", j, 0, format!("deal-{j}"));
    }
    for j in 1..=3 {
        let err = round("check", j, 0, format!("check-{j}"));
        assert!(err.contains("Good shares from trustee(s)"), "{err}");
    }
    for j in 1..=3 {
        let err = round("finish", j, 0, format!("finish-{j}"));
        assert!(err.contains("Erased"), "{err}");
        assert!(dirs[j - 1].join("attempt-1-key-share.json").exists());
        assert!(!dirs[j - 1].join("attempt-1-polynomial.json").exists());
    }
    // The board is complete; Teller would now open the polls.
    let (file, _) = teller_audit::trustees::files::read_board(&board).unwrap();
    let replayed = replay(&file, true).unwrap().board;
    let outcome = replayed.outcome().unwrap().clone();

    // Ballots cast with proofs, then the decryption request.
    let definition = example_definition();
    let shape = BallotShape::of(&definition).unwrap();
    let fp = teller_audit::trustees::cli::fingerprint(&definition, &replayed).unwrap();
    let key = EncryptionKey::new(outcome.joint_key).unwrap();
    let encrypter = Encrypter {
        election: ELECTION,
        fingerprint: fp,
        key: &key,
        shape: &shape,
    };
    let choices = |d: &[&str], t: &[&str], r: &[&str]| {
        let mut m = BTreeMap::new();
        m.insert(
            "directors".to_string(),
            d.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        m.insert("treasurer".to_string(), t.iter().map(|s| s.to_string()).collect());
        m.insert(
            "bylaw-amendment-7".to_string(),
            r.iter().map(|s| s.to_string()).collect(),
        );
        m
    };
    let cast = [
        (
            choices(&["amara-okafor", "priya-raman"], &["omar-haddad"], &["yes"]),
            "1",
        ),
        (choices(&["amara-okafor"], &[], &["no"]), "2.5"),
        (choices(&[], &["grace-whitfield"], &["yes"]), "1"),
    ];
    let ballots: Vec<EncryptedBallot> = cast
        .iter()
        .map(|(c, w)| {
            encrypter
                .encrypt(c, Weight::parse(w).unwrap(), &mut OsRandom)
                .unwrap()
                .0
        })
        .collect();
    let aggregate = teller_audit::trustees::decrypt::aggregate(&shape, &ballots).unwrap();
    let request = serde_json::json!({
        "format": "teller-decryption-request/1",
        "election": ELECTION,
        "definition": definition,
        "ballots": ballots,
        "aggregate": aggregate,
    });
    let request_path = root.join("request.json");
    std::fs::write(&request_path, serde_json::to_vec(&request).unwrap()).unwrap();
    let decrypt = |j: usize, code: i32, request: &Path| {
        trustee(
            code,
            &[
                Path::new("decrypt"),
                Path::new("--board"),
                &board,
                Path::new("--dir"),
                &dirs[j - 1],
                Path::new("--request"),
                request,
                Path::new("--out"),
                &root.join(format!("decrypt-{j}.json")),
            ],
        )
    };
    for j in [1, 3] {
        let err = decrypt(j, 0, &request_path);
        assert!(err.contains("Checked 3 ballot(s) and the 18 encrypted totals"), "{err}");
    }
    let accepted: Vec<PartialDecryption> = [1, 3]
        .iter()
        .map(|j| {
            let e: Envelope =
                serde_json::from_slice(&std::fs::read(root.join(format!("decrypt-{j}.json"))).unwrap()).unwrap();
            check_partial(&outcome, &fp, &aggregate, &e).unwrap()
        })
        .collect();
    let totals = combine(&outcome, &aggregate, &accepted).unwrap();
    // d = 1: Amara Okafor 1 + 2.5 = 3.5 → 35; "yes" 1 + 1 = 2 → 20; the
    // treasurer contest has 2 ballots cast, of weight 2 → 20.
    assert_eq!(totals.values[0], 35);
    assert_eq!(totals.values[13], 20);
    assert_eq!(totals.values[11..13], [20, 2]);

    // A request whose totals are not the ballots' is not decrypted.
    let mut tampered = request.clone();
    tampered["aggregate"]["targets"][0]["bound"] = 36.into();
    let tampered_path = root.join("tampered.json");
    std::fs::write(&tampered_path, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let err = decrypt(2, 2, &tampered_path);
    assert!(err.contains("differ from those the ballots give, at target 0"), "{err}");
    // Nor one with a replayed ballot.
    let mut replayed_ballot = request.clone();
    let first = replayed_ballot["ballots"][0].clone();
    replayed_ballot["ballots"].as_array_mut().unwrap().push(first);
    std::fs::write(&tampered_path, serde_json::to_vec(&replayed_ballot).unwrap()).unwrap();
    let err = decrypt(2, 2, &tampered_path);
    assert!(err.contains("replayed"), "{err}");
    // Nor one that passes off a single ballot as the aggregate: its
    // totals are that ballot's alone while it lists all three.
    let mut single = request.clone();
    single["aggregate"] =
        serde_json::to_value(teller_audit::trustees::decrypt::aggregate(&shape, &ballots[..1]).unwrap()).unwrap();
    std::fs::write(&tampered_path, serde_json::to_vec(&single).unwrap()).unwrap();
    let err = decrypt(2, 2, &tampered_path);
    assert!(err.contains("differ from those the ballots give, at target 0"), "{err}");
    // A ballot whose proof fails (its first option's beta is the
    // second's: the same shape, valid points, no alpha repeated) is
    // refused by position, naming the selection.
    let mut forged = request.clone();
    let beta = forged["ballots"][1]["contests"][0]["selections"][1]["beta"].clone();
    forged["ballots"][1]["contests"][0]["selections"][0]["beta"] = beta;
    std::fs::write(&tampered_path, serde_json::to_vec(&forged).unwrap()).unwrap();
    let err = decrypt(2, 2, &tampered_path);
    assert!(err.contains("ballot 1 (tracker"), "{err}");
    assert!(err.contains("contests[0]"), "{err}");
    // A download cut short is refused, not read as fewer ballots.
    let whole = serde_json::to_vec(&request).unwrap();
    let at = whole.windows(3).position(|w| w == b"},{").unwrap() + 1;
    std::fs::write(&tampered_path, &whole[..at]).unwrap();
    let err = decrypt(2, 2, &tampered_path);
    assert!(err.contains("is not a valid decryption request"), "{err}");
    assert!(!root.join("decrypt-2.json").exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_bad_dealer_is_excluded_and_the_cli_restarts_without_them() {
    let root = fresh_dir("restart");
    // In memory up to the deals, with trustee 3 dealing a bad share to 1;
    // then trustees on files from the check on.
    let mut c = Ceremony::registered(3, 2);
    c.commit_all();
    let bad = deal_with_wrong_share(&c, 3, 1);
    for j in [1, 2] {
        let e = c.deal(j);
        c.post(e);
    }
    c.post(bad);
    // Trustee 1's machine on disk.
    let dir = root.join("trustee-1");
    teller_audit::trustees::files::make_folder(&dir).unwrap();
    teller_audit::trustees::files::write_secret_file(&dir, c.secret_of(1)).unwrap();
    let board_path = root.join("board.json");
    std::fs::write(&board_path, serde_json::to_vec(&c.board_file()).unwrap()).unwrap();
    let out = root.join("check-1.json");
    let err = trustee(
        0,
        &[
            Path::new("check"),
            Path::new("--board"),
            &board_path,
            Path::new("--dir"),
            &dir,
            Path::new("--out"),
            &out,
        ],
    );
    assert!(err.contains("BAD share from trustee 3"), "{err}");
    let complaint: Envelope = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let accepted = c.post(complaint);
    assert_eq!(accepted.exclusions[0].rule, Rule::BadShare);
    std::fs::write(&board_path, serde_json::to_vec(&c.board_file()).unwrap()).unwrap();
    // Attempt 2: trustee 1 commits again, with a new polynomial.
    let out = root.join("commit-1.json");
    trustee(
        0,
        &[
            Path::new("share"),
            Path::new("--board"),
            &board_path,
            Path::new("--dir"),
            &dir,
            Path::new("--out"),
            &out,
        ],
    );
    let commit: Envelope = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((commit.attempt, commit.round), (2, Round::Commit));
    assert!(dir.join("attempt-2-polynomial.json").exists());
    let accepted = c.board.post(&commit).unwrap();
    assert!(accepted.exclusions.is_empty());
    let _ = std::fs::remove_dir_all(&root);
}

// ---------------------------------------------------------------- test vectors (§B)

#[path = "../examples/trustee_vectors.rs"]
mod trustee_vectors;

fn vector_file() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/trustee-vectors.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn scalar(v: &Value) -> Scalar {
    teller_audit::encrypted::group::scalar_from_hex(v.as_str().unwrap()).unwrap()
}

fn element(v: &Value) -> Element {
    Element::from_hex(v.as_str().unwrap()).unwrap()
}

#[test]
fn the_trustee_vectors_are_reproduced_byte_for_byte() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/trustee-vectors.json");
    let on_disk = std::fs::read_to_string(path).unwrap();
    assert!(
        trustee_vectors::text() == on_disk,
        "audit/conformance/trustee-vectors.json differs from the vectors computed now"
    );
}

#[test]
fn the_share_encryption_vectors_check_independently() {
    use teller_audit::encrypted::hash::test_scalar;
    let v = vector_file();
    for case in v["share-encryption"]["cases"].as_array().unwrap() {
        let i = &case["inputs"];
        let label = |name: &str| {
            let s = test_scalar(i[name]["label"].as_str().unwrap());
            assert_eq!(s, scalar(&i[name]["scalar"]), "{name}");
            s
        };
        let (d, y, s) = (label("recipient_secret"), label("y"), label("share"));
        let key = Element::from_point(g_pow(&d));
        assert_eq!(key, element(&i["recipient_key"]));
        let ctx = ShareContext {
            election: i["election"].as_str().unwrap(),
            attempt: i["attempt"].as_u64().unwrap() as u32,
            dealer: i["dealer"].as_u64().unwrap() as u32,
            recipient: i["recipient"].as_u64().unwrap() as u32,
        };
        let e = &case["expected"];
        // §16.3 step by step.
        let ephemeral = Element::from_point(g_pow(&y));
        assert_eq!(ephemeral, element(&e["ephemeral"]));
        let secret = Element::from_point(key.point() * y);
        assert_eq!(secret, element(&e["secret"]));
        assert_eq!(share::shared_secret(&ephemeral, &d), secret);
        let info = share::info(&ctx, &ephemeral, &key);
        assert_eq!(hex::encode(&info), e["info"].as_str().unwrap());
        assert_eq!(
            hex::encode(*share::derive_key(&secret, &info)),
            e["key"].as_str().unwrap()
        );
        let sealed: share::SealedShare = serde_json::from_value(e["sealed"].clone()).unwrap();
        assert_eq!(sealed, share::seal_with(&ctx, &key, &s, &y).sealed);
        assert_eq!(*share::open(&ctx, &d, &key, &sealed).unwrap(), s);
    }
    let first = &v["share-encryption"]["cases"][0]["inputs"];
    let d = scalar(&first["recipient_secret"]["scalar"]);
    let ctx = ShareContext {
        election: ELECTION,
        attempt: 1,
        dealer: 1,
        recipient: 2,
    };
    for refusal in v["share-encryption"]["refusals"].as_array().unwrap() {
        let sealed: share::SealedShare = serde_json::from_value(refusal["sealed"].clone()).unwrap();
        let err = share::open(&ctx, &d, &element(&first["recipient_key"]), &sealed).unwrap_err();
        let name = match err {
            share::OpenError::Tag => "tag",
            share::OpenError::IdentityEphemeral => "identity-ephemeral",
            share::OpenError::NonCanonical => "non-canonical",
        };
        assert_eq!(name, refusal["error"].as_str().unwrap());
    }
}

#[test]
fn the_ceremony_vector_checks_independently() {
    use teller_audit::trustees::envelope::public_key;
    let v = vector_file();
    let c = &v["ceremony"];
    // Each trustee's keys are its secrets'.
    let mut signing = BTreeMap::new();
    for s in c["secrets"].as_array().unwrap() {
        let mut seed = [0u8; 32];
        hex::decode_to_slice(s["signing_seed"].as_str().unwrap(), &mut seed).unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        assert_eq!(serde_json::to_value(public_key(&pair)).unwrap(), s["signing_key"]);
        assert_eq!(
            Element::from_point(g_pow(&scalar(&s["encryption_secret"]))),
            element(&s["encryption_key"])
        );
        signing.insert(s["trustee"].as_u64().unwrap() as u32, public_key(&pair));
    }
    for p in c["polynomials"].as_array().unwrap() {
        for (a, big_a) in p["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .zip(p["commitments"].as_array().unwrap())
        {
            assert_eq!(Element::from_point(g_pow(&scalar(a))), element(big_a));
        }
    }
    // Every message: its signed bytes, signature and digest.
    let mut file =
        BoardFile::new(&Parameters::new(ELECTION, 2, vec!["Ada".into(), "Grace".into(), "Hedy".into()]).unwrap());
    for m in c["messages"].as_array().unwrap() {
        let e: Envelope = serde_json::from_value(m["envelope"].clone()).unwrap();
        assert_eq!(
            String::from_utf8(e.signed_bytes()).unwrap(),
            m["signed"].as_str().unwrap()
        );
        assert!(e.signed_by(&signing[&e.trustee]));
        assert_eq!(serde_json::to_value(e.digest()).unwrap(), m["digest"]);
        file.messages.push(e);
    }
    // Replayed, the board excludes trustee 2 (bad-share) and completes in attempt 2.
    file.exclusions = serde_json::from_value(c["exclusions"].clone()).unwrap();
    let board = replay(&file, false).unwrap().board;
    assert_eq!(serde_json::to_value(board.roster().unwrap()).unwrap(), c["roster"]);
    let x = &board.exclusions()[0];
    assert_eq!((x.attempt, x.trustee, x.rule), (1, 2, Rule::BadShare));
    let outcome = board.outcome().unwrap();
    assert_eq!(outcome.attempt, 2);
    assert_eq!(outcome.joint_key, element(&c["completed"]["joint_key"]));
    let keys: Vec<Value> = outcome
        .members
        .iter()
        .map(|m| serde_json::json!({"trustee": m.trustee, "key": m.verification_key}))
        .collect();
    assert_eq!(Value::Array(keys), c["completed"]["verification_keys"]);
    // The key shares give the keys, and together the joint key.
    let mut shares = Vec::new();
    for s in c["key_shares"].as_array().unwrap() {
        let x = scalar(&s["key_share"]);
        assert_eq!(Element::from_point(g_pow(&x)), element(&s["verification_key"]));
        shares.push((s["trustee"].as_u64().unwrap() as u32, x));
    }
    let q: Vec<u32> = shares.iter().map(|(j, _)| *j).collect();
    let x: Scalar = lagrange_at_zero(&q).iter().zip(&shares).map(|(l, (_, s))| l * s).sum();
    assert_eq!(Element::from_point(g_pow(&x)), outcome.joint_key);
    // The fingerprint, from its framed bytes.
    let definition: Definition = serde_json::from_value(c["fingerprint"]["definition"].clone()).unwrap();
    assert_eq!(
        serde_json::to_value(definition.hash()).unwrap(),
        c["fingerprint"]["definition_hash"]
    );
    let framed = hex::decode(c["fingerprint"]["framed"].as_str().unwrap()).unwrap();
    assert_eq!(
        serde_json::to_value(Digest::of(&framed)).unwrap(),
        c["fingerprint"]["fingerprint"]
    );
    let fp = teller_audit::trustees::cli::fingerprint(&definition, &board).unwrap();
    assert_eq!(serde_json::to_value(fp).unwrap(), c["fingerprint"]["fingerprint"]);
}

#[test]
fn the_decryption_vector_checks_independently() {
    use teller_audit::encrypted::hash::test_scalar;
    let v = vector_file();
    let (c, d) = (&v["ceremony"], &v["decryption"]);
    let h = element(&c["completed"]["joint_key"]);
    let key = EncryptionKey::new(h).unwrap();
    let fp: Digest = serde_json::from_value(d["fingerprint"].clone()).unwrap();
    assert_eq!(d["fingerprint"], c["fingerprint"]["fingerprint"]);
    // Each ballot's ciphertexts from their labelled randomness, aggregated.
    let definition: Definition = serde_json::from_value(c["fingerprint"]["definition"].clone()).unwrap();
    let mut aggregator = Aggregator::new(&BallotShape::of(&definition).unwrap());
    for (n, b) in d["ballots"].as_array().unwrap().iter().enumerate() {
        let cts: Vec<RawCiphertext> = b["counts"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, m)| {
                key.encrypt_raw(
                    m.as_u64().unwrap(),
                    &test_scalar(&format!("decryption/ballot-{n}/ciphertext-{i}")),
                )
            })
            .collect();
        let listed: Vec<Value> = cts.iter().map(|c| serde_json::to_value(c.encode()).unwrap()).collect();
        assert_eq!(Value::Array(listed), b["ciphertexts"]);
        aggregator
            .add(Weight::parse(b["weight"].as_str().unwrap()).unwrap(), &cts)
            .unwrap();
    }
    let aggregate: Aggregate = serde_json::from_value(d["aggregate"].clone()).unwrap();
    assert_eq!(aggregator.finish().unwrap(), aggregate);
    assert_eq!(
        serde_json::to_value(aggregate.digest(&fp)).unwrap(),
        d["aggregate_digest"]
    );
    // The ceremony's outcome, from the ceremony vector's messages.
    let mut file =
        BoardFile::new(&Parameters::new(ELECTION, 2, vec!["Ada".into(), "Grace".into(), "Hedy".into()]).unwrap());
    file.messages = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_value(m["envelope"].clone()).unwrap())
        .collect();
    let board = replay(&file, false).unwrap().board;
    let outcome = board.outcome().unwrap();
    let partials: Vec<PartialDecryption> = d["decryptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let e: Envelope = serde_json::from_value(m["envelope"].clone()).unwrap();
            assert_eq!(serde_json::to_value(e.digest()).unwrap(), m["digest"]);
            check_partial(outcome, &fp, &aggregate, &e).unwrap()
        })
        .collect();
    let lambdas = lagrange_at_zero(&[1, 3]);
    for (l, listed) in lambdas.iter().zip(d["lagrange"].as_array().unwrap()) {
        assert_eq!(*l, scalar(&listed["lambda"]));
    }
    // λ₁ = 3/(3−1), λ₃ = 1/(1−3).
    assert_eq!(lambdas[0] * int(2), int(3));
    assert_eq!(lambdas[1] * -int(2), int(1));
    for (n, (t, combined)) in aggregate
        .targets
        .iter()
        .zip(d["combined"].as_array().unwrap())
        .enumerate()
    {
        let value = d["totals"][n].as_u64().unwrap();
        assert_eq!(combined["t"].as_u64().unwrap(), value);
        let factors: Vec<&Element> = partials.iter().map(|p| &p.factors[n]).collect();
        assert!(total_holds(t, &lambdas, &factors, value));
        assert_eq!(element(&combined["T"]), Element::from_point(g_pow(&int(value))));
        assert_eq!(
            Element::from_point(t.beta.point() - element(&combined["T"]).point()),
            element(&combined["M"])
        );
    }
    assert_eq!(d["totals"], serde_json::json!([15, 25, 10, 50, 4, 15, 10, 25, 40, 3]));
}
