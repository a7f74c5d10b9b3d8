//! What the server checks when an encrypted ballot is cast
//! (FORMAT.md §15.7), each refusal named.
//!
//! In this order:
//!
//! 1. strict reading ([`read_ballot`] and the `format` string, check
//!    `format`) and the shape of §14.11 for the election's definition
//!    (`ballot-shape`: contests, options, branch counts);
//! 2. `election` (`ballot-election`), `fingerprint` (`ballot-fingerprint`)
//!    and `weight` (`ballot-weight`) are this election's and the member's;
//! 3. no `alpha` is the identity (`ballot-elements`; every element already
//!    decoded in step 1);
//! 4. no `alpha` appears twice in the ballot or in any stored cast or audited
//!    ballot (`ballot-duplicates`);
//! 5. every selection and contest proof verifies, batched per ballot
//!    (`ballot-proofs`);
//! 6. the tracker is not an audited ballot's (`ballot-audited`).
//!
//! [`CastContext::check_cast`] runs them all, asking a [`CastStore`] for
//! what only the database knows; the steps are public too, for a server
//! that looks things up between them.

use std::collections::HashSet;

use super::ballot::{BallotShape, EncryptedBallot, ENCRYPTED_BALLOT_FORMAT};
use super::batch::{Bases, Batch, Equations};
use super::group::{Element, RandomSource};
use super::proofs::{ContestStatement, ProofError, SelectionStatement};
use crate::count::Weight;
use crate::crypto::Digest;

/// Why a cast is refused: one variant per rule of §15.7, each with the
/// name of its check ([`CastRefusal::check`]) and the JSON path at fault
/// where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CastRefusal {
    /// Rule 1: the ballot is not read strictly (bad JSON, an unknown or
    /// missing member, an element or scalar that does not decode).
    #[error("{path}: {message}")]
    Format {
        /// The JSON path of the value at fault.
        path: String,
        /// What was expected and found.
        message: String,
    },
    /// Rule 1: the ballot does not have the shape of this election's
    /// definition.
    #[error("{path}: {message}")]
    Shape {
        /// The JSON path of the value at fault.
        path: String,
        /// What was expected and found.
        message: String,
    },
    /// Rule 2: the ballot names another election.
    #[error("the ballot is for election {found}, not this one")]
    Election {
        /// The election the ballot names.
        found: String,
    },
    /// Rule 2: the fingerprint is not this election's.
    #[error("the ballot's fingerprint {found} is not this election's ({expected})")]
    Fingerprint {
        /// This election's fingerprint.
        expected: Digest,
        /// The ballot's.
        found: Digest,
    },
    /// Rule 2: the weight is not the member's.
    #[error("the ballot's weight {found} is not the member's weight {expected}")]
    Weight {
        /// The member's weight from the roll.
        expected: Weight,
        /// The ballot's.
        found: Weight,
    },
    /// Rule 3: an `alpha` is the identity.
    #[error("{path} is the identity element")]
    Identity {
        /// The JSON path of the `alpha`.
        path: String,
    },
    /// Rule 4: an `alpha` appears twice in the ballot, or is already in a
    /// stored cast or audited ballot: a replayed ciphertext.
    #[error("{path} is an alpha already used ({found_in})")]
    Duplicate {
        /// The JSON path of the `alpha`.
        path: String,
        /// `"in this ballot"` or `"by a stored ballot"`.
        found_in: &'static str,
    },
    /// Rule 5: a proof does not verify.
    #[error("{path}: {error}")]
    Proof {
        /// The JSON path of the proof.
        path: String,
        /// Why.
        error: ProofError,
    },
    /// Rule 6: this ballot was audited, so its content is public.
    #[error("this ballot ({tracker}) was audited, so it cannot be cast; encrypt again")]
    Audited {
        /// Its tracker.
        tracker: Digest,
    },
}

