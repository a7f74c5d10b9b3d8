//! The master secret and what is derived from it: the token-hash key, the key
//! that encrypts election signing keys and lot seeds at rest, and the key
//! behind member references in the log.
//!
//! The master secret comes from a file (`--master-secret-file`) or the
//! environment (`TELLER_MASTER_SECRET`, hex), never from the database.

use std::path::Path;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::hkdf;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use teller_audit::crypto::{PublicKey, Seed, Signature};
use zeroize::Zeroizing;

/// Why the master secret or a sealed value could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The file could not be read.
    #[error("cannot read the master secret file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Anyone on the machine could read the file.
    #[error("the master secret file {0} is readable by other users; run `chmod 600 {0}` and start again")]
    WorldReadable(String),
    /// Too short or not hex.
    #[error("the master secret must be at least 32 bytes, written as hex (64 or more hex digits)")]
    Malformed,
    /// A value sealed under another master secret, or altered.
    #[error("a value encrypted at rest could not be decrypted: wrong master secret, or it was altered")]
    Unseal,
    /// The OS random generator failed.
    #[error("the operating system's random generator failed")]
    Random,
}

/// The server's master secret and the keys derived from it.
pub struct MasterSecret {
    token_key: hmac::Key,
    member_key: hmac::Key,
    wrap_key: LessSafeKey,
    backup: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterSecret(…)")
    }
}

struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl MasterSecret {
    /// Derive the keys from `secret` (at least 32 bytes).
    pub fn from_bytes(secret: &[u8]) -> Result<Self, SecretError> {
        if secret.len() < 32 {
            return Err(SecretError::Malformed);
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"teller/master/v1").extract(secret);
        let derive = |label: &[u8]| -> Result<Zeroizing<[u8; 32]>, SecretError> {
            let mut out = Zeroizing::new([0u8; 32]);
            prk.expand(&[label], Len(32))
                .and_then(|okm| okm.fill(&mut out[..]))
                .map_err(|_| SecretError::Malformed)?;
            Ok(out)
        };
        let token = derive(b"token-hash")?;
        let member = derive(b"member-ref")?;
        let wrap = derive(b"key-wrap")?;
        let backup = derive(b"backup")?;
        let wrap_key = UnboundKey::new(&AES_256_GCM, &wrap[..]).map_err(|_| SecretError::Malformed)?;
        Ok(Self {
            token_key: hmac::Key::new(hmac::HMAC_SHA256, &token[..]),
            member_key: hmac::Key::new(hmac::HMAC_SHA256, &member[..]),
            wrap_key: LessSafeKey::new(wrap_key),
            backup,
        })
    }

    /// The key backups are encrypted with when no backup key file is given.
    pub fn backup_key(&self) -> BackupKey {
        BackupKey::from_material("master-secret", *self.backup)
    }

    /// Parse hex text (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, SecretError> {
        let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| SecretError::Malformed)?);
        Self::from_bytes(&bytes)
    }

    /// Read the secret from a file that only its owner can read.
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        Self::from_hex(&read_private_hex(path)?)
    }

    /// Write a new random secret to `path`, readable only by its owner.
    pub fn generate_file(path: &Path) -> Result<Self, SecretError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(&mut bytes[..])
            .map_err(|_| SecretError::Random)?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(&bytes[..])));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            crate::files::create_new(path)?.write_all(text.as_bytes())
        };
        write().map_err(|source| SecretError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes[..])
    }

    /// The keyed hash under which a voting token is stored (hex).
    pub fn token_hash(&self, canonical_token: &str) -> String {
        hex::encode(hmac::sign(&self.token_key, canonical_token.as_bytes()).as_ref())
    }

    /// A reference to a member for the public log: staff holding the master
    /// secret can recognise it; nobody else can.
    pub fn member_ref(&self, election: &str, member_id: &str) -> String {
        let tag = hmac::sign(&self.member_key, format!("{election}\n{member_id}").as_bytes());
        hex::encode(&tag.as_ref()[..16])
    }

    /// Encrypt `plain` for storage, bound to `context` (election id and purpose).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, SecretError> {
        let mut nonce = [0u8; 12];
        SystemRandom::new().fill(&mut nonce).map_err(|_| SecretError::Random)?;
        let mut buf = plain.to_vec();
        self.wrap_key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| SecretError::Unseal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(hex::encode(out))
    }

    /// Decrypt a value made by [`MasterSecret::seal`] with the same `context`.
    pub fn unseal(&self, context: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let bytes = hex::decode(sealed).map_err(|_| SecretError::Unseal)?;
        if bytes.len() < 12 + aead::AES_256_GCM.tag_len() {
            return Err(SecretError::Unseal);
        }
        let (nonce, body) = bytes.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Unseal)?;
        let mut buf = Zeroizing::new(body.to_vec());
        let len = self
            .wrap_key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf[..])
            .map_err(|_| SecretError::Unseal)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

/// The text of a file that only its owner can read (a master secret or a
/// backup key).
fn read_private_hex(path: &Path) -> Result<Zeroizing<String>, SecretError> {
    let shown = path.display().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|source| SecretError::Read {
            path: shown.clone(),
            source,
        })?;
        if meta.permissions().mode() & 0o007 != 0 {
            return Err(SecretError::WorldReadable(shown));
        }
    }
    Ok(Zeroizing::new(
        std::fs::read_to_string(path).map_err(|source| SecretError::Read { path: shown, source })?,
    ))
}

/// The key a backup file is encrypted under: derived from the master
/// secret, or read from a separate backup key file (`teller secret new`).
pub struct BackupKey {
    kind: &'static str,
    material: Zeroizing<[u8; 32]>,
}

