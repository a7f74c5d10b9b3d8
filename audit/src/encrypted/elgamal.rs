//! Exponential ElGamal under the election's joint key
//! (FORMAT.md §14.9).
//!
//! A count `m` with randomness `r` encrypts to `(α, β) = (g^r, h^r · g^m)`.
//! Ciphertexts multiply componentwise, adding their counts, which is what
//! lets the tally be computed without decrypting any ballot. [`Ciphertext`]
//! is the form read and written (two encoded elements); [`RawCiphertext`]
//! is the form computed with (two points, encoded only when written).

use curve25519_dalek::ristretto::RistrettoBasepointTable;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};

use super::group::{g_pow, int, Element, IdentityError, RistrettoPoint, Scalar};

/// The joint public key `h` (§16.5), ready for encrypting: never the
/// identity, with a table of its multiples so that `h^r` costs about as
/// much as `g^r`.
#[derive(Clone)]
pub struct EncryptionKey {
    h: Element,
    table: Box<RistrettoBasepointTable>,
}

impl EncryptionKey {
    /// The key `h`, refused if it is the identity (§14.2).
    pub fn new(h: Element) -> Result<EncryptionKey, IdentityError> {
        let h = h.non_identity("joint_key")?;
        Ok(EncryptionKey {
            h,
            table: Box::new(RistrettoBasepointTable::create(h.point())),
        })
    }

    /// The key as an element.
    pub fn element(&self) -> &Element {
        &self.h
    }

    /// `h^s`, in constant time in `s`.
    pub fn pow(&self, s: &Scalar) -> RistrettoPoint {
        &*self.table * s
    }

    /// `Enc_h(m; r) = (g^r, h^r · g^m)`, encoded. Constant time in `m` and
    /// `r` (`g^m` is a fixed-base multiplication by the scalar `m`, with no
    /// branch on it).
    pub fn encrypt(&self, m: u64, r: &Scalar) -> Ciphertext {
        self.encrypt_raw(m, r).encode()
    }

    /// `Enc_h(m; r)` as points.
    pub fn encrypt_raw(&self, m: u64, r: &Scalar) -> RawCiphertext {
        RawCiphertext {
            alpha: g_pow(r),
            beta: self.pow(r) + g_pow(&int(m)),
        }
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncryptionKey({})", self.h.to_hex())
    }
}

/// A ciphertext as read and written: `{"alpha": E(α), "beta": E(β)}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ciphertext {
    /// `α = g^r`. Never the identity in a ballot (§14.2).
    pub alpha: Element,
    /// `β = h^r · g^m`.
    pub beta: Element,
}

impl Ciphertext {
    /// `(identity, identity)`: the encryption of 0 with randomness 0, the
    /// aggregate of no ballots.
    pub fn identity() -> Ciphertext {
        Ciphertext {
            alpha: Element::identity(),
            beta: Element::identity(),
        }
    }

    /// The two points, for arithmetic.
    pub fn raw(&self) -> RawCiphertext {
        RawCiphertext {
            alpha: *self.alpha.point(),
            beta: *self.beta.point(),
        }
    }
}

/// A ciphertext as two points, for computing products and powers before
/// encoding the result once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawCiphertext {
    /// `α`.
    pub alpha: RistrettoPoint,
    /// `β`.
    pub beta: RistrettoPoint,
}

impl RawCiphertext {
    /// `(identity, identity)`.
    pub fn identity() -> RawCiphertext {
        RawCiphertext {
            alpha: RistrettoPoint::identity(),
            beta: RistrettoPoint::identity(),
        }
    }

    /// The componentwise product: `Enc(m₁; r₁) · Enc(m₂; r₂) = Enc(m₁+m₂; r₁+r₂)`.
    pub fn mul(&self, other: &RawCiphertext) -> RawCiphertext {
        RawCiphertext {
            alpha: self.alpha + other.alpha,
            beta: self.beta + other.beta,
        }
    }

    /// The componentwise power: `Enc(m; r)^e = Enc(e·m; e·r)`.
    pub fn pow(&self, e: &Scalar) -> RawCiphertext {
        RawCiphertext {
            alpha: self.alpha * e,
            beta: self.beta * e,
        }
    }

    /// `β / α^x = g^m`: decryption with the whole secret `x` (which no
    /// party has in a trustee election; for tests and audited ballots'
    /// checks). The count is then a bounded discrete log (§16.8).
    pub fn decrypt_to_point(&self, x: &Scalar) -> RistrettoPoint {
        self.beta - self.alpha * x
    }

    /// Both points encoded.
    pub fn encode(&self) -> Ciphertext {
        Ciphertext {
            alpha: Element::from_point(self.alpha),
            beta: Element::from_point(self.beta),
        }
    }
}

/// The product of many ciphertexts (`Π α`, `Π β`), as points.
pub fn product<'a>(ciphertexts: impl IntoIterator<Item = &'a Ciphertext>) -> RawCiphertext {
    ciphertexts
        .into_iter()
        .fold(RawCiphertext::identity(), |acc, c| acc.mul(&c.raw()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encrypted::group::{random_scalar, OsRandom};

    #[test]
    fn ciphertexts_add_their_counts_and_decrypt() {
        let x = random_scalar(&mut OsRandom);
        let key = EncryptionKey::new(Element::from_point(g_pow(&x))).unwrap();
        let (r1, r2) = (random_scalar(&mut OsRandom), random_scalar(&mut OsRandom));
        let c1 = key.encrypt(2, &r1);
        let c2 = key.encrypt(5, &r2);
        let sum = product([&c1, &c2]);
        assert_eq!(sum.decrypt_to_point(&x), g_pow(&int(7)));
        assert_eq!(sum.encode(), key.encrypt(7, &(*r1 + *r2)));
        assert_eq!(c1.raw().pow(&int(3)).decrypt_to_point(&x), g_pow(&int(6)));
        assert_eq!(product([]).encode(), Ciphertext::identity());
        assert_eq!(key.encrypt(0, &r1).alpha.point(), &g_pow(&r1));
    }

    #[test]
    fn the_identity_is_not_a_key() {
        assert_eq!(EncryptionKey::new(Element::identity()).unwrap_err().field, "joint_key");
    }

    #[test]
    fn ciphertext_json_is_alpha_and_beta() {
        let c = Ciphertext {
            alpha: Element::generator(),
            beta: Element::identity(),
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            format!(
                "{{\"alpha\":\"{}\",\"beta\":\"{}\"}}",
                Element::generator().to_hex(),
                "00".repeat(32)
            )
        );
        assert_eq!(serde_json::from_str::<Ciphertext>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Ciphertext>(&json.replace("}", ",\"x\":1}")).is_err());
    }
}
