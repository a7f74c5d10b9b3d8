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
    let counter = step_of(time) as u64;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let h = tag.as_ref();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let value = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]) % 1_000_000;
    format!("{value:06}")
}

/// The time step (Unix time / 30 s) containing `time`: the counter a code is made from.
pub fn step_of(time: i64) -> i64 {
    time.div_euclid(STEP)
}

/// The time step whose code `typed` is, if it is the code for now or for one
/// step either side (clock drift); `None` otherwise.
///
/// A code is a password for one step only: the caller must refuse a step
/// that is not later than the last one the account used (RFC 6238 §5.2,
/// "the verifier MUST NOT accept the second attempt of the OTP after the
/// successful validation has been issued for the first OTP").
pub fn verify(secret: &[u8], typed: &str, now: i64) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Check every candidate (no early exit), so timing does not tell which matched.
    let mut matched = None;
    for d in [-STEP, 0, STEP] {
        let expected = code_at(secret, now + d);
        if bool::from(expected.as_bytes().ct_eq(typed.as_bytes())) {
            matched = Some(step_of(now + d));
        }
    }
    matched
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
        assert_eq!(verify(secret, "287082", 59), Some(1));
        assert_eq!(verify(secret, "287 082", 80), Some(1));
        assert_eq!(verify(secret, "287082", 59 + 100), None);
        assert_eq!(verify(secret, "28708", 59), None);
        assert_eq!(verify(secret, "abcdef", 59), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }
}
