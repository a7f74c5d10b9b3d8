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
    fn integers_are_plain_and_fractions_refused() {
        assert_eq!(canon(json!([-5, 0, u64::MAX])), "[-5,0,18446744073709551615]");
        assert!(matches!(
            value_to_bytes(&json!(1.5)),
            Err(CanonicalError::NotAnInteger(_))
        ));
    }
}
