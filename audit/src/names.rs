//! Names that look alike (FORMAT.md §4a): which characters a write-in may
//! hold, and the **name key** under which two names that look the same are
//! the same name.
//!
//! The key is the UTS #39 confusable skeleton with ASCII letters folded to
//! lower case: `key(Аlice)` (Cyrillic А) = `key(AIice)` (capital I) =
//! `key(Alice)`, and the precomposed and decomposed spellings of "Zoë"
//! share a key. The Unicode data is that of [`UNICODE_VERSION`], as shipped in the
//! crates pinned in `audit/Cargo.toml` (`unicode-security` for the
//! confusables and the skeleton, `unicode-normalization` for NFC and NFD,
//! `unicode-properties` for general categories).

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The Unicode version whose data defines the rules here (all three crates
/// must agree; a test checks they do).
pub const UNICODE_VERSION: (u64, u64, u64) = unicode_security::UNICODE_VERSION;

/// Why a character may not stand in a write-in name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// General category Cc (C0 and C1 controls, including tab and line feed).
    Control,
    /// Invisible or formatting: general category Cf, Zl or Zp, or
    /// Default_Ignorable_Code_Point (zero-width joiner, bidi controls,
    /// variation selectors, Hangul fillers, soft hyphen, …).
    Invisible,
    /// General category Cn (unassigned, noncharacters), Co (private use) or
    /// Cs (surrogates): no agreed glyph, so no one can say what it shows.
    Unassigned,
}

impl Forbidden {
    /// The class in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Forbidden::Control => "a control character",
            Forbidden::Invisible => "an invisible or formatting character",
            Forbidden::Unassigned => "an unassigned or private-use character",
        }
    }
}

/// A character and its code point, as messages name it: `U+200D`.
pub struct CodePoint(pub char);

impl fmt::Display for CodePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U+{:04X}", u32::from(self.0))
    }
}

/// Whether `c` may not stand in a write-in name, and why.
pub fn forbidden(c: char) -> Option<Forbidden> {
    match c.general_category() {
        GeneralCategory::Control => Some(Forbidden::Control),
        GeneralCategory::Format | GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
            Some(Forbidden::Invisible)
        }
        GeneralCategory::Unassigned | GeneralCategory::PrivateUse | GeneralCategory::Surrogate => {
            if default_ignorable(c) {
                Some(Forbidden::Invisible)
            } else {
                Some(Forbidden::Unassigned)
            }
        }
        _ if default_ignorable(c) => Some(Forbidden::Invisible),
        _ => None,
    }
}

/// The first forbidden character of `name`, with its class.
pub fn first_forbidden(name: &str) -> Option<(char, Forbidden)> {
    name.chars().find_map(|c| forbidden(c).map(|f| (c, f)))
}

/// Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 18.0.0):
/// the same table `unicode-security` removes when it computes a skeleton
/// (a test checks they agree on every code point).
pub fn default_ignorable(c: char) -> bool {
    const RANGES: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x061C, 0x061C),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFF8),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    ];
    let c = u32::from(c);
    RANGES.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c))
}

/// Whether `name` is in Unicode normalisation form C.
pub fn is_nfc(name: &str) -> bool {
    unicode_normalization::is_nfc(name)
}

/// `name` in normalisation form C.
pub fn nfc(name: &str) -> String {
    name.nfc().collect()
}

