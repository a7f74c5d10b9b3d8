//! The organisation's logo as Teller stores it: an uploaded PNG or JPEG,
//! read by [`picture::decode`] (under limits: a small file claiming a huge
//! picture is refused from its header, before any pixel is allocated), made at most
//! [`MAX_HEIGHT`] pixels high and [`MAX_WIDTH`] wide keeping its shape, and
//! re-encoded as PNG — which also drops whatever metadata the file carried
//! (camera, place, comments, colour profiles).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat};

use super::picture::{self, Bounds, Refusal};

/// The largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// The widest or tallest picture decoded (checked from the file's header).
pub const MAX_DECODED_SIDE: u32 = 4096;
/// The most memory decoding may take.
const MAX_DECODE_ALLOC: u64 = 96 * 1024 * 1024;
/// The stored logo's height at most: the header shows it at 3rem.
pub const MAX_HEIGHT: u32 = 96;
/// The stored logo's width at most, so that a banner-shaped logo stays small.
pub const MAX_WIDTH: u32 = 480;

/// A logo as stored: PNG bytes and the picture's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// The re-encoded PNG.
    pub png: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Why an upload is not a logo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    /// No file, or an empty one.
    #[error("no file was chosen")]
    Empty,
    /// Larger than [`MAX_UPLOAD_BYTES`].
    #[error("the file is larger than 1 MiB; save the logo smaller (it is shown at most 96 pixels high)")]
    TooLarge,
    /// Neither PNG nor JPEG.
    #[error("the file is not a PNG or JPEG image")]
    NotAnImage,
    /// The header claims a picture larger than allowed.
    #[error("the picture is larger than {MAX_DECODED_SIDE} × {MAX_DECODED_SIDE} pixels; save the logo smaller")]
    TooManyPixels,
    /// It starts as an image but does not decode.
    #[error("the file could not be read as a whole {0} image (it may be damaged or cut short)")]
    Damaged(&'static str),
    /// Re-encoding failed (never expected).
    #[error("the logo could not be converted")]
    Encode,
}

const BOUNDS: Bounds = Bounds {
    max_upload_bytes: MAX_UPLOAD_BYTES,
    max_side: MAX_DECODED_SIDE,
    max_decoded_bytes: MAX_DECODE_ALLOC,
};

/// Check, resize and re-encode an uploaded logo.
pub fn process(bytes: &[u8]) -> Result<Logo, LogoError> {
    let image = picture::decode(bytes, BOUNDS)
        .map_err(|refusal| match refusal {
            Refusal::Empty => LogoError::Empty,
            Refusal::TooLarge => LogoError::TooLarge,
            Refusal::NotAnImage => LogoError::NotAnImage,
            Refusal::TooManyPixels { .. } => LogoError::TooManyPixels,
            Refusal::Damaged(format) => LogoError::Damaged(format.name()),
        })?
        .image;
    let image = if image.height() > MAX_HEIGHT || image.width() > MAX_WIDTH {
        // Fits within the bounds, keeping the shape.
        image.resize(MAX_WIDTH, MAX_HEIGHT, image::imageops::FilterType::Lanczos3)
    } else {
        image
    };
    let image = match image {
        DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_)
        | DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.to_rgba8()),
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|_| LogoError::Encode)?;
    Ok(Logo {
        png,
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::picture::tests::{bomb, chunk, jpeg};

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn a_large_logo_is_made_96_pixels_high_keeping_its_shape() {
        let big = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(300, 200, image::Rgb([10, 20, 30])));
        let logo = process(&encoded(&big, ImageFormat::Jpeg)).unwrap();
        assert_eq!((logo.width, logo.height), (144, 96));
        assert!(logo.png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let back = image::load_from_memory_with_format(&logo.png, ImageFormat::Png).unwrap();
        assert_eq!((back.width(), back.height()), (144, 96));
    }

    #[test]
    fn a_small_logo_keeps_its_size_and_transparency() {
        let small = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(40, 20, image::Rgba([1, 2, 3, 0])));
        let logo = process(&encoded(&small, ImageFormat::Png)).unwrap();
        assert_eq!((logo.width, logo.height), (40, 20));
        let back = image::load_from_memory(&logo.png).unwrap();
        assert!(back.color().has_alpha());
    }

    #[test]
    fn metadata_is_not_kept() {
        // A PNG with a text chunk before its end: the stored copy has none.
        let small = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 4, image::Rgb([9, 9, 9])));
        let png = encoded(&small, ImageFormat::Png);
        let iend = png.len() - 12;
        let mut tagged = png[..iend].to_vec();
        tagged.extend_from_slice(&chunk(b"tEXt", b"Comment\0taken at 10 Main St"));
        tagged.extend_from_slice(&png[iend..]);
        assert!(image::load_from_memory(&tagged).is_ok());
        let logo = process(&tagged).unwrap();
        assert!(!logo.png.windows(4).any(|w| w == b"tEXt"));
        assert!(!logo.png.windows(7).any(|w| w == b"Main St"));
    }

    #[test]
    fn bad_uploads_are_refused() {
        assert_eq!(process(b""), Err(LogoError::Empty));
        assert_eq!(
            process(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(LogoError::NotAnImage)
        );
        assert_eq!(process(b"GIF89a\x01\x00\x01\x00"), Err(LogoError::NotAnImage));
        let small = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 64, image::Rgb([200, 0, 0])));
        let png = encoded(&small, ImageFormat::Png);
        assert_eq!(process(&png[..png.len() / 2]), Err(LogoError::Damaged("PNG")));
        // A JPEG cut short is refused too (its decoder would paint the rest grey).
        let whole = jpeg(64, 64);
        assert_eq!(process(&whole[..whole.len() - 40]), Err(LogoError::Damaged("JPEG")));
        assert_eq!(process(&vec![0u8; MAX_UPLOAD_BYTES + 1]), Err(LogoError::TooLarge));
        assert_eq!(process(&bomb(100_000, 100_000)), Err(LogoError::TooManyPixels));
        assert_eq!(process(&bomb(MAX_DECODED_SIDE + 1, 1)), Err(LogoError::TooManyPixels));
    }
}
