//! Encrypted ballots: the cryptographic core of issue 13, as
//! FORMAT.md §14–§15 specify it.
//!
//! What lives where:
//!
//! | module | what | section |
//! |---|---|---|
//! | [`group`] | ristretto255 elements and scalars: canonical decoding with named refusals, encoding, identity checks, unbiased random scalars, the [`group::RandomSource`] every prover takes | §14.1–§14.4 |
//! | [`hash`] | framed, domain-separated hashing (`H256`, `HS`) and the domain tags | §14.5–§14.6 |
//! | [`fingerprint`] | the election fingerprint that binds every proof to one election | §14.7 |
//! | [`elgamal`] | exponential ElGamal under the joint key | §14.9 |
//! | [`nonces`] | a ballot's seed and the encryption randomness derived from it | §14.10 |
//! | [`proofs`] | the selection proof (`m ∈ {0…p}`) and the contest proof (indicator and limit), strong Fiat–Shamir | §15.1–§15.3 |
//! | [`batch`] | checking proof equations one by one or in sound random-weighted batches | §15.6 |
//! | [`ballot`] | which contests may be encrypted and their limits, the encrypted ballot's JSON and tracker, encrypting a member's choices | §14.8, §14.11 |
//! | [`cast`] | what the server checks when a ballot is cast, each refusal named | §15.7 |
//! | [`published`] | an encrypted ballot as the record publishes it (without `election`) | §16.9 |
//!
//! The single-statement proofs of §15.4–§15.5 (DLEQ and Schnorr) serve only
//! the trustees' ceremony and decryption, and live with them
//! (`trustees::proofs`), built on [`group`] and [`hash`].
//!
//! Everything read from outside is decoded at the edge into types that
//! cannot hold an invalid value ([`group::Element`], canonical scalars);
//! provers take their randomness as an argument, so the test vectors
//! (`audit/conformance/encrypted-vectors.json`) fix every drawn value.

pub mod audited;
pub mod ballot;
pub mod batch;
pub mod cast;
pub mod elgamal;
pub mod fingerprint;
pub mod group;
pub mod hash;
pub mod nonces;
pub mod proofs;
pub mod published;
