//! The encrypted ballot (FORMAT.md §14.8, §14.11):
//! which contests may be encrypted and their limits ([`BallotShape`]), the
//! ballot's JSON ([`EncryptedBallot`]) and its tracker, and encrypting a
//! member's choices into one ([`Encrypter`]), as the browser does and as the
//! server does on the path without JavaScript.
//!
//! What the server checks when a ballot is cast is in [`super::cast`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::elgamal::{Ciphertext, EncryptionKey, RawCiphertext};
use super::group::{Element, RandomSource, Scalar};
use super::nonces::{indicator_randomness, option_randomness, random_nonce, BallotSeed};
use super::proofs::{ContestProof, ContestStatement, SelectionProof, SelectionStatement};
use crate::canonical;
use crate::count::Weight;
use crate::crypto::{push_hex, Digest, Nonce};
use crate::definition::{self, Definition, Method};

/// The `format` of an encrypted ballot.
pub const ENCRYPTED_BALLOT_FORMAT: &str = "teller-encrypted-ballot/1";

/// The most `points × candidates` an encrypted cumulative contest may have
/// (issue 13, decision 5): each option's proof has `points + 1` branches.
pub const MAX_CUMULATIVE_BRANCHES: u64 = 500;

/// A contest as encryption sees it (§14.8): its options in option order,
/// `p` (the most one option can receive) and `L` (the most the contest
/// can receive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestShape {
    /// The contest id.
    pub id: String,
    /// The option ids, in option order (FORMAT.md §3).
    pub options: Vec<String>,
    /// `p`.
    pub per_option: u32,
    /// `L`.
    pub limit: u32,
}

/// Every contest of a definition, in definition order, as encryption sees
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotShape {
    /// The contests.
    pub contests: Vec<ContestShape>,
}

/// A contest that cannot be counted under encryption, named, with the
/// reason in words staff can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("contest {contest:?}: {message}")]
pub struct Unencryptable {
    /// The contest's id.
    pub contest: String,
    /// Why, in words.
    pub message: String,
}

