//! Candidate photos: an uploaded PNG or JPEG made into Teller's own small
//! square picture.
//!
//! The upload is decoded under [`Limits`] set before any pixel is read, so a
//! file that declares huge dimensions (a decompression bomb) is refused from
//! its header, never allocated. The picture is turned upright (EXIF
//! orientation), centre-cropped to a square, resized to [`SIZE`] pixels a
//! side and encoded afresh — JPEG, or PNG when the upload had transparency —
//! so nothing of the upload but its pixels is kept: no EXIF (a phone photo's
//! location), no comments, no colour profile, no trailing data.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

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

/// The format `bytes` start with, if PNG or JPEG.
fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else {
        None
    }
}

fn limits() -> Limits {
    // `Limits` is non-exhaustive: start from the defaults and tighten.
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

/// A JPEG's entropy-coded data cannot hold `FF D9` (a data byte `FF` is
/// always followed by `00`), so a JPEG cut short has no end-of-image marker
/// after its last start-of-scan. (The decoder would otherwise fill the
/// missing part with grey.)
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let last_end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
    matches!((last_scan, last_end), (Some(s), Some(e)) if e > s)
}

/// Make Teller's picture from an upload, or say why not.
pub fn prepare(bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let format = sniff(bytes).ok_or(PhotoError::NotAnImage)?;
    if format == ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(PhotoError::Damaged);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // The limits apply before anything is decoded: the decoder reads only
    // the header to learn the dimensions, and refuses past them.
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| refusal(&e, bytes, format))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(PhotoError::Damaged);
    }
    if width > MAX_SIDE || height > MAX_SIDE || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| refusal(&e, bytes, format))?;
    picture.apply_orientation(orientation);
    let transparent = format == ImageFormat::Png && picture.color().has_alpha();
    Ok(encode(&square(&picture), transparent))
}

/// Why the decoder refused: too many pixels, or a damaged file.
fn refusal(e: &image::ImageError, bytes: &[u8], format: ImageFormat) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => {
            let (width, height) = declared_size(bytes, format).unwrap_or((0, 0));
            PhotoError::TooManyPixels { width, height }
        }
        _ => PhotoError::Damaged,
    }
}

/// The dimensions a file's header declares, read without limits on them
/// (nothing is decoded).
fn declared_size(bytes: &[u8], format: ImageFormat) -> Option<(u32, u32)> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    reader.into_dimensions().ok()
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
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if alpha {
            let img = ImageBuffer::from_fn(width, height, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 90, 128]));
            img.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
        } else {
            let img = ImageBuffer::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
            img.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
        }
        out
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 200]));
        let mut out = Vec::new();
        img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .unwrap();
        out
    }

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
        // A PNG header declaring 60,000 × 60,000 pixels (10 GiB of RGBA),
        // with almost no data behind it.
        let mut bomb = png(1, 1, true);
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        // The header's CRC is not fixed: the limit must refuse it first, or
        // the CRC does; either way nothing is allocated. Fix the CRC to be sure
        // it is the limit.
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            prepare(&bomb),
            Err(PhotoError::TooManyPixels {
                width: 60_000,
                height: 60_000
            })
        );
        // Within the side limit, but too many pixels to hold.
        let mut wide = png(1, 1, true);
        wide[16..20].copy_from_slice(&7_900u32.to_be_bytes());
        wide[20..24].copy_from_slice(&7_900u32.to_be_bytes());
        let crc = crc32(&wide[12..29]);
        wide[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            prepare(&wide),
            Err(PhotoError::TooManyPixels {
                width: 7_900,
                height: 7_900
            })
        );
    }

    /// CRC-32 as PNG chunks use it.
    pub(crate) fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
