//! The one byte encoding of everything Teller hashes or signs.
//!
//! Canonical JSON (see `FORMAT.md`, "Canonical encoding"): UTF-8, no
//! whitespace, object keys sorted by their UTF-8 bytes, integers only (no
//! fractions, no exponents), strings escaped minimally. Two encoders that
//! follow the rules produce the same bytes for the same value.

use serde::Serialize;
use serde_json::Value;

/// Why a value has no canonical encoding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalError {
    /// Canonical JSON carries integers only.
    #[error("a number that is not an integer ({0}) cannot be encoded canonically")]
    NotAnInteger(String),
    /// The value could not be turned into JSON at all.
    #[error("the value cannot be represented as JSON: {0}")]
    NotJson(String),
}

/// Why encoding Teller's own types cannot fail: they hold only strings,
/// integers, booleans, arrays and string-keyed maps, never a float.
pub const ENCODABLE: &str = "Teller's formats hold only strings, integers, booleans, arrays and string-keyed maps";

/// Encode any serialisable value canonically.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value).map_err(|e| CanonicalError::NotJson(e.to_string()))?;
    value_to_bytes(&value)
}

/// Encode a JSON value canonically.
pub fn value_to_bytes(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(CanonicalError::NotAnInteger(n.to_string()));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort explicitly: serde_json's map may keep insertion order when
            // another crate turns on its `preserve_order` feature.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_value(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Strings: `"` and `\` are escaped with a backslash, control characters
/// U+0000..U+001F as `\u00xx` (lower-case hex); everything else is literal.
/// Works on bytes: every byte of a multi-byte UTF-8 character is ≥ 0x80.
pub(crate) fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether `id` is an election id in its canonical form (FORMAT.md §1): a
/// UUID written as 36 characters, lower-case hex digits in groups of 8, 4,
/// 4, 4 and 12 separated by `-`.
pub fn is_election_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Read an election id, refusing any spelling but the canonical one (§1).
pub fn election_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = <String as serde::Deserialize>::deserialize(d)?;
    if is_election_id(&id) {
        Ok(id)
    } else {
        Err(serde::de::Error::custom(format!(
            "expected an election id (a UUID in lower-case hyphenated form, 36 characters), found {:?}",
            id.chars().take(80).collect::<String>()
        )))
    }
}

/// Read a JSON object into a map, refusing a key that appears twice (§2
/// rule 2: keys are unique), where serde's maps would keep the last value.
pub fn strict_map<'de, D, V>(d: D) -> Result<std::collections::BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: serde::Deserialize<'de>,
{
    struct StrictMap<V>(std::marker::PhantomData<V>);
    impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for StrictMap<V> {
        type Value = std::collections::BTreeMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object with unique keys")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = std::collections::BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    // Raised while reading the value, so the error's path ends in the key.
                    return match map.next_value_seed(Duplicate(key)) {
                        Err(e) => Err(e),
                        Ok(never) => match never {},
                    };
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(StrictMap(std::marker::PhantomData))
}

/// Read any JSON value, refusing a key that appears twice in any object
/// within it (§1 strict reading), where `serde_json::Value` keeps the last.
/// For free-form members such as a counted contest's `transcript`:
/// `#[serde(deserialize_with = "crate::canonical::strict_value")]`.
pub fn strict_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    d.deserialize_any(StrictValue)
}

struct StrictValue;

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictValue)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value whose objects have unique keys")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictValue)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return match map.next_value_seed(Duplicate(key)) {
                    Err(e) => Err(e),
                    Ok(never) => match never {},
                };
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// A value that is refused, as the second value of a duplicate key.
pub(crate) struct Duplicate(pub String);

impl<'de> serde::de::DeserializeSeed<'de> for Duplicate {
    type Value = std::convert::Infallible;
    fn deserialize<D: serde::Deserializer<'de>>(self, _: D) -> Result<Self::Value, D::Error> {
        Err(serde::de::Error::custom(format!(
            "the key {:?} appears twice in one object (§2 rule 2: keys are unique)",
            self.0
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: Value) -> String {
        String::from_utf8(value_to_bytes(&v).unwrap()).unwrap()
    }

    #[test]
    fn keys_are_sorted_bytewise_and_whitespace_removed() {
        assert_eq!(
            canon(json!({"b": 1, "a": [true, null], "B": "x", "é": 0})),
            r#"{"B":"x","a":[true,null],"b":1,"é":0}"#
        );
    }

    #[test]
    fn strings_escape_only_quote_backslash_and_controls() {
        assert_eq!(canon(json!("a\"b\\c\nd\u{1f}é/")), r#""a\"b\\c\u000ad\u001fé/""#);
    }

    #[test]
    fn election_ids_are_lower_case_hyphenated_uuids() {
        assert!(is_election_id("0b7c1a9e-3c1d-4e55-9a43-2f5d7a1c9e01"));
        assert!(!is_election_id("0B7C1A9E-3C1D-4E55-9A43-2F5D7A1C9E01"));
        assert!(!is_election_id("0b7c1a9e3c1d4e559a432f5d7a1c9e01"));
        assert!(!is_election_id("{0b7c1a9e-3c1d-4e55-9a43-2f5d7a1c9e0}"));
    }

    #[test]
    fn a_strict_map_refuses_a_duplicate_key() {
        #[derive(serde::Deserialize, Debug)]
        struct M {
            #[serde(deserialize_with = "strict_map")]
            #[allow(dead_code)]
            m: std::collections::BTreeMap<String, u8>,
        }
        assert!(serde_json::from_str::<M>(r#"{"m":{"a":1,"b":2}}"#).is_ok());
        let e = serde_json::from_str::<M>(r#"{"m":{"a":1,"a":2}}"#).unwrap_err();
        assert!(e.to_string().contains("\"a\" appears twice"), "{e}");
    }

    #[test]
    fn a_strict_value_refuses_a_duplicate_key_at_any_depth() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[serde(deserialize_with = "strict_value")]
            t: Value,
        }
        let ok: T = serde_json::from_str(r#"{"t":{"a":[{"b":1,"c":null}],"d":"x"}}"#).unwrap();
        assert_eq!(ok.t, json!({"a":[{"b":1,"c":null}],"d":"x"}));
        let e = serde_json::from_str::<T>(r#"{"t":{"a":[{"b":1,"b":2}]}}"#).unwrap_err();
        assert!(e.to_string().contains("\"b\" appears twice"), "{e}");
    }

    #[test]
    fn integers_are_plain_and_fractions_refused() {
        assert_eq!(canon(json!([-5, 0, u64::MAX])), "[-5,0,18446744073709551615]");
        assert!(matches!(
            value_to_bytes(&json!(1.5)),
            Err(CanonicalError::NotAnInteger(_))
        ));
    }
}