impl BackupKey {
    /// A key of `kind` (`master-secret` or `backup-key`) from its 32 bytes.
    pub fn from_material(kind: &str, material: [u8; 32]) -> Self {
        let kind = if kind == "master-secret" {
            "master-secret"
        } else {
            "backup-key"
        };
        BackupKey {
            kind,
            material: Zeroizing::new(material),
        }
    }

    /// Read a backup key file: at least 32 bytes as hex, readable only by
    /// its owner (the same form as the master secret's file).
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        let text = read_private_hex(path)?;
        let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| SecretError::Malformed)?);
        if bytes.len() < 32 {
            return Err(SecretError::Malformed);
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"teller/backup-key/v1").extract(&bytes);
        let mut material = [0u8; 32];
        prk.expand(&[b"backup"], Len(32))
            .and_then(|okm| okm.fill(&mut material))
            .map_err(|_| SecretError::Malformed)?;
        Ok(Self::from_material("backup-key", material))
    }

    /// `master-secret` or `backup-key`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The key's bytes, for deriving each file's key.
    pub fn material(&self) -> &[u8] {
        &self.material[..]
    }

    /// Names the key without revealing it: 16 hex digits of
    /// HMAC-SHA256(key, "teller/backup/key-id").
    pub fn id(&self) -> String {
        let k = hmac::Key::new(hmac::HMAC_SHA256, &self.material[..]);
        hex::encode(&hmac::sign(&k, b"teller/backup/key-id").as_ref()[..8])
    }
}

/// Fill a fresh array from the OS generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], SecretError> {
    let mut out = [0u8; N];
    SystemRandom::new().fill(&mut out).map_err(|_| SecretError::Random)?;
    Ok(out)
}

/// A new election's key and lot seed, sealed for storage.
pub struct NewElectionSecrets {
    /// The public key, for the record.
    pub public_key: PublicKey,
    /// The signing key (PKCS#8), encrypted.
    pub sealed_key: String,
    /// The lot seed, encrypted until the tally reveals it.
    pub sealed_seed: String,
}

/// An election's signing key, decrypted for a short while.
pub struct ElectionSigner {
    pair: Ed25519KeyPair,
}

impl ElectionSigner {
    /// Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        let mut sig = [0u8; 64];
        sig.copy_from_slice(self.pair.sign(message).as_ref());
        Signature(sig)
    }
}

fn key_context(election: &str) -> String {
    format!("teller/election-signing-key/{election}")
}

fn seed_context(election: &str) -> String {
    format!("teller/lot-seed/{election}")
}

impl MasterSecret {
    /// Make an election's Ed25519 key and lot seed.
    pub fn new_election_secrets(&self, election: &str) -> Result<NewElectionSecrets, SecretError> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| SecretError::Random)?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| SecretError::Random)?;
        let mut public = [0u8; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        let seed = Zeroizing::new(random_bytes::<32>()?);
        Ok(NewElectionSecrets {
            public_key: PublicKey(public),
            sealed_key: self.seal(&key_context(election), &pkcs8)?,
            sealed_seed: self.seal(&seed_context(election), &seed[..])?,
        })
    }

    /// Sign `message` with an election's key. The decrypted key lives only
    /// for this call; our copy of its bytes is zeroised on return.
    pub fn sign(&self, election: &str, sealed_key: &str, message: &[u8]) -> Result<Signature, SecretError> {
        Ok(self.signer(election, sealed_key)?.sign(message))
    }

    /// Open an election's key for a batch of signatures (a batch of casts).
    /// Drop the signer as soon as the batch is signed.
    pub fn signer(&self, election: &str, sealed_key: &str) -> Result<ElectionSigner, SecretError> {
        let pkcs8 = self.unseal(&key_context(election), sealed_key)?;
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| SecretError::Unseal)?;
        Ok(ElectionSigner { pair })
    }

    /// Reveal an election's lot seed (at the tally).
    pub fn lot_seed(&self, election: &str, sealed_seed: &str) -> Result<Seed, SecretError> {
        let bytes = self.unseal(&seed_context(election), sealed_seed)?;
        let mut seed = [0u8; 32];
        if bytes.len() != 32 {
            return Err(SecretError::Unseal);
        }
        seed.copy_from_slice(&bytes);
        Ok(Seed(seed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> MasterSecret {
        MasterSecret::from_bytes(&[7u8; 32]).unwrap()
    }

    #[test]
    fn sealed_values_open_only_in_their_context_and_under_their_secret() {
        let s = secret();
        let sealed = s.seal("a", b"hello").unwrap();
        assert_eq!(&s.unseal("a", &sealed).unwrap()[..], b"hello");
        assert!(s.unseal("b", &sealed).is_err());
        let other = MasterSecret::from_bytes(&[8u8; 32]).unwrap();
        assert!(other.unseal("a", &sealed).is_err());
    }

    #[test]
    fn election_keys_sign_verifiably_and_seeds_round_trip() {
        let s = secret();
        let e = s.new_election_secrets("e1").unwrap();
        let sig = s.sign("e1", &e.sealed_key, b"msg").unwrap();
        assert!(e.public_key.verifies(b"msg", &sig));
        assert!(s.sign("e2", &e.sealed_key, b"msg").is_err());
        assert!(s.lot_seed("e1", &e.sealed_seed).is_ok());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(MasterSecret::from_bytes(&[1u8; 31]).is_err());
        assert!(MasterSecret::from_hex("zz").is_err());
    }

    #[test]
    fn token_hashes_are_keyed() {
        let a = secret().token_hash("X");
        let b = MasterSecret::from_bytes(&[9u8; 32]).unwrap().token_hash("X");
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
