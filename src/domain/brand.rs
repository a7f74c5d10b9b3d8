//! The organisation's own look, checked: colours within an accessible
//! palette (WCAG 2.1 contrast), its names, and the privacy notice's
//! address. Plain functions over plain types; the console and the store
//! call them (`web::staff::organisation`, `store::organisation`).

use std::fmt;

/// A colour given as `#rrggbb`, kept in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour([u8; 3]);

impl Colour {
    /// White: the header's text, and the page behind links and buttons.
    pub const WHITE: Colour = Colour([0xff, 0xff, 0xff]);

    /// Read `#rrggbb` (either case; surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Colour> {
        let hex = text.trim().strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Colour([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// WCAG 2.1 relative luminance (§ "relative luminance": sRGB channels
    /// linearised, weighted 0.2126, 0.7152, 0.0722), from 0 (black) to 1.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG 2.1 contrast ratio with `other`: (L1 + 0.05) / (L2 + 0.05), the
    /// lighter over the darker, from 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a >= b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }

    /// A darker shade (`share` of the way to black), for hover states: it
    /// only ever contrasts more with white.
    pub fn darker(self, share: f64) -> Colour {
        let keep = (1.0 - share).clamp(0.0, 1.0);
        let [r, g, b] = self.0;
        let d = |c: u8| (f64::from(c) * keep).round() as u8;
        Colour([d(r), d(g), d(b)])
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// The least contrast of the primary colour with white: it is the header's
/// background behind white text, and the colour of links and buttons on
/// white (WCAG 2.1 SC 1.4.3, normal text).
pub const PRIMARY_MIN_CONTRAST: f64 = 4.5;
/// The least contrast of the accent colour with white: it draws the focus
/// outline (WCAG 2.1 SC 1.4.11, non-text contrast).
pub const ACCENT_MIN_CONTRAST: f64 = 3.0;

/// The primary colour until staff choose one (teller.css's own).
pub const DEFAULT_PRIMARY: &str = "#1d4f91";
/// The accent colour offered until staff choose one.
pub const DEFAULT_ACCENT: &str = "#b35c00";

/// Why a colour was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ColourError {
    /// Not `#rrggbb`.
    #[error("the {what} colour {given:?} is not a colour written as #rrggbb (such as #1d4f91)")]
    Format {
        /// Which colour.
        what: &'static str,
        /// What was given.
        given: String,
    },
    /// Too little contrast with white.
    #[error(
        "the {what} colour {colour} has a contrast of {measured}:1 with white, below the {minimum}:1 needed ({why}); choose a darker colour"
    )]
    Contrast {
        /// Which colour.
        what: &'static str,
        /// The colour.
        colour: Colour,
        /// Its contrast with white, rounded down to two decimals.
        measured: String,
        /// The least allowed.
        minimum: f64,
        /// What the colour is used for.
        why: &'static str,
    },
}

/// A ratio rounded down to two decimals, so that a colour just short of the
/// minimum is never shown as reaching it.
pub fn ratio_text(ratio: f64) -> String {
    format!("{:.2}", (ratio * 100.0).floor() / 100.0)
}

fn checked(what: &'static str, given: &str, minimum: f64, why: &'static str) -> Result<Colour, ColourError> {
    let colour = Colour::parse(given).ok_or_else(|| ColourError::Format {
        what,
        given: given.trim().to_string(),
    })?;
    let ratio = colour.contrast(Colour::WHITE);
    if ratio < minimum {
        return Err(ColourError::Contrast {
            what,
            colour,
            measured: ratio_text(ratio),
            minimum,
            why,
        });
    }
    Ok(colour)
}

/// The primary colour, if it contrasts at least 4.5:1 with white.
pub fn primary(given: &str) -> Result<Colour, ColourError> {
    checked(
        "primary",
        given,
        PRIMARY_MIN_CONTRAST,
        "white text on it in the header, and links and buttons in it on white",
    )
}

/// The accent colour, if it contrasts at least 3:1 with white.
pub fn accent(given: &str) -> Result<Colour, ColourError> {
    checked(
        "accent",
        given,
        ACCENT_MIN_CONTRAST,
        "the outline around what has the keyboard focus",
    )
}

/// The privacy notice's address: empty (none), or an `https://` URL.
pub fn privacy_url(given: &str) -> Result<String, String> {
    let given = given.trim();
    if given.is_empty() {
        return Ok(String::new());
    }
    let refuse = || format!("the privacy notice's address {given:?} must be a full https:// address");
    if given.len() > 500 || given.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse());
    }
    let url = url::Url::parse(given).map_err(|_| refuse())?;
    if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() {
        return Err(refuse());
    }
    Ok(url.to_string())
}

