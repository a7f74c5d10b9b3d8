//! Candidate photos: an uploaded PNG or JPEG made into Teller's own small
//! square picture.
//!
//! The upload is read by [`picture::decode`] (PNG or JPEG, under limits set
//! before any pixel is read, so a file that declares huge dimensions is
//! refused from its header). The picture, upright, is centre-cropped to a square, resized to [`SIZE`] pixels a
//! side and encoded afresh — JPEG, or PNG when the upload had transparency —
//! so nothing of the upload but its pixels is kept: no EXIF (a phone photo's
//! location), no comments, no colour profile, no trailing data.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::DynamicImage;

use super::picture::{self, Bounds, Format, Refusal};

/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
/// The most pixels a side an upload may declare.
pub const MAX_SIDE: u32 = 8_000;
/// The most memory the decoded upload may take (a 12-megapixel photo takes
/// about 36 MiB).
pub const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;
/// The stored picture's side, in pixels.
pub const SIZE: u32 = 240;
/// JPEG quality of the stored picture.
const JPEG_QUALITY: u8 = 85;

/// A stored picture's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
}

impl Kind {
    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
        }
    }

    /// The kind a stored media type names.
    pub fn of_mime(mime: &str) -> Option<Kind> {
        match mime {
            "image/jpeg" => Some(Kind::Jpeg),
            "image/png" => Some(Kind::Png),
            _ => None,
        }
    }
}

/// Teller's picture of a candidate.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    /// The encoded picture.
    pub bytes: Vec<u8>,
    /// Its encoding.
    pub kind: Kind,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Photo")
            .field("bytes", &self.bytes.len())
            .field("kind", &self.kind)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

impl Photo {
    /// A short name for these bytes: in the photo's URL and its ETag, so a
    /// new photo is a new address and browsers may keep each for good.
    pub fn digest(&self) -> String {
        digest_of(&self.bytes)
    }
}

/// The name [`Photo::digest`] gives `bytes`: the first 16 hex digits of
/// their SHA-256.
pub fn digest_of(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    hex::encode(&d.as_ref()[..8])
}

/// Why an upload was refused; each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Nothing was uploaded.
    #[error("choose a photo (a PNG or JPEG file) to upload")]
    Empty,
    /// Over [`MAX_UPLOAD_BYTES`].
    #[error("the file is larger than 2 MiB; save a smaller copy of the photo (2,000 pixels a side is plenty) and upload that")]
    TooLarge,
    /// Neither PNG nor JPEG.
    #[error("the file is not a PNG or JPEG image; save the photo as PNG or JPEG and upload that")]
    NotAnImage,
    /// Declares more than [`MAX_SIDE`] pixels a side or more than
    /// [`MAX_DECODED_BYTES`] of pixels.
    #[error("the image is {width} × {height} pixels, more than Teller accepts ({MAX_SIDE} pixels a side, about 20 megapixels); save a smaller copy and upload that")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The file is damaged or cut short.
    #[error("the image could not be read: the file is damaged or incomplete; save it again and upload that")]
    Damaged,
}

const BOUNDS: Bounds = Bounds {
    max_upload_bytes: MAX_UPLOAD_BYTES,
    max_side: MAX_SIDE,
    max_decoded_bytes: MAX_DECODED_BYTES,
};

/// Make Teller's picture from an upload, or say why not.
pub fn prepare(bytes: &[u8]) -> Result<Photo, PhotoError> {
    let decoded = picture::decode(bytes, BOUNDS).map_err(|refusal| match refusal {
        Refusal::Empty => PhotoError::Empty,
        Refusal::TooLarge => PhotoError::TooLarge,
        Refusal::NotAnImage => PhotoError::NotAnImage,
        Refusal::TooManyPixels { width, height } => PhotoError::TooManyPixels { width, height },
        Refusal::Damaged(_) => PhotoError::Damaged,
    })?;
    let transparent = decoded.format == Format::Png && decoded.image.color().has_alpha();
    Ok(encode(&square(&decoded.image), transparent))
}

/// The centre square, resized to [`SIZE`].
fn square(picture: &DynamicImage) -> DynamicImage {
    let side = picture.width().min(picture.height());
    let x = (picture.width() - side) / 2;
    let y = (picture.height() - side) / 2;
    picture
        .crop_imm(x, y, side, side)
        .resize_exact(SIZE, SIZE, FilterType::Lanczos3)
}

fn encode(picture: &DynamicImage, transparent: bool) -> Photo {
    let mut bytes = Vec::new();
    let kind = if transparent {
        let rgba = picture.to_rgba8();
        // Writing to a Vec of a valid RGBA buffer cannot fail.
        let _ = rgba.write_with_encoder(PngEncoder::new(&mut bytes));
        Kind::Png
    } else {
        let rgb = picture.to_rgb8();
        let _ = rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY));
        Kind::Jpeg
    };
    Photo {
        bytes,
        kind,
        width: SIZE,
        height: SIZE,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::picture::tests::{bomb, jpeg, png};

    #[test]
    fn a_photo_becomes_a_square_jpeg_and_transparency_a_png() {
        let p = prepare(&jpeg(640, 480)).unwrap();
        assert_eq!((p.kind, p.width, p.height), (Kind::Jpeg, SIZE, SIZE));
        let decoded = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (SIZE, SIZE));
        assert_eq!(prepare(&png(100, 300, false)).unwrap().kind, Kind::Jpeg);
        let t = prepare(&png(300, 100, true)).unwrap();
        assert_eq!(t.kind, Kind::Png);
        assert!(image::load_from_memory(&t.bytes).unwrap().color().has_alpha());
    }

    #[test]
    fn bad_uploads_are_refused_with_their_reason() {
        assert_eq!(prepare(b""), Err(PhotoError::Empty));
        assert_eq!(prepare(b"GIF89a...."), Err(PhotoError::NotAnImage));
        assert_eq!(prepare(&vec![0xFF; MAX_UPLOAD_BYTES + 1]), Err(PhotoError::TooLarge));
        let whole = png(200, 200, false);
        assert_eq!(prepare(&whole[..whole.len() / 2]), Err(PhotoError::Damaged));
        let whole = jpeg(200, 200);
        assert_eq!(prepare(&whole[..whole.len() - 40]), Err(PhotoError::Damaged));
    }

    #[test]
    fn huge_declared_dimensions_are_refused_from_the_header() {
        assert_eq!(
            prepare(&bomb(60_000, 60_000)),
            Err(PhotoError::TooManyPixels {
                width: 60_000,
                height: 60_000
            })
        );
        // Within the side limit, but too many pixels to hold.
        assert_eq!(
            prepare(&bomb(7_900, 7_900)),
            Err(PhotoError::TooManyPixels {
                width: 7_900,
                height: 7_900
            })
        );
    }
}