impl CastRefusal {
    /// The name of the check that refuses, as the API's 422 and the test
    /// vectors spell it.
    pub fn check(&self) -> &'static str {
        match self {
            CastRefusal::Format { .. } => "format",
            CastRefusal::Shape { .. } => "ballot-shape",
            CastRefusal::Election { .. } => "ballot-election",
            CastRefusal::Fingerprint { .. } => "ballot-fingerprint",
            CastRefusal::Weight { .. } => "ballot-weight",
            CastRefusal::Identity { .. } => "ballot-elements",
            CastRefusal::Duplicate { .. } => "ballot-duplicates",
            CastRefusal::Proof { .. } => "ballot-proofs",
            CastRefusal::Audited { .. } => "ballot-audited",
        }
    }

    /// The JSON path at fault, if the refusal has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            CastRefusal::Format { path, .. }
            | CastRefusal::Shape { path, .. }
            | CastRefusal::Identity { path }
            | CastRefusal::Duplicate { path, .. }
            | CastRefusal::Proof { path, .. } => Some(path),
            CastRefusal::Election { .. } => Some("election"),
            CastRefusal::Fingerprint { .. } => Some("fingerprint"),
            CastRefusal::Weight { .. } => Some("weight"),
            CastRefusal::Audited { .. } => None,
        }
    }
}

/// Read an encrypted ballot strictly (FORMAT.md §1): well-formed JSON with
/// nothing after it, no unknown, missing or repeated member, canonical hex,
/// and every element and scalar decoded (§14.2–§14.3). A failure names the
/// JSON path.
pub fn read_ballot(bytes: &[u8]) -> Result<EncryptedBallot, CastRefusal> {
    // The fast path reads without tracking paths; only a ballot that fails
    // is read again, to name the path at fault.
    serde_json::from_slice(bytes).or_else(|_| {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let ballot: EncryptedBallot = serde_path_to_error::deserialize(&mut de).map_err(|e| CastRefusal::Format {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })?;
        de.end().map_err(|e| CastRefusal::Format {
            path: ".".into(),
            message: e.to_string(),
        })?;
        Ok(ballot)
    })
}

/// What only the server's database knows (rules 4 and 6).
pub trait CastStore {
    /// The index in `alphas` of one that a stored cast or audited ballot
    /// of this election already has, if any.
    fn stored_alpha(&self, alphas: &[Element]) -> Option<usize>;
    /// Whether `tracker` is an audited ballot's.
    fn audited(&self, tracker: &Digest) -> bool;
}

/// A store with nothing in it: for checking a ballot on its own.
#[derive(Debug, Default, Clone, Copy)]
pub struct EmptyStore;

impl CastStore for EmptyStore {
    fn stored_alpha(&self, _: &[Element]) -> Option<usize> {
        None
    }
    fn audited(&self, _: &Digest) -> bool {
        false
    }
}

/// One election, as the cast checks need it.
pub struct CastContext<'a> {
    /// The election id.
    pub election: &'a str,
    /// The election fingerprint (logged when the polls opened).
    pub fingerprint: Digest,
    /// The contests and their limits (§14.8).
    pub shape: &'a BallotShape,
    /// `g` and the joint key `h`.
    pub bases: &'a Bases,
}

/// Which proof of a ballot.
#[derive(Debug, Clone, Copy)]
enum ProofAt {
    Selection(usize, usize),
    Contest(usize),
}

impl ProofAt {
    fn path(self) -> String {
        match self {
            ProofAt::Selection(i, j) => format!("contests[{i}].selections[{j}].proof"),
            ProofAt::Contest(i) => format!("contests[{i}].proof"),
        }
    }
}