impl BallotShape {
    /// The shape of `definition`, or the first contest that an encrypted
    /// election cannot have (§14.8): ranked methods and write-ins, and
    /// cumulative contests over [`MAX_CUMULATIVE_BRANCHES`].
    pub fn of(definition: &Definition) -> Result<BallotShape, Unencryptable> {
        let contests = definition
            .contests
            .iter()
            .map(|contest| {
                let refuse = |message: String| Unencryptable {
                    contest: contest.id.clone(),
                    message,
                };
                let options: Vec<String> = definition::options(contest).into_iter().map(|(id, _)| id).collect();
                let n = u32::try_from(options.len()).unwrap_or(u32::MAX);
                let (per_option, limit) = match contest.method {
                    Method::Plurality { write_ins: false, .. } => (1, contest.seats.min(n)),
                    Method::Approval => (1, n),
                    Method::Referendum { .. } => (1, 1),
                    Method::Cumulative { points } => {
                        let product = u64::from(points) * u64::from(n);
                        if product > MAX_CUMULATIVE_BRANCHES {
                            return Err(refuse(format!(
                                "cumulative voting under encryption allows at most {MAX_CUMULATIVE_BRANCHES} for points × candidates, \
                                 and this contest has {points} × {n} = {product}; give fewer points or split the contest"
                            )));
                        }
                        (points, points)
                    }
                    Method::Plurality { write_ins: true, .. }
                    | Method::Irv { .. }
                    | Method::StvScottish { .. }
                    | Method::StvMeek { .. }
                    | Method::Schulze { .. } => {
                        return Err(refuse(
                            "ranked methods and write-ins cannot be counted under encryption yet".to_string(),
                        ))
                    }
                };
                Ok(ContestShape {
                    id: contest.id.clone(),
                    options,
                    per_option,
                    limit,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(BallotShape { contests })
    }

    /// The counts `m_o` of each contest's options that `choices` (FORMAT.md
    /// §4: contest → chosen option ids, a cumulative option once per point)
    /// give, in shape order, checked against §4's validity as §14.8 states
    /// it: every `m_o ≤ p` and `Σ m_o ≤ L`, a member for every contest and
    /// none other.
    pub fn counts(&self, choices: &BTreeMap<String, Vec<String>>) -> Result<Vec<Vec<u32>>, ChoiceError> {
        if let Some(extra) = choices.keys().find(|k| !self.contests.iter().any(|c| &c.id == *k)) {
            return Err(ChoiceError::new(extra, "there is no such contest on this ballot"));
        }
        self.contests
            .iter()
            .map(|contest| {
                let chosen = choices
                    .get(&contest.id)
                    .ok_or_else(|| ChoiceError::new(&contest.id, "the ballot has no choices for this contest"))?;
                let mut counts = vec![0u32; contest.options.len()];
                for choice in chosen {
                    let i = contest.options.iter().position(|o| o == choice).ok_or_else(|| {
                        ChoiceError::new(&contest.id, format!("{choice:?} is not an option of this contest"))
                    })?;
                    counts[i] += 1;
                    if counts[i] > contest.per_option {
                        return Err(ChoiceError::new(
                            &contest.id,
                            format!("{choice:?} is chosen more than {} time(s)", contest.per_option),
                        ));
                    }
                }
                let total: u64 = counts.iter().map(|&m| u64::from(m)).sum();
                if total > u64::from(contest.limit) {
                    return Err(ChoiceError::new(
                        &contest.id,
                        format!("{total} choices where at most {} are allowed", contest.limit),
                    ));
                }
                Ok(counts)
            })
            .collect()
    }
}

/// Choices that are not valid for the ballot, naming the contest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("contest {contest:?}: {message}")]
pub struct ChoiceError {
    /// The contest's id.
    pub contest: String,
    /// What is wrong.
    pub message: String,
}

impl ChoiceError {
    fn new(contest: &str, message: impl Into<String>) -> ChoiceError {
        ChoiceError {
            contest: contest.to_string(),
            message: message.into(),
        }
    }
}

/// An encrypted ballot (§14.11), as the device sends it and the receipt
/// carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedBallot {
    /// Always [`ENCRYPTED_BALLOT_FORMAT`].
    pub format: String,
    /// The election id.
    #[serde(deserialize_with = "canonical::election_id")]
    pub election: String,
    /// The election fingerprint (§14.7).
    pub fingerprint: Digest,
    /// The ballot nonce, chosen by the device.
    pub nonce: Nonce,
    /// The member's weight, from the roll.
    pub weight: Weight,
    /// One member per contest of the definition, in definition order.
    pub contests: Vec<EncryptedContest>,
}

/// One contest of an encrypted ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedContest {
    /// The contest id.
    pub contest: String,
    /// One member per option, in option order.
    pub selections: Vec<EncryptedSelection>,
    /// The indicator `Enc(b; r_x)`, `b = 1` when anything is chosen.
    pub indicator: Ciphertext,
    /// The contest proof (§15.3): `L + 1` branches.
    pub proof: ContestProof,
}

/// One option's ciphertext and proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedSelection {
    /// The option id.
    pub option: String,
    /// `α`.
    pub alpha: Element,
    /// `β`.
    pub beta: Element,
    /// The selection proof (§15.2): `p + 1` branches.
    pub proof: SelectionProof,
}

impl EncryptedSelection {
    /// `(α, β)`.
    pub fn ciphertext(&self) -> Ciphertext {
        Ciphertext {
            alpha: self.alpha,
            beta: self.beta,
        }
    }
}

impl EncryptedContest {
    /// `(α_Σ, β_Σ)`: the product of the selections (§15.3), encoded.
    pub fn sum(&self) -> Ciphertext {
        self.selections
            .iter()
            .fold(RawCiphertext::identity(), |acc, s| acc.mul(&s.ciphertext().raw()))
            .encode()
    }
}

impl EncryptedBallot {
    /// The canonical encoding (FORMAT.md §2), written directly (the same
    /// bytes as `canonical::to_bytes`, several times faster: the server
    /// computes it for every cast).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        self.write_canonical(true).0
    }

