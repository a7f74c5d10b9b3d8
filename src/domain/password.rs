//! The password policy for staff accounts: long enough, and not guessable.
//!
//! Length alone lets `aaaaaaaaaaaa`, `password1234` and `qwertyuiopas`
//! through. Each new password is also scored by zxcvbn (Dropbox's estimator:
//! dictionaries of common passwords, names and words, keyboard walks,
//! repeats, sequences and dates, with the account's own names as extra
//! words), and refused below score 3, "safely unguessable" (about 10^10
//! guesses, the level zxcvbn's authors recommend as the minimum).

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;

/// The lowest zxcvbn score accepted (0–4).
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Why a password was refused: a sentence the person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    /// Shorter than [`MIN_LENGTH`].
    #[error("a password needs at least {MIN_LENGTH} characters")]
    TooShort,
    /// Long enough, but easy to guess; says why.
    #[error("that password is too easy to guess ({0}); use a few uncommon words or a password manager")]
    Guessable(String),
}

/// Check a new password. `own_words` are the account's username and display
/// name: a password built from them is easy to guess for anyone who knows
/// the account.
pub fn check(password: &str, own_words: &[&str]) -> Result<(), WeakPassword> {
    if password.chars().count() < MIN_LENGTH {
        return Err(WeakPassword::TooShort);
    }
    // Each word of a display name on its own, as well as whole.
    let words: Vec<&str> = own_words
        .iter()
        .flat_map(|w| std::iter::once(*w).chain(w.split_whitespace()))
        .filter(|w| !w.is_empty())
        .collect();
    // zxcvbn looks at the first 100 characters only, so this is cheap for any input.
    let estimate = zxcvbn::zxcvbn(password, &words);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let reason = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| w.to_string())
        .unwrap_or_else(|| "it follows a common pattern.".to_string());
    Err(WeakPassword::Guessable(reason.trim_end_matches('.').to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_repetitive_and_keyboard_passwords_are_refused() {
        for weak in [
            "aaaaaaaaaaaa",
            "password1234",
            "Password1234!",
            "qwertyuiop12",
            "1qaz2wsx3edc",
            "123456789012",
            "abcdefghijkl",
            "abcabcabcabc",
            "iloveyou2024",
        ] {
            assert!(
                matches!(check(weak, &[]), Err(WeakPassword::Guessable(_))),
                "{weak} was accepted"
            );
        }
        assert_eq!(check("short", &[]), Err(WeakPassword::TooShort));
    }

    #[test]
    fn the_accounts_own_names_count_as_guessable() {
        assert_eq!(check("svensson-olga", &[]), Ok(()));
        assert!(check("svensson-olga", &["olga", "Olga Svensson"]).is_err());
    }

    #[test]
    fn strong_passwords_pass() {
        for strong in [
            "correct horse battery staple",
            "plum tractor vivid oyster",
            // The passwords scripts/screenshots.py and the console tests use.
            "a long demo password",
            "officer password!",
            "administrator password",
            "Kx7#mQ2!vR9$",
        ] {
            assert_eq!(check(strong, &[]), Ok(()), "{strong}");
        }
    }

    #[test]
    fn the_reason_is_said() {
        let Err(WeakPassword::Guessable(why)) = check("aaaaaaaaaaaa", &[]) else {
            panic!("accepted")
        };
        assert!(why.contains("repeats"), "{why}");
    }
}