impl CastContext<'_> {
    /// Every rule of §15.7, in order; the tracker of the ballot when it
    /// may be cast. `weight` is the token's member's; `rng` draws the batch
    /// weights ([`super::group::OsRandom`]).
    pub fn check_cast(
        &self,
        ballot: &EncryptedBallot,
        weight: Weight,
        store: &dyn CastStore,
        rng: &mut dyn RandomSource,
    ) -> Result<Digest, CastRefusal> {
        self.check_ballot(ballot, weight)?;
        let alphas = ballot.alphas();
        let elements: Vec<Element> = alphas.iter().map(|(_, a)| *a).collect();
        if let Some(i) = store.stored_alpha(&elements) {
            let path = alphas.get(i).map(|(p, _)| p.clone()).unwrap_or_default();
            return Err(CastRefusal::Duplicate {
                path,
                found_in: "by a stored ballot",
            });
        }
        self.check_proofs(ballot, rng)?;
        let tracker = ballot.tracker();
        if store.audited(&tracker) {
            return Err(CastRefusal::Audited { tracker });
        }
        Ok(tracker)
    }

    /// Rules 1 (shape), 2, 3, and the part of 4 that needs no store: no
    /// `alpha` twice within the ballot.
    pub fn check_ballot(&self, ballot: &EncryptedBallot, weight: Weight) -> Result<(), CastRefusal> {
        self.check_shape(ballot)?;
        if ballot.election != self.election {
            return Err(CastRefusal::Election {
                found: ballot.election.clone(),
            });
        }
        if ballot.fingerprint != self.fingerprint {
            return Err(CastRefusal::Fingerprint {
                expected: self.fingerprint,
                found: ballot.fingerprint,
            });
        }
        if ballot.weight != weight {
            return Err(CastRefusal::Weight {
                expected: weight,
                found: ballot.weight,
            });
        }
        let alphas = ballot.alphas();
        if let Some((path, _)) = alphas.iter().find(|(_, a)| a.is_identity()) {
            return Err(CastRefusal::Identity { path: path.clone() });
        }
        let mut seen = HashSet::with_capacity(alphas.len());
        for (path, alpha) in &alphas {
            if !seen.insert(alpha.as_bytes()) {
                return Err(CastRefusal::Duplicate {
                    path: path.clone(),
                    found_in: "in this ballot",
                });
            }
        }
        Ok(())
    }

    /// Rule 1's shape: the format string (refused as `format`), one contest per contest of the
    /// definition in order, one selection per option in order, and the
    /// branch counts `p + 1` and `L + 1`.
    pub fn check_shape(&self, ballot: &EncryptedBallot) -> Result<(), CastRefusal> {
        let shape_err = |path: String, message: String| Err(CastRefusal::Shape { path, message });
        if ballot.format != ENCRYPTED_BALLOT_FORMAT {
            // An enumerated string that is not one of its values: strict
            // reading (FORMAT.md §1, rule 6).
            return Err(CastRefusal::Format {
                path: "format".into(),
                message: format!("expected {ENCRYPTED_BALLOT_FORMAT:?}, found {:?}", ballot.format),
            });
        }
        if ballot.contests.len() != self.shape.contests.len() {
            return shape_err(
                "contests".into(),
                format!(
                    "expected {} contests, found {}",
                    self.shape.contests.len(),
                    ballot.contests.len()
                ),
            );
        }
        for (i, (contest, shape)) in ballot.contests.iter().zip(&self.shape.contests).enumerate() {
            if contest.contest != shape.id {
                return shape_err(
                    format!("contests[{i}].contest"),
                    format!("expected {:?}, found {:?}", shape.id, contest.contest),
                );
            }
            if contest.selections.len() != shape.options.len() {
                return shape_err(
                    format!("contests[{i}].selections"),
                    format!(
                        "expected {} options, found {}",
                        shape.options.len(),
                        contest.selections.len()
                    ),
                );
            }
            for (j, (selection, option)) in contest.selections.iter().zip(&shape.options).enumerate() {
                if &selection.option != option {
                    return shape_err(
                        format!("contests[{i}].selections[{j}].option"),
                        format!("expected {option:?}, found {:?}", selection.option),
                    );
                }
                let expected = shape.per_option as usize + 1;
                if selection.proof.branches.len() != expected {
                    return shape_err(
                        format!("contests[{i}].selections[{j}].proof"),
                        format!("expected {expected} branches, found {}", selection.proof.branches.len()),
                    );
                }
            }
            let expected = shape.limit as usize + 1;
            if contest.proof.branches.len() != expected {
                return shape_err(
                    format!("contests[{i}].proof"),
                    format!("expected {expected} branches, found {}", contest.proof.branches.len()),
                );
            }
        }
        Ok(())
    }

    /// Rule 5, batched: every proof's own checks and challenge, then all
    /// their equations in one random-weighted check. A failing batch is
    /// checked proof by proof to name the first at fault. Assumes
    /// [`CastContext::check_shape`] passed.
    pub fn check_proofs(&self, ballot: &EncryptedBallot, rng: &mut dyn RandomSource) -> Result<(), CastRefusal> {
        let mut batch = Batch::new(self.bases);
        for (at, equations) in self.proof_equations(ballot)? {
            batch.push(at, equations);
        }
        match batch.verify(rng) {
            Ok(()) => Ok(()),
            Err(failing) => {
                let at = failing.first().copied().unwrap_or(ProofAt::Contest(0));
                Err(CastRefusal::Proof {
                    path: at.path(),
                    error: self
                        .verify_one(ballot, at)
                        .err()
                        .unwrap_or(ProofError::Equation { branch: 0 }),
                })
            }
        }
    }

    /// Every proof's own checks and challenge (rule 5's part that needs no
    /// group arithmetic beyond decoding), then all the ballot's equations,
    /// for a caller that checks them in a batch with other ballots'
    /// (§15.6): the server batches the casts that arrive together, the
    /// verifier a record's ballots by the hundred. If the
    /// batch fails, [`CastContext::check_proofs_unbatched`] names the proof
    /// at fault. Assumes [`CastContext::check_shape`] passed.
    pub fn ballot_equations(&self, ballot: &EncryptedBallot) -> Result<Equations, CastRefusal> {
        let mut all = Equations::new();
        for (_, equations) in self.proof_equations(ballot)? {
            all.append(equations);
        }
        Ok(all)
    }

    /// Rule 5 without batching: each proof checked on its own, in ballot
    /// order. The same verdict as [`CastContext::check_proofs`], slower.
    pub fn check_proofs_unbatched(&self, ballot: &EncryptedBallot) -> Result<(), CastRefusal> {
        for at in proofs_of(ballot) {
            self.verify_one(ballot, at)
                .map_err(|error| CastRefusal::Proof { path: at.path(), error })?;
        }
        Ok(())
    }

    fn proof_equations(&self, ballot: &EncryptedBallot) -> Result<Vec<(ProofAt, Equations)>, CastRefusal> {
        proofs_of(ballot)
            .map(|at| {
                self.equations_of(ballot, at)
                    .map(|e| (at, e))
                    .map_err(|error| CastRefusal::Proof { path: at.path(), error })
            })
            .collect()
    }

    fn equations_of(&self, ballot: &EncryptedBallot, at: ProofAt) -> Result<Equations, ProofError> {
        match at {
            ProofAt::Selection(i, j) => {
                let (contest, shape) = (&ballot.contests[i], &self.shape.contests[i]);
                let selection = &contest.selections[j];
                let ciphertext = selection.ciphertext();
                SelectionStatement {
                    fingerprint: &self.fingerprint,
                    nonce: &ballot.nonce,
                    contest: &contest.contest,
                    option: &selection.option,
                    max: shape.per_option,
                    ciphertext: &ciphertext,
                }
                .equations(&selection.proof)
            }
            ProofAt::Contest(i) => {
                let (contest, shape) = (&ballot.contests[i], &self.shape.contests[i]);
                let sum = contest.sum();
                ContestStatement {
                    fingerprint: &self.fingerprint,
                    nonce: &ballot.nonce,
                    contest: &contest.contest,
                    limit: shape.limit,
                    indicator: &contest.indicator,
                    sum: &sum,
                }
                .equations(&contest.proof)
            }
        }
    }

    fn verify_one(&self, ballot: &EncryptedBallot, at: ProofAt) -> Result<(), ProofError> {
        let equations = self.equations_of(ballot, at)?;
        let per_branch = match at {
            ProofAt::Selection(..) => 2,
            ProofAt::Contest(_) => 4,
        };
        match equations.first_failing(self.bases) {
            Some(i) => Err(ProofError::Equation { branch: i / per_branch }),
            None => Ok(()),
        }
    }
}