    /// The canonical encoding of the whole ballot and, from the same
    /// bytes, of the ballot as published (without `election`): what a cast
    /// needs for its tracker and its stored body, written once.
    pub fn canonical_and_published_bytes(&self) -> (Vec<u8>, Vec<u8>) {
        let (whole, election) = self.write_canonical(true);
        let mut published = Vec::with_capacity(whole.len() - election.len());
        published.extend_from_slice(&whole[..election.start]);
        published.extend_from_slice(&whole[election.end..]);
        (whole, published)
    }

    /// The canonical encoding of the ballot as the record publishes it,
    /// without `election` ([`super::published::PublishedEncryptedBallot`],
    /// §16.9), written directly as [`EncryptedBallot::canonical_bytes`] is.
    pub fn published_canonical_bytes(&self) -> Vec<u8> {
        self.write_canonical(false).0
    }

    /// Members in canonical order: contests, election (when `with_election`),
    /// fingerprint, format, nonce, weight; with where the `,"election":…`
    /// member is in the bytes (empty without it).
    fn write_canonical(&self, with_election: bool) -> (Vec<u8>, std::ops::Range<usize>) {
        let mut out = Vec::with_capacity(16 * 1024);
        let hex = |out: &mut Vec<u8>, bytes: &[u8]| {
            out.push(b'"');
            push_hex(bytes, out);
            out.push(b'"');
        };
        out.extend_from_slice(b"{\"contests\":[");
        for (i, contest) in self.contests.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"contest\":");
            canonical::write_string(&contest.contest, &mut out);
            out.extend_from_slice(b",\"indicator\":{\"alpha\":");
            hex(&mut out, contest.indicator.alpha.as_bytes());
            out.extend_from_slice(b",\"beta\":");
            hex(&mut out, contest.indicator.beta.as_bytes());
            out.extend_from_slice(b"},\"proof\":[");
            for (j, br) in contest.proof.branches.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                for (k, (name, bytes)) in [
                    ("a1", br.a1.as_bytes()),
                    ("a2", br.a2.as_bytes()),
                    ("b1", br.b1.as_bytes()),
                    ("b2", br.b2.as_bytes()),
                    ("c", br.c.as_bytes()),
                    ("v1", br.v1.as_bytes()),
                    ("v2", br.v2.as_bytes()),
                ]
                .into_iter()
                .enumerate()
                {
                    out.push(if k == 0 { b'{' } else { b',' });
                    canonical::write_string(name, &mut out);
                    out.push(b':');
                    hex(&mut out, bytes);
                }
                out.push(b'}');
            }
            out.extend_from_slice(b"],\"selections\":[");
            for (j, sel) in contest.selections.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"alpha\":");
                hex(&mut out, sel.alpha.as_bytes());
                out.extend_from_slice(b",\"beta\":");
                hex(&mut out, sel.beta.as_bytes());
                out.extend_from_slice(b",\"option\":");
                canonical::write_string(&sel.option, &mut out);
                out.extend_from_slice(b",\"proof\":[");
                for (k, br) in sel.proof.branches.iter().enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"a\":");
                    hex(&mut out, br.a.as_bytes());
                    out.extend_from_slice(b",\"b\":");
                    hex(&mut out, br.b.as_bytes());
                    out.extend_from_slice(b",\"c\":");
                    hex(&mut out, br.c.as_bytes());
                    out.extend_from_slice(b",\"v\":");
                    hex(&mut out, br.v.as_bytes());
                    out.push(b'}');
                }
                out.extend_from_slice(b"]}");
            }
            out.extend_from_slice(b"]}");
        }
        out.push(b']');
        let start = out.len();
        if with_election {
            out.extend_from_slice(b",\"election\":");
            canonical::write_string(&self.election, &mut out);
        }
        let election = start..out.len();
        out.extend_from_slice(b",\"fingerprint\":");
        hex(&mut out, &self.fingerprint.0);
        out.extend_from_slice(b",\"format\":");
        canonical::write_string(&self.format, &mut out);
        out.extend_from_slice(b",\"nonce\":");
        hex(&mut out, &self.nonce.0);
        out.extend_from_slice(b",\"weight\":\"");
        out.extend_from_slice(self.weight.to_string().as_bytes());
        out.extend_from_slice(b"\"}");
        (out, election)
    }

    /// The tracker: SHA-256 of the canonical encoding of the whole ballot.
    pub fn tracker(&self) -> Digest {
        Digest::of(&self.canonical_bytes())
    }

    /// Every `alpha` of the ballot with the path that names it: each
    /// selection's, then each indicator's, contest by contest.
    pub fn alphas(&self) -> Vec<(String, Element)> {
        let mut out = Vec::new();
        for (i, contest) in self.contests.iter().enumerate() {
            for (j, s) in contest.selections.iter().enumerate() {
                out.push((format!("contests[{i}].selections[{j}].alpha"), s.alpha));
            }
            out.push((format!("contests[{i}].indicator.alpha"), contest.indicator.alpha));
        }
        out
    }
}

