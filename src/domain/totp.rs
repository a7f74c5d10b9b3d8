//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps,
//! 6 digits) for staff's optional second factor, and the base-32 text
//! authenticator apps take.

use ring::hmac;
use subtle::ConstantTimeEq;

const STEP: i64 = 30;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base-32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The code for `secret` in the step containing `time`.
pub fn code_at(secret: &[u8], time: i64) -> String {
    let counter = time.div_euclid(STEP) as u64;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let h = tag.as_ref();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let value = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]) % 1_000_000;
    format!("{value:06}")
}

/// Whether `typed` is the code for now, or one step either side (clock drift).
pub fn verify(secret: &[u8], typed: &str, now: i64) -> bool {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    [-STEP, 0, STEP].iter().any(|d| {
        let expected = code_at(secret, now + d);
        bool::from(expected.as_bytes().ct_eq(typed.as_bytes()))
    })
}

/// The `otpauth://` URI authenticator apps accept.
pub fn uri(secret: &[u8], account: &str) -> String {
    let account: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!(
        "otpauth://totp/Teller:{account}?secret={}&issuer=Teller&digits=6&period=30",
        base32(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1, last six digits.
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, t), code, "at {t}");
        }
    }

    #[test]
    fn codes_verify_within_one_step_only() {
        let secret = b"12345678901234567890";
        assert!(verify(secret, "287082", 59));
        assert!(verify(secret, "287 082", 80));
        assert!(!verify(secret, "287082", 59 + 100));
        assert!(!verify(secret, "28708", 59));
        assert!(!verify(secret, "abcdef", 59));
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }
}
