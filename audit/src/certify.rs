//! Certification by the election committee: each certifier signs a
//! statement naming the election and the digest of its tally, with their own
//! Ed25519 key, offline — so the server cannot forge a certification.

use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::crypto::{Digest, PublicKey, Signature};

/// The `format` value of a certification statement.
pub const CERTIFICATION_FORMAT: &str = "teller-certification/1";

/// What a certifier signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always `teller-certification/1`.
    pub format: String,
    /// The election's id.
    #[serde(deserialize_with = "canonical::election_id")]
    pub election: String,
    /// SHA-256 of the tally's canonical encoding (as logged in `tallied`).
    pub tally_digest: Digest,
}

impl Statement {
    /// The statement certifying `tally_digest` of `election`.
    pub fn new(election: &str, tally_digest: Digest) -> Self {
        Statement {
            format: CERTIFICATION_FORMAT.to_string(),
            election: election.to_string(),
            tally_digest,
        }
    }

    /// The bytes a certifier signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        canonical::to_bytes(self).expect(canonical::ENCODABLE)
    }
}

/// A signed statement, as `teller-audit sign` writes it and the console takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SignedWire")]
pub struct SignedStatement {
    /// The statement.
    #[serde(flatten)]
    pub statement: Statement,
    /// The certifier's public key.
    pub public_key: PublicKey,
    /// Ed25519 signature of the statement.
    pub signature: Signature,
}

/// A signed statement as written: every member at one level, none unknown.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedWire {
    format: String,
    #[serde(deserialize_with = "canonical::election_id")]
    election: String,
    tally_digest: Digest,
    public_key: PublicKey,
    signature: Signature,
}

impl From<SignedWire> for SignedStatement {
    fn from(w: SignedWire) -> Self {
        SignedStatement {
            statement: Statement {
                format: w.format,
                election: w.election,
                tally_digest: w.tally_digest,
            },
            public_key: w.public_key,
            signature: w.signature,
        }
    }
}

impl SignedStatement {
    /// Whether the signature is the named key's over this statement.
    pub fn verifies(&self) -> bool {
        self.statement.format == CERTIFICATION_FORMAT
            && self
                .public_key
                .verifies(&self.statement.signed_bytes(), &self.signature)
    }
}