/// Encrypts members' choices for one election: what the ballot page does
/// in the browser, and what the server does for a member without
/// JavaScript.
pub struct Encrypter<'a> {
    /// The election id.
    pub election: &'a str,
    /// The election fingerprint.
    pub fingerprint: Digest,
    /// The joint key.
    pub key: &'a EncryptionKey,
    /// The contests.
    pub shape: &'a BallotShape,
}

/// Why a ballot could not be encrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    /// The choices are not valid for the ballot.
    #[error(transparent)]
    Choice(#[from] ChoiceError),
    /// The seed gives a zero randomness (probability about 2^-252): draw
    /// another seed.
    #[error("the ballot seed gives a zero randomness; draw another seed")]
    ZeroRandomness,
}

impl Encrypter<'_> {
    /// Encrypt `choices` with fresh randomness: draws from `rng` a 32-byte
    /// seed, a 16-byte nonce, then the proofs' scalars (64 bytes each, in
    /// the order of [`Encrypter::encrypt_with`]). Returns the ballot and its
    /// seed (which opens it if the member audits it).
    pub fn encrypt(
        &self,
        choices: &BTreeMap<String, Vec<String>>,
        weight: Weight,
        rng: &mut dyn RandomSource,
    ) -> Result<(EncryptedBallot, BallotSeed), ChoiceError> {
        loop {
            let seed = BallotSeed::random(rng);
            let nonce = random_nonce(rng);
            match self.encrypt_with(choices, weight, &seed, nonce, rng) {
                Ok(ballot) => return Ok((ballot, seed)),
                Err(EncryptError::Choice(e)) => return Err(e),
                Err(EncryptError::ZeroRandomness) => continue,
            }
        }
    }

    /// Encrypt `choices` with this seed and nonce. For each contest in
    /// definition order: each option in option order is encrypted with its
    /// derived randomness and proved (drawing `2(p + 1)` scalars), then the
    /// indicator is encrypted and the contest proved (drawing `3(L + 1)`).
    pub fn encrypt_with(
        &self,
        choices: &BTreeMap<String, Vec<String>>,
        weight: Weight,
        seed: &BallotSeed,
        nonce: Nonce,
        rng: &mut dyn RandomSource,
    ) -> Result<EncryptedBallot, EncryptError> {
        let counts = self.shape.counts(choices)?;
        let fp = &self.fingerprint;
        let mut contests = Vec::with_capacity(self.shape.contests.len());
        for (shape, counts) in self.shape.contests.iter().zip(counts) {
            let mut selections = Vec::with_capacity(shape.options.len());
            let mut r_sum = zeroize::Zeroizing::new(Scalar::ZERO);
            for (option, &m) in shape.options.iter().zip(&counts) {
                let r = option_randomness(fp, &nonce, seed, &shape.id, option);
                if *r == Scalar::ZERO {
                    return Err(EncryptError::ZeroRandomness);
                }
                *r_sum += *r;
                let ciphertext = self.key.encrypt(u64::from(m), &r);
                let statement = SelectionStatement {
                    fingerprint: fp,
                    nonce: &nonce,
                    contest: &shape.id,
                    option,
                    max: shape.per_option,
                    ciphertext: &ciphertext,
                };
                let proof = statement
                    .prove(self.key, m, &r, rng)
                    .map_err(|e| ChoiceError::new(&shape.id, e.to_string()))?;
                selections.push(EncryptedSelection {
                    option: option.clone(),
                    alpha: ciphertext.alpha,
                    beta: ciphertext.beta,
                    proof,
                });
            }
            let total: u32 = counts.iter().sum();
            let r_x = indicator_randomness(fp, &nonce, seed, &shape.id);
            if *r_x == Scalar::ZERO {
                return Err(EncryptError::ZeroRandomness);
            }
            let indicator = self.key.encrypt(u64::from(total >= 1), &r_x);
            let mut contest = EncryptedContest {
                contest: shape.id.clone(),
                selections,
                indicator,
                proof: ContestProof { branches: Vec::new() },
            };
            let sum = contest.sum();
            let statement = ContestStatement {
                fingerprint: fp,
                nonce: &nonce,
                contest: &shape.id,
                limit: shape.limit,
                indicator: &indicator,
                sum: &sum,
            };
            contest.proof = statement
                .prove(self.key, total, &r_x, &r_sum, rng)
                .map_err(|e| ChoiceError::new(&shape.id, e.to_string()))?;
            contests.push(contest);
        }
        Ok(EncryptedBallot {
            format: ENCRYPTED_BALLOT_FORMAT.to_string(),
            election: self.election.to_string(),
            fingerprint: *fp,
            nonce,
            weight,
            contests,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{Candidate, Contest, SkippedRanks, Threshold};

    fn contest(id: &str, method: Method, seats: u32, candidates: usize) -> Contest {
        Contest {
            id: id.into(),
            title: id.into(),
            description: String::new(),
            seats,
            candidates: (0..candidates)
                .map(|i| Candidate {
                    id: format!("c{i}"),
                    name: format!("Candidate {i}"),
                    statement: String::new(),
                })
                .collect(),
            method,
        }
    }

    fn definition(contests: Vec<Contest>) -> Definition {
        Definition {
            title: "t".into(),
            description: String::new(),
            contests,
        }
    }

    #[test]
    fn limits_follow_the_table_of_14_8() {
        let d = definition(vec![
            contest(
                "a",
                Method::Plurality {
                    majority_required: false,
                    write_ins: false,
                },
                3,
                7,
            ),
            contest(
                "b",
                Method::Plurality {
                    majority_required: true,
                    write_ins: false,
                },
                5,
                2,
            ),
            contest("c", Method::Approval, 2, 4),
            contest(
                "d",
                Method::Referendum {
                    threshold: Threshold::TWO_THIRDS,
                },
                1,
                0,
            ),
            contest("e", Method::Cumulative { points: 3 }, 1, 4),
        ]);
        let shape = BallotShape::of(&d).unwrap();
        let limits: Vec<_> = shape
            .contests
            .iter()
            .map(|c| (c.options.len(), c.per_option, c.limit))
            .collect();
        assert_eq!(limits, [(7, 1, 3), (2, 1, 2), (4, 1, 4), (3, 1, 1), (4, 3, 3)]);
        assert_eq!(shape.contests[3].options, ["yes", "no", "abstain"]);
    }

    #[test]
    fn ranked_write_ins_and_large_cumulative_contests_are_refused_by_name() {
        for method in [
            Method::Plurality {
                majority_required: false,
                write_ins: true,
            },
            Method::Irv {
                skipped_ranks: SkippedRanks::Refuse,
            },
            Method::Schulze {
                skipped_ranks: SkippedRanks::CloseUp,
            },
        ] {
            let err = BallotShape::of(&definition(vec![contest("x", method, 1, 3)])).unwrap_err();
            assert_eq!(err.contest, "x");
            assert!(err.message.contains("ranked methods and write-ins"), "{err}");
        }
        let ok = definition(vec![contest("x", Method::Cumulative { points: 100 }, 1, 5)]);
        assert!(BallotShape::of(&ok).is_ok());
        let big = definition(vec![contest("x", Method::Cumulative { points: 100 }, 1, 6)]);
        let err = BallotShape::of(&big).unwrap_err();
        assert!(err.message.contains("100 × 6 = 600"), "{err}");
    }

    #[test]
    fn the_direct_canonical_encoding_is_canonical_json() {
        use crate::encrypted::group::{g_pow, random_scalar, OsRandom};
        let d = definition(vec![
            contest(
                "a",
                Method::Plurality {
                    majority_required: false,
                    write_ins: false,
                },
                2,
                3,
            ),
            contest("e", Method::Cumulative { points: 2 }, 1, 2),
        ]);
        let shape = BallotShape::of(&d).unwrap();
        let key = EncryptionKey::new(Element::from_point(g_pow(&random_scalar(&mut OsRandom)))).unwrap();
        let encrypter = Encrypter {
            election: "2a6f16d2-c738-4ef1-8402-71c1bfa25a25",
            fingerprint: Digest::of(b"fp"),
            key: &key,
            shape: &shape,
        };
        let choices = BTreeMap::from([
            ("a".to_string(), vec!["c1".to_string()]),
            ("e".to_string(), vec!["c0".to_string(), "c0".to_string()]),
        ]);
        let (mut ballot, _) = encrypter
            .encrypt(&choices, Weight::parse("2.5").unwrap(), &mut OsRandom)
            .unwrap();
        assert_eq!(ballot.canonical_bytes(), canonical::to_bytes(&ballot).unwrap());
        ballot.format = "q\"\\\u{1}é/".into();
        ballot.contests[0].selections[0].option = "\u{7f}".into();
        assert_eq!(ballot.canonical_bytes(), canonical::to_bytes(&ballot).unwrap());
        assert_eq!(ballot.tracker(), Digest::of(&canonical::to_bytes(&ballot).unwrap()));
        let published = super::super::published::PublishedEncryptedBallot::of(ballot.clone());
        assert_eq!(
            ballot.published_canonical_bytes(),
            canonical::to_bytes(&published).unwrap()
        );
        let (whole, without) = ballot.canonical_and_published_bytes();
        assert_eq!(whole, canonical::to_bytes(&ballot).unwrap());
        assert_eq!(without, canonical::to_bytes(&published).unwrap());
        // A receipt of it is signed over the same bytes as the generic
        // canonical encoder writes.
        let body = crate::receipt::ReceiptBody {
            format: crate::receipt::RECEIPT_FORMAT.into(),
            election: ballot.election.clone(),
            tracker: ballot.tracker(),
            ballot: ballot.clone().into(),
            seal: 7,
            public_key: crate::crypto::PublicKey([9; 32]),
        };
        assert_eq!(body.signed_bytes(), canonical::to_bytes(&body).unwrap());
    }

    #[test]
    fn choices_become_counts_within_the_limits() {
        let d = definition(vec![
            contest(
                "a",
                Method::Plurality {
                    majority_required: false,
                    write_ins: false,
                },
                2,
                3,
            ),
            contest("e", Method::Cumulative { points: 3 }, 1, 2),
        ]);
        let shape = BallotShape::of(&d).unwrap();
        let choices = |a: &[&str], e: &[&str]| {
            BTreeMap::from([
                ("a".to_string(), a.iter().map(|s| s.to_string()).collect()),
                ("e".to_string(), e.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            ])
        };
        assert_eq!(
            shape.counts(&choices(&["c2", "c0"], &["c1", "c1", "c0"])).unwrap(),
            [vec![1, 0, 1], vec![1, 2]]
        );
        assert_eq!(shape.counts(&choices(&[], &[])).unwrap(), [vec![0, 0, 0], vec![0, 0]]);
        assert!(shape
            .counts(&choices(&["c0", "c1", "c2"], &[]))
            .unwrap_err()
            .message
            .contains("at most 2"));
        assert!(shape.counts(&choices(&["c0", "c0"], &[])).is_err());
        assert!(shape.counts(&choices(&["zz"], &[])).is_err());
        assert!(shape.counts(&choices(&[], &["c0", "c0", "c0", "c1"])).is_err());
        let mut missing = choices(&[], &[]);
        missing.remove("e");
        assert_eq!(shape.counts(&missing).unwrap_err().contest, "e");
        let mut extra = choices(&[], &[]);
        extra.insert("z".into(), vec![]);
        assert_eq!(shape.counts(&extra).unwrap_err().contest, "z");
    }
}
