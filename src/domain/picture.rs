//! Reading an uploaded picture — a candidate's photo (`photo.rs`) or the
//! organisation's logo (`logo.rs`) — safely, once for both.
//!
//! Only PNG and JPEG are read, known by their first bytes (not by the file
//! name or the browser's word). The decoder works under [`Limits`] set
//! before any pixel is read, so a small file that declares a huge picture (a
//! decompression bomb) is refused from its header, never allocated. A JPEG
//! cut short is refused (the decoder would fill the missing part with grey),
//! as is a PNG cut short (its decoder notices). The picture is turned
//! upright by its EXIF orientation; the caller resizes and re-encodes it, so
//! nothing of the upload but its pixels is ever kept.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// How much an upload may be.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The largest file, in bytes.
    pub max_upload_bytes: usize,
    /// The most pixels a side the file may declare.
    pub max_side: u32,
    /// The most memory the decoded picture may take, in bytes.
    pub max_decoded_bytes: u64,
}

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

impl Format {
    /// Its usual name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "PNG",
            Format::Jpeg => "JPEG",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Png => ImageFormat::Png,
            Format::Jpeg => ImageFormat::Jpeg,
        }
    }
}

/// Why an upload could not be read. Callers word each for their own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing was uploaded.
    Empty,
    /// Over [`Bounds::max_upload_bytes`].
    TooLarge,
    /// Neither PNG nor JPEG.
    NotAnImage,
    /// Declares more than [`Bounds::max_side`] pixels a side, or more pixels
    /// than [`Bounds::max_decoded_bytes`] can hold (0 × 0 when the header
    /// could not even be read for its size).
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// Damaged or cut short.
    Damaged(Format),
}

/// A picture read from an upload, upright.
#[derive(Debug)]
pub struct Decoded {
    /// The pixels.
    pub image: DynamicImage,
    /// What the upload was.
    pub format: Format,
}

/// The format `bytes` start with, if PNG or JPEG.
fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else {
        None
    }
}

/// A JPEG's entropy-coded data cannot hold `FF D9` (a data byte `FF` is
/// always followed by `00`), so a JPEG cut short has no end-of-image marker
/// after its last start-of-scan.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let last_end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
    matches!((last_scan, last_end), (Some(s), Some(e)) if e > s)
}

/// Read an upload within `bounds`, or say why not.
pub fn decode(bytes: &[u8], bounds: Bounds) -> Result<Decoded, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() > bounds.max_upload_bytes {
        return Err(Refusal::TooLarge);
    }
    let format = sniff(bytes).ok_or(Refusal::NotAnImage)?;
    if format == Format::Jpeg && !jpeg_is_whole(bytes) {
        return Err(Refusal::Damaged(format));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    // `Limits` is non-exhaustive: start from the defaults and tighten. They
    // apply before anything is decoded: the decoder reads only the header to
    // learn the dimensions, and refuses past them.
    let mut limits = Limits::default();
    limits.max_image_width = Some(bounds.max_side);
    limits.max_image_height = Some(bounds.max_side);
    limits.max_alloc = Some(bounds.max_decoded_bytes);
    reader.limits(limits);
    let refusal = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => {
            let (width, height) = declared_size(bytes, format, bounds).unwrap_or((0, 0));
            Refusal::TooManyPixels { width, height }
        }
        _ => Refusal::Damaged(format),
    };
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Refusal::Damaged(format));
    }
    if width > bounds.max_side || height > bounds.max_side || decoder.total_bytes() > bounds.max_decoded_bytes {
        return Err(Refusal::TooManyPixels { width, height });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    image.apply_orientation(orientation);
    Ok(Decoded { image, format })
}

/// The dimensions a file's header declares, read without limits on them
/// (nothing is decoded).
fn declared_size(bytes: &[u8], format: Format, bounds: Bounds) -> Option<(u32, u32)> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut limits = Limits::default();
    limits.max_alloc = Some(bounds.max_decoded_bytes);
    reader.limits(limits);
    reader.into_dimensions().ok()
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::codecs::png::PngEncoder;
    use image::{ImageBuffer, Rgb, Rgba};

    const BOUNDS: Bounds = Bounds {
        max_upload_bytes: 1024 * 1024,
        max_side: 4096,
        max_decoded_bytes: 48 * 1024 * 1024,
    };

    pub(crate) fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
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

    pub(crate) fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 200]));
        let mut out = Vec::new();
        img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .unwrap();
        out
    }

    /// A PNG chunk with its CRC.
    pub(crate) fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = 0xffff_ffffu32;
        for &b in kind.iter().chain(data) {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        out.extend_from_slice(&(!crc).to_be_bytes());
        out
    }

    /// A tiny PNG whose header claims `width` × `height` pixels, with a valid
    /// CRC (so it is the limit that refuses it, not the checksum).
    pub(crate) fn bomb(width: u32, height: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
        out.extend_from_slice(&chunk(b"IHDR", &ihdr));
        // A zlib stream of zeros, as far as it goes.
        out.extend_from_slice(&chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00]));
        out.extend_from_slice(&chunk(b"IEND", b""));
        out
    }

    #[test]
    fn png_and_jpeg_are_read_by_their_first_bytes() {
        let d = decode(&png(30, 20, true), BOUNDS).unwrap();
        assert_eq!((d.format, d.image.width(), d.image.height()), (Format::Png, 30, 20));
        let d = decode(&jpeg(30, 20), BOUNDS).unwrap();
        assert_eq!((d.format, d.image.width(), d.image.height()), (Format::Jpeg, 30, 20));
        assert_eq!(
            decode(b"GIF89a\x01\x00\x01\x00", BOUNDS).unwrap_err(),
            Refusal::NotAnImage
        );
        assert_eq!(decode(b"<svg/>", BOUNDS).unwrap_err(), Refusal::NotAnImage);
    }

    #[test]
    fn empty_large_and_cut_short_uploads_are_refused() {
        assert_eq!(decode(b"", BOUNDS).unwrap_err(), Refusal::Empty);
        let big = vec![0xFF; BOUNDS.max_upload_bytes + 1];
        assert_eq!(decode(&big, BOUNDS).unwrap_err(), Refusal::TooLarge);
        let whole = png(200, 200, false);
        assert_eq!(
            decode(&whole[..whole.len() / 2], BOUNDS).unwrap_err(),
            Refusal::Damaged(Format::Png)
        );
        let whole = jpeg(200, 200);
        assert_eq!(
            decode(&whole[..whole.len() - 40], BOUNDS).unwrap_err(),
            Refusal::Damaged(Format::Jpeg)
        );
    }

    #[test]
    fn huge_declared_dimensions_are_refused_from_the_header() {
        // 60,000 × 60,000 RGBA would be 13 GiB.
        assert_eq!(
            decode(&bomb(60_000, 60_000), BOUNDS).unwrap_err(),
            Refusal::TooManyPixels {
                width: 60_000,
                height: 60_000
            }
        );
        // Within the side limit, but more pixels than the memory bound holds.
        assert_eq!(
            decode(&bomb(4_000, 4_096), BOUNDS).unwrap_err(),
            Refusal::TooManyPixels {
                width: 4_000,
                height: 4_096
            }
        );
        assert_eq!(
            decode(&bomb(4_097, 1), BOUNDS).unwrap_err(),
            Refusal::TooManyPixels {
                width: 4_097,
                height: 1
            }
        );
    }
}