/// A name shown on every page: one short line of text, at most `max`
/// characters.
pub fn name(what: &str, given: &str, max: usize) -> Result<String, String> {
    let given = given.trim();
    if given.is_empty() {
        return Err(format!("give the {what}"));
    }
    if given.chars().count() > max || given.chars().any(char::is_control) {
        return Err(format!("the {what} must be one line of at most {max} characters"));
    }
    Ok(given.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn c(hex: &str) -> Colour {
        Colour::parse(hex).unwrap()
    }

    #[test]
    fn luminance_of_known_colours() {
        assert_eq!(c("#000000").luminance(), 0.0);
        assert!((c("#ffffff").luminance() - 1.0).abs() < 1e-12);
        // Pure primaries are their weights.
        assert!((c("#ff0000").luminance() - 0.2126).abs() < 1e-12);
        assert!((c("#00ff00").luminance() - 0.7152).abs() < 1e-12);
        assert!((c("#0000ff").luminance() - 0.0722).abs() < 1e-12);
        // #808080: ((0.50196 + 0.055) / 1.055)^2.4 = 0.21586.
        assert!((c("#808080").luminance() - 0.21586).abs() < 1e-5);
    }

    #[test]
    fn contrast_matches_published_values() {
        // Values as WebAIM's contrast checker and the WCAG examples give them.
        let white = Colour::WHITE;
        assert_eq!(ratio_text(c("#000000").contrast(white)), "21.00");
        assert_eq!(ratio_text(white.contrast(white)), "1.00");
        assert_eq!(ratio_text(c("#767676").contrast(white)), "4.54");
        assert_eq!(ratio_text(c("#777777").contrast(white)), "4.47");
        assert_eq!(ratio_text(c("#0000ff").contrast(white)), "8.59");
        assert_eq!(ratio_text(c("#ff0000").contrast(white)), "3.99");
        // Symmetric.
        assert_eq!(c("#767676").contrast(white), white.contrast(c("#767676")));
    }

    #[test]
    fn the_palette_is_checked_against_white() {
        assert_eq!(primary("#767676").unwrap(), c("#767676"));
        let err = primary("#777777").unwrap_err();
        assert!(
            err.to_string().contains("4.47:1") && err.to_string().contains("4.5:1"),
            "{err}"
        );
        assert!(accent("#ff0000").is_ok()); // 3.99:1: enough for an outline
        assert!(primary("#ff0000").is_err()); // not for text
        assert!(accent("#949494").is_ok()); // 3.03:1
        assert!(accent("#959595").is_err()); // 2.99:1
        assert!(primary(DEFAULT_PRIMARY).is_ok() && accent(DEFAULT_ACCENT).is_ok());
        assert!(matches!(primary("1d4f91"), Err(ColourError::Format { .. })));
        assert!(matches!(primary("#1d4f9"), Err(ColourError::Format { .. })));
        assert!(matches!(primary("#1d4f9g"), Err(ColourError::Format { .. })));
        assert_eq!(primary(" #1D4F91 ").unwrap().to_string(), "#1d4f91");
    }

    #[test]
    fn darker_only_adds_contrast() {
        let base = c("#767676");
        assert!(base.darker(0.25).contrast(Colour::WHITE) > base.contrast(Colour::WHITE));
        assert_eq!(c("#ffffff").darker(1.0), c("#000000"));
    }

    #[test]
    fn privacy_notice_must_be_https() {
        assert_eq!(privacy_url("").unwrap(), "");
        assert_eq!(
            privacy_url("https://society.example/privacy").unwrap(),
            "https://society.example/privacy"
        );
        for bad in [
            "http://society.example/privacy",
            "javascript:alert(1)",
            "https://",
            "society.example/privacy",
            "https://a b.example/",
            "https://user:pw@society.example/",
        ] {
            assert!(privacy_url(bad).is_err(), "{bad}");
        }
    }
}
