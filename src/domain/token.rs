//! Voting tokens: 130 random bits from the OS generator, written in a form
//! people can type — Crockford's base32 (no I, L, O or U), two check
//! characters, in groups of four: `7K3M-Q9TD-…`.

use crate::secrets::{random_bytes, SecretError};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random symbols: 26 × 5 = 130 bits.
const RANDOM_SYMBOLS: usize = 26;
/// Random symbols plus two check symbols.
pub const TOKEN_SYMBOLS: usize = RANDOM_SYMBOLS + 2;
/// A prime just under 32², so the weighted sum catches every single-symbol
/// error and every swap of neighbours.
const CHECK_MODULUS: u32 = 1021;

/// A voting token in canonical form: 28 symbols, no separators.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

/// Why typed text is not a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    /// Wrong length or characters outside the alphabet.
    #[error("a voting code has 28 letters and digits, in groups of four")]
    Malformed,
    /// Well-formed, but the check characters do not match: a typing mistake.
    #[error("the voting code has a typing mistake; check each group of four")]
    Mistyped,
}

fn checksum(values: &[u32]) -> [u32; 2] {
    let sum = values
        .iter()
        .enumerate()
        .fold(0u32, |acc, (i, v)| (acc + (i as u32 + 1) * v) % CHECK_MODULUS);
    [sum / 32, sum % 32]
}

impl Token {
    /// A fresh token from the OS generator.
    pub fn generate() -> Result<Self, SecretError> {
        let bytes = random_bytes::<17>()?; // 136 bits; the first 130 are used
        let mut values = Vec::with_capacity(TOKEN_SYMBOLS);
        for i in 0..RANDOM_SYMBOLS {
            let bit = i * 5;
            let word = (u16::from(bytes[bit / 8]) << 8) | u16::from(bytes[bit / 8 + 1]);
            values.push(u32::from((word >> (11 - bit % 8)) & 0x1f));
        }
        values.extend(checksum(&values));
        Ok(Token(values.iter().map(|v| ALPHABET[*v as usize] as char).collect()))
    }

    /// Parse what a member typed or a link carried: case, spaces and dashes
    /// do not matter, and O, I and L are read as 0, 1 and 1.
    pub fn parse(text: &str) -> Result<Self, TokenFormatError> {
        if text.len() > 100 {
            return Err(TokenFormatError::Malformed);
        }
        let mut values = Vec::with_capacity(TOKEN_SYMBOLS);
        for c in text.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\t' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let v = ALPHABET
                .iter()
                .position(|a| *a as char == c)
                .ok_or(TokenFormatError::Malformed)?;
            values.push(v as u32);
        }
        if values.len() != TOKEN_SYMBOLS {
            return Err(TokenFormatError::Malformed);
        }
        if checksum(&values[..RANDOM_SYMBOLS]) != [values[RANDOM_SYMBOLS], values[RANDOM_SYMBOLS + 1]] {
            return Err(TokenFormatError::Mistyped);
        }
        Ok(Token(values.iter().map(|v| ALPHABET[*v as usize] as char).collect()))
    }

    /// The canonical form: what is hashed and put in links.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped for people: `7K3M-Q9TD-…`.
    pub fn grouped(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back_in_any_typed_form() {
        for _ in 0..200 {
            let t = Token::generate().unwrap();
            assert_eq!(t.as_str().len(), TOKEN_SYMBOLS);
            assert_eq!(Token::parse(&t.grouped()).unwrap(), t);
            assert_eq!(Token::parse(&t.grouped().to_lowercase().replace('-', " ")).unwrap(), t);
        }
    }

    #[test]
    fn tokens_differ_and_use_the_whole_alphabet() {
        let tokens: std::collections::HashSet<String> = (0..1000)
            .map(|_| Token::generate().unwrap().as_str().to_string())
            .collect();
        assert_eq!(tokens.len(), 1000);
        let used: std::collections::HashSet<char> = tokens.iter().flat_map(|t| t[..26].chars()).collect();
        assert_eq!(used.len(), 32);
    }

    #[test]
    fn every_single_typo_and_neighbour_swap_is_caught() {
        let t = Token::generate().unwrap();
        let s: Vec<char> = t.as_str().chars().collect();
        for i in 0..s.len() {
            for a in ALPHABET.iter().map(|b| *b as char) {
                if a != s[i] {
                    let mut typo = s.clone();
                    typo[i] = a;
                    let typed: String = typo.iter().collect();
                    assert_eq!(Token::parse(&typed), Err(TokenFormatError::Mistyped), "{typed}");
                }
            }
            if i + 1 < s.len() && s[i] != s[i + 1] {
                let mut swapped = s.clone();
                swapped.swap(i, i + 1);
                let typed: String = swapped.iter().collect();
                assert_eq!(Token::parse(&typed), Err(TokenFormatError::Mistyped));
            }
        }
    }

    #[test]
    fn ambiguous_letters_are_read_as_digits_and_junk_is_malformed() {
        let t = Token::generate().unwrap();
        let with_o = t.as_str().replace('0', "O");
        assert_eq!(Token::parse(&with_o).unwrap(), t);
        assert_eq!(Token::parse("hello"), Err(TokenFormatError::Malformed));
        assert_eq!(Token::parse(&"A".repeat(500)), Err(TokenFormatError::Malformed));
        assert_eq!(Token::parse("ÄÄÄ"), Err(TokenFormatError::Malformed));
    }
}
