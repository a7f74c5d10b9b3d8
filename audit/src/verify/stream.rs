//! Reading a record as a stream: the top-level members one by one, the log
//! entry by entry and the ballots one at a time, each fed to the
//! [`Verifier`] and dropped.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Report, Verifier};
use crate::ballot::PublishedBallot;
use crate::checkpoint::SignedCheckpoint;
use crate::crypto::PublicKey;
use crate::log::ChainedEntry;
use crate::receipt::Receipt;
use crate::record::{Counts, ElectionInfo};
use crate::tally::Tally;

/// Why a record could not be read at all (as opposed to read and found wanting).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or not shaped like a record.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// Verify a record read from `reader` (a file, say), holding only what the
/// checks need, and optionally a receipt against it.
pub fn verify_reader<R: Read>(
    reader: R,
    seen: &[SignedCheckpoint],
    receipt: Option<&Receipt>,
) -> Result<Report, ReadError> {
    let mut verifier = Verifier::new(seen, receipt);
    let mut de = serde_json::Deserializer::from_reader(reader);
    RecordSeed(&mut verifier).deserialize(&mut de)?;
    de.end()?;
    Ok(verifier.finish())
}

struct RecordSeed<'v, 'a>(&'v mut Verifier<'a>);

const MEMBERS: &[&str] = &[
    "format",
    "election",
    "public_key",
    "log",
    "checkpoints",
    "ballots",
    "counts",
    "tally",
];

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(RecordVisitor(self.0))
    }
}

struct RecordVisitor<'v, 'a>(&'v mut Verifier<'a>);

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Teller election record (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let v = self.0;
        let mut seen = [false; 8];
        while let Some(key) = map.next_key::<String>()? {
            let Some(index) = MEMBERS.iter().position(|m| *m == key) else {
                return Err(de::Error::unknown_field(&key, MEMBERS));
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(de::Error::custom(format!("the member {key:?} appears twice")));
            }
            match index {
                0 => v.format(&map.next_value::<String>()?),
                1 => v.election(map.next_value::<ElectionInfo>()?),
                2 => v.public_key(map.next_value::<PublicKey>()?),
                3 => {
                    map.next_value_seed(LogSeed(v))?;
                    v.log_end();
                }
                4 => v.checkpoints(map.next_value::<Vec<SignedCheckpoint>>()?),
                5 => map.next_value_seed(BallotsSeed(v))?,
                6 => v.counts(map.next_value::<Counts>()?),
                _ => v.tally(map.next_value::<Option<Tally>>()?),
            }
        }
        if let Some(missing) = MEMBERS.iter().zip(seen).find(|(_, s)| !s) {
            return Err(de::Error::missing_field(missing.0));
        }
        Ok(())
    }
}

struct LogSeed<'v, 'a>(&'v mut Verifier<'a>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the log: an array of entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<ChainedEntry>()? {
            self.0.log_entry(&entry);
        }
        Ok(())
    }
}

struct BallotsSeed<'v, 'a>(&'v mut Verifier<'a>);

impl<'de> DeserializeSeed<'de> for BallotsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for BallotsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the ballots: null or an array of ballots")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.no_ballots();
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(b) = seq.next_element::<PublishedBallot>()? {
            self.0.ballot(&b);
        }
        self.0.ballots_end();
        Ok(())
    }
}