/// Every proof of the ballot, in ballot order: each contest's selections,
/// then its contest proof.
fn proofs_of(ballot: &EncryptedBallot) -> impl Iterator<Item = ProofAt> + '_ {
    ballot.contests.iter().enumerate().flat_map(|(i, c)| {
        (0..c.selections.len())
            .map(move |j| ProofAt::Selection(i, j))
            .chain(std::iter::once(ProofAt::Contest(i)))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::crypto::Nonce;
    use crate::definition::{Candidate, Contest, Definition, Method, Threshold};
    use crate::encrypted::ballot::{EncryptedSelection, Encrypter};
    use crate::encrypted::elgamal::EncryptionKey;
    use crate::encrypted::fingerprint::FingerprintInput;
    use crate::encrypted::group::{g_pow, random_scalar, OsRandom};
    use crate::encrypted::nonces::{indicator_randomness, option_randomness, BallotSeed};
    use crate::encrypted::proofs::{ContestStatement, SelectionStatement};

    const ELECTION: &str = "2a6f16d2-c738-4ef1-8402-71c1bfa25a25";

    struct Election {
        key: EncryptionKey,
        bases: Bases,
        shape: BallotShape,
        fp: Digest,
    }

    fn election() -> Election {
        let candidate = |id: &str| Candidate {
            id: id.into(),
            name: id.to_uppercase(),
            statement: String::new(),
        };
        let definition = Definition {
            title: "t".into(),
            description: String::new(),
            contests: vec![
                Contest {
                    id: "directors".into(),
                    title: "Directors".into(),
                    description: String::new(),
                    seats: 2,
                    candidates: ["c0", "c1", "c2", "c3"].map(candidate).to_vec(),
                    method: Method::Plurality {
                        majority_required: false,
                        write_ins: false,
                    },
                },
                Contest {
                    id: "bylaw".into(),
                    title: "Bylaw".into(),
                    description: String::new(),
                    seats: 1,
                    candidates: vec![],
                    method: Method::Referendum {
                        threshold: Threshold::TWO_THIRDS,
                    },
                },
            ],
        };
        let x = random_scalar(&mut OsRandom);
        let h = Element::from_point(g_pow(&x));
        let fp = FingerprintInput {
            election: ELECTION,
            definition_hash: definition.hash(),
            threshold: 2,
            joint_key: h,
            verification_keys: &[],
        }
        .fingerprint();
        Election {
            key: EncryptionKey::new(h).unwrap(),
            bases: Bases::new(&h),
            shape: BallotShape::of(&definition).unwrap(),
            fp,
        }
    }

    impl Election {
        fn encrypter(&self) -> Encrypter<'_> {
            Encrypter {
                election: ELECTION,
                fingerprint: self.fp,
                key: &self.key,
                shape: &self.shape,
            }
        }

        fn context(&self) -> CastContext<'_> {
            CastContext {
                election: ELECTION,
                fingerprint: self.fp,
                shape: &self.shape,
                bases: &self.bases,
            }
        }

        fn ballot(&self, directors: &[&str]) -> (EncryptedBallot, BallotSeed) {
            let choices = BTreeMap::from([
                (
                    "directors".to_string(),
                    directors.iter().map(|s| s.to_string()).collect(),
                ),
                ("bylaw".to_string(), vec!["yes".to_string()]),
            ]);
            self.encrypter().encrypt(&choices, Weight::ONE, &mut OsRandom).unwrap()
        }

        fn check(&self, ballot: &EncryptedBallot, store: &dyn CastStore) -> Result<Digest, CastRefusal> {
            self.context().check_cast(ballot, Weight::ONE, store, &mut OsRandom)
        }
    }

    #[derive(Default)]
    struct Store {
        alphas: HashSet<Element>,
        audited: HashSet<Digest>,
    }

    impl CastStore for Store {
        fn stored_alpha(&self, alphas: &[Element]) -> Option<usize> {
            alphas.iter().position(|a| self.alphas.contains(a))
        }
        fn audited(&self, tracker: &Digest) -> bool {
            self.audited.contains(tracker)
        }
    }

    fn refusal(result: Result<Digest, CastRefusal>) -> (&'static str, String) {
        let r = result.unwrap_err();
        (r.check(), r.path().unwrap_or("").to_string())
    }

    #[test]
    fn an_honest_ballot_is_accepted_batched_and_unbatched() {
        let e = election();
        for chosen in [&[][..], &["c1"], &["c3", "c0"]] {
            let (ballot, _) = e.ballot(chosen);
            assert_eq!(e.check(&ballot, &EmptyStore), Ok(ballot.tracker()));
            assert_eq!(e.context().check_proofs_unbatched(&ballot), Ok(()));
            let json = serde_json::to_vec(&ballot).unwrap();
            assert_eq!(read_ballot(&json).unwrap(), ballot);
        }
    }

    #[test]
    fn a_malformed_point_is_refused_at_reading_naming_its_path() {
        let e = election();
        let (ballot, _) = e.ballot(&["c1"]);
        let mut json = serde_json::to_value(&ballot).unwrap();
        json["contests"][0]["selections"][1]["alpha"] = format!("ed{}7f", "ff".repeat(30)).into();
        let err = read_ballot(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert_eq!(err.check(), "format");
        assert_eq!(err.path(), Some("contests[0].selections[1].alpha"));
        assert!(err.to_string().contains("non-canonical"), "{err}");
        let mut json = serde_json::to_value(&ballot).unwrap();
        json["contests"][1]["proof"][0]["v1"] = "ff".repeat(32).into();
        let err = read_ballot(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert_eq!(err.path(), Some("contests[1].proof[0].v1"));
        assert!(read_ballot(b"{} x").is_err());
    }

    #[test]
    fn a_ballot_for_another_election_is_refused() {
        let e = election();
        let (mut ballot, _) = e.ballot(&["c1"]);
        ballot.election = "00000000-0000-4000-8000-000000000000".into();
        assert_eq!(refusal(e.check(&ballot, &EmptyStore)).0, "ballot-election");

        let (mut ballot, _) = e.ballot(&["c1"]);
        ballot.fingerprint = Digest::of(b"other");
        assert_eq!(refusal(e.check(&ballot, &EmptyStore)).0, "ballot-fingerprint");

        // Proved under another election's fingerprint, then relabelled.
        let other = Encrypter {
            fingerprint: Digest::of(b"other"),
            ..e.encrypter()
        };
        let choices = BTreeMap::from([
            ("directors".to_string(), vec!["c1".to_string()]),
            ("bylaw".to_string(), vec![]),
        ]);
        let (mut ballot, _) = other.encrypt(&choices, Weight::ONE, &mut OsRandom).unwrap();
        ballot.fingerprint = e.fp;
        let err = e.check(&ballot, &EmptyStore).unwrap_err();
        assert_eq!(err.check(), "ballot-proofs");
        assert_eq!(err.path(), Some("contests[0].selections[0].proof"));
        assert!(matches!(
            err,
            CastRefusal::Proof {
                error: ProofError::Challenge,
                ..
            }
        ));
    }

    #[test]
    fn a_proof_for_another_option_or_ballot_nonce_is_refused() {
        let e = election();
        let (mut ballot, _) = e.ballot(&["c1"]);
        let selections = &mut ballot.contests[0].selections;
        let (first, second) = (selections[0].clone(), selections[1].clone());
        selections[0] = EncryptedSelection {
            option: first.option,
            ..second
        };
        selections[1] = EncryptedSelection {
            option: second.option,
            ..first
        };
        assert_eq!(
            refusal(e.check(&ballot, &EmptyStore)),
            ("ballot-proofs", "contests[0].selections[0].proof".into())
        );

        let (mut ballot, _) = e.ballot(&["c1"]);
        ballot.nonce = Nonce([0; 16]);
        assert_eq!(
            refusal(e.check(&ballot, &EmptyStore)),
            ("ballot-proofs", "contests[0].selections[0].proof".into())
        );
    }

    #[test]
    fn a_branch_count_off_by_one_is_refused_as_shape() {
        let e = election();
        let (mut ballot, _) = e.ballot(&["c1"]);
        ballot.contests[0].selections[2].proof.branches.pop();
        assert_eq!(
            refusal(e.check(&ballot, &EmptyStore)),
            ("ballot-shape", "contests[0].selections[2].proof".into())
        );
        let (mut ballot, _) = e.ballot(&["c1"]);
        let extra = ballot.contests[1].proof.branches[0];
        ballot.contests[1].proof.branches.push(extra);
        assert_eq!(
            refusal(e.check(&ballot, &EmptyStore)),
            ("ballot-shape", "contests[1].proof".into())
        );
    }

    #[test]
    fn a_replayed_alpha_is_refused() {
        let e = election();
        let (victim, _) = e.ballot(&["c2"]);
        let (mut ballot, _) = e.ballot(&["c1"]);
        ballot.contests[0].selections[2] = victim.contests[0].selections[2].clone();
        // The server has the victim's ballot: refused before any proof is checked.
        let store = Store {
            alphas: victim.alphas().into_iter().map(|(_, a)| a).collect(),
            ..Store::default()
        };
        assert_eq!(
            refusal(e.check(&ballot, &store)),
            ("ballot-duplicates", "contests[0].selections[2].alpha".into())
        );
        // Even without the store, the copied proof is bound to the victim's nonce.
        assert_eq!(refusal(e.check(&ballot, &EmptyStore)).0, "ballot-proofs");
        // Twice within one ballot.
        let (mut ballot, _) = e.ballot(&["c1"]);
        ballot.contests[0].indicator.alpha = ballot.contests[0].selections[0].alpha;
        assert_eq!(
            refusal(e.check(&ballot, &EmptyStore)),
            ("ballot-duplicates", "contests[0].indicator.alpha".into())
        );
    }

    #[test]
    fn an_identity_alpha_a_wrong_weight_and_an_audited_ballot_are_refused() {
        let e = election();
        let (mut ballot, _) = e.ballot(&["c1"]);
        ballot.contests[1].selections[0].alpha = Element::identity();
        assert_eq!(
            refusal(e.check(&ballot, &EmptyStore)),
            ("ballot-elements", "contests[1].selections[0].alpha".into())
        );
        let (ballot, _) = e.ballot(&["c1"]);
        let wrong = e
            .context()
            .check_cast(&ballot, Weight::from_votes(2).unwrap(), &EmptyStore, &mut OsRandom);
        assert_eq!(refusal(wrong).0, "ballot-weight");
        let store = Store {
            audited: HashSet::from([ballot.tracker()]),
            ..Store::default()
        };
        assert_eq!(refusal(e.check(&ballot, &store)).0, "ballot-audited");
    }

    #[test]
    fn a_ballot_over_its_limit_is_refused() {
        // Two seats, three marked: a third selection encrypting 1 with a valid
        // selection proof, and a contest proof claiming the largest branch.
        let e = election();
        let (mut ballot, seed) = e.ballot(&["c0", "c1"]);
        let nonce = ballot.nonce;
        let contest = &mut ballot.contests[0];
        let r = option_randomness(&e.fp, &nonce, &seed, "directors", "c2");
        let ciphertext = e.key.encrypt(1, &r);
        let proof = SelectionStatement {
            fingerprint: &e.fp,
            nonce: &nonce,
            contest: "directors",
            option: "c2",
            max: 1,
            ciphertext: &ciphertext,
        }
        .prove(&e.key, 1, &r, &mut OsRandom)
        .unwrap();
        contest.selections[2] = EncryptedSelection {
            option: "c2".into(),
            alpha: ciphertext.alpha,
            beta: ciphertext.beta,
            proof,
        };
        let r_sum: crate::encrypted::group::Scalar = ["c0", "c1", "c2", "c3"]
            .iter()
            .map(|o| *option_randomness(&e.fp, &nonce, &seed, "directors", o))
            .sum();
        let r_x = indicator_randomness(&e.fp, &nonce, &seed, "directors");
        let sum = contest.sum();
        contest.proof = ContestStatement {
            fingerprint: &e.fp,
            nonce: &nonce,
            contest: "directors",
            limit: 2,
            indicator: &contest.indicator,
            sum: &sum,
        }
        .prove(&e.key, 2, &r_x, &r_sum, &mut OsRandom)
        .unwrap();
        let err = e.check(&ballot, &EmptyStore).unwrap_err();
        assert_eq!(err.path(), Some("contests[0].proof"));
        assert_eq!(
            err,
            CastRefusal::Proof {
                path: "contests[0].proof".into(),
                error: ProofError::Equation { branch: 2 }
            }
        );
        assert_eq!(e.context().check_proofs_unbatched(&ballot), Err(err));
        // And the encrypter will not make such a ballot.
        let choices = BTreeMap::from([
            ("directors".to_string(), vec!["c0".into(), "c1".into(), "c2".into()]),
            ("bylaw".to_string(), vec![]),
        ]);
        assert!(e.encrypter().encrypt(&choices, Weight::ONE, &mut OsRandom).is_err());
    }
}