/// `name` with the ASCII letters A–Z mapped to a–z; every other character
/// as it is.
pub fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The name key: `fold(skeleton(name))`, where `skeleton` is UTS #39's
/// (NFD, remove Default_Ignorable_Code_Point, replace each character by its
/// prototype in confusables.txt, NFD). Two names with equal keys look alike
/// and are the same name. Folding after the skeleton keeps its look-alikes
/// ("AIice" with a capital I is "Alice") and ignores most differences of
/// ASCII case, though not all (the skeleton maps capital I to l, and m to rn).
pub fn key(name: &str) -> String {
    unicode_security::skeleton(name)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a write-in or candidate name `a` stands for `b`: the same name
/// key, or the same name ignoring ASCII case.
pub fn same_name(a: &str, b: &str) -> bool {
    key(a) == key(b) || fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crates_share_one_unicode_version() {
        assert_eq!(UNICODE_VERSION, (18, 0, 0));
        assert_eq!(unicode_properties::UNICODE_VERSION, UNICODE_VERSION);
        let (a, b, c) = unicode_normalization::UNICODE_VERSION;
        assert_eq!((u64::from(a), u64::from(b), u64::from(c)), UNICODE_VERSION);
    }

    #[test]
    fn a_cyrillic_look_alike_has_the_latin_key() {
        let cyrillic = "\u{0410}lice";
        assert_ne!(cyrillic, "Alice");
        assert_eq!(key(cyrillic), "alice");
        assert_eq!(key("Alice"), "alice");
        assert_eq!(key("AIice"), "alice", "capital I for l");
        assert_eq!(key("\u{0430}lice"), key("alice"));
        assert_eq!(key("JO BLOGGS"), key("Jo Bloggs"));
        // Case alone is not always a look-alike; same_name covers it.
        assert_ne!(key("ALICE"), key("Alice"));
        assert!(same_name("ALICE", "Alice") && same_name(cyrillic, "Alice"));
        assert!(!same_name("Alice", "Alicia"));
        assert_eq!(key("Wim"), "wirn");
        assert_ne!(key("Alice"), key("Alicia"));
        // Whole-script Cyrillic: "Рорра" (all Cyrillic) is "Poppa".
        assert_eq!(key("\u{0420}\u{043e}\u{0440}\u{0440}\u{0430}"), key("Poppa"));
    }

    #[test]
    fn composed_and_decomposed_spellings_share_a_key() {
        let nfc_zoe = "Zo\u{00eb}";
        let nfd_zoe = "Zoe\u{0308}";
        assert!(is_nfc(nfc_zoe));
        assert!(!is_nfc(nfd_zoe));
        assert_eq!(nfc(nfd_zoe), nfc_zoe);
        assert_eq!(key(nfc_zoe), key(nfd_zoe));
        assert_eq!(key(nfc_zoe), "zoe\u{308}");
        assert_ne!(key(nfc_zoe), key("Zoe"));
    }

    #[test]
    fn invisible_characters_are_forbidden_and_ignored_by_the_key() {
        let joined = "Zo\u{200d}\u{00eb}";
        assert_eq!(first_forbidden(joined), Some(('\u{200d}', Forbidden::Invisible)));
        assert_eq!(key(joined), key("Zo\u{00eb}"));
        for c in [
            '\u{200b}', '\u{200e}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{00ad}', '\u{fe0f}', '\u{3164}',
        ] {
            assert_eq!(forbidden(c), Some(Forbidden::Invisible), "{}", CodePoint(c));
        }
        assert_eq!(forbidden('\u{2028}'), Some(Forbidden::Invisible));
        assert_eq!(forbidden('\u{1}'), Some(Forbidden::Control));
        assert_eq!(forbidden('\t'), Some(Forbidden::Control));
        assert_eq!(forbidden('\u{85}'), Some(Forbidden::Control));
        assert_eq!(forbidden('\u{e000}'), Some(Forbidden::Unassigned));
        assert_eq!(forbidden('\u{ffff}'), Some(Forbidden::Unassigned));
        for c in [
            'a',
            'Z',
            ' ',
            '\u{a0}',
            '\u{eb}',
            '\u{308}',
            '\u{416}',
            '\u{4e2d}',
            '\'',
            '-',
            '\u{1f600}',
        ] {
            assert_eq!(forbidden(c), None, "{}", CodePoint(c));
        }
        assert_eq!(CodePoint('\u{1}').to_string(), "U+0001");
        assert_eq!(CodePoint('\u{e0001}').to_string(), "U+E0001");
    }

    #[test]
    fn the_default_ignorable_table_is_the_one_the_skeleton_removes() {
        // A default-ignorable character (none decomposes, none is the
        // prototype of another) has an empty skeleton; nothing else does.
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let empty = unicode_security::skeleton(c.encode_utf8(&mut buf)).next().is_none();
            assert_eq!(empty, default_ignorable(c), "{}", CodePoint(c));
        }
    }
}
