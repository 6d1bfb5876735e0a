//! Photo processing: an uploaded picture is decoded and drawn again as a new JPEG, at a
//! standard size and as a square thumbnail. Nothing of the upload survives but its pixels:
//! no EXIF (location, camera serial), no comments, no trailing bytes, no polyglot tricks.
//!
//! Decoding is bounded: the format is taken from the content (never from the name or the
//! claimed type), only JPEG, PNG, WebP and GIF are accepted, and the decoder refuses
//! dimensions beyond [`MAX_SIDE`] pixels or allocations beyond [`MAX_DECODE_BYTES`] before
//! it allocates them — so a small "decompression bomb" that claims to be a huge image is
//! refused without the memory it asks for.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage};

/// Longest side of a picture accepted for decoding, in pixels.
pub const MAX_SIDE: u32 = 8_000;
/// Most memory the decoder may allocate for one picture.
pub const MAX_DECODE_BYTES: u64 = 128 * 1024 * 1024;
/// The standard picture fits in a square of this side (smaller pictures are kept as they
/// are, never enlarged).
pub const STANDARD_SIDE: u32 = 600;
/// The thumbnail is a square of this side (cropped to fill).
pub const THUMBNAIL_SIDE: u32 = 128;
/// JPEG quality of both.
const QUALITY: u8 = 85;

/// One re-encoded picture.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The JPEG bytes.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The pictures made of an upload.
#[derive(Debug, Clone)]
pub struct Renditions {
    /// Fits in [`STANDARD_SIDE`].
    pub standard: Encoded,
    /// [`THUMBNAIL_SIDE`] square.
    pub thumbnail: Encoded,
}

/// Why an upload is not a usable picture (the client's fault: 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefusal {
    /// Not an image of an accepted format, whatever it claims.
    #[error("must be a JPEG, PNG, WebP or GIF image")]
    NotAnImage,
    /// Larger than the decoder accepts.
    #[error("is too large to process: at most {MAX_SIDE}×{MAX_SIDE} pixels")]
    TooLarge,
    /// Looks like an image but cannot be decoded.
    #[error("is a damaged or incomplete image")]
    Damaged,
}

/// Decodes `data` within the limits and draws the standard picture and the thumbnail.
/// CPU-bound: call it off the async runtime (`spawn_blocking`).
pub fn renditions(data: &[u8]) -> Result<Renditions, ImageRefusal> {
    let format = image::guess_format(data).map_err(|_| ImageRefusal::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(ImageRefusal::NotAnImage);
    }
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|error| match error {
        image::ImageError::Limits(_) => ImageRefusal::TooLarge,
        image::ImageError::Unsupported(_) => ImageRefusal::NotAnImage,
        _ => ImageRefusal::Damaged,
    })?;
    if image.width() == 0 || image.height() == 0 {
        return Err(ImageRefusal::Damaged);
    }
    let standard = if image.width() > STANDARD_SIDE || image.height() > STANDARD_SIDE {
        image.resize(STANDARD_SIDE, STANDARD_SIDE, FilterType::Triangle)
    } else {
        image.clone()
    };
    let thumbnail = image.resize_to_fill(THUMBNAIL_SIDE, THUMBNAIL_SIDE, FilterType::Triangle);
    Ok(Renditions {
        standard: encode(&standard)?,
        thumbnail: encode(&thumbnail)?,
    })
}

/// The picture as an opaque RGB JPEG (transparency laid over white).
fn encode(image: &DynamicImage) -> Result<Encoded, ImageRefusal> {
    let rgba = image.to_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [red, green, blue, alpha] = pixel.0;
        let alpha = u32::from(alpha);
        let over_white = |channel: u8| {
            // channel·alpha + 255·(255 − alpha), divided by 255 and rounded: 0..=255.
            let mixed = (u32::from(channel) * alpha + 255 * (255 - alpha) + 127) / 255;
            u8::try_from(mixed).unwrap_or(u8::MAX)
        };
        out.0 = [over_white(red), over_white(green), over_white(blue)];
    }
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, QUALITY)
        .encode_image(&rgb)
        .map_err(|_| ImageRefusal::Damaged)?;
    Ok(Encoded {
        bytes,
        width: rgb.width(),
        height: rgb.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 20, 30, 128]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_picture_is_shrunk_and_a_thumbnail_is_square() {
        let made = renditions(&png(1200, 900)).unwrap();
        assert_eq!((made.standard.width, made.standard.height), (600, 450));
        assert_eq!((made.thumbnail.width, made.thumbnail.height), (128, 128));
        assert_eq!(
            image::guess_format(&made.standard.bytes).unwrap(),
            ImageFormat::Jpeg
        );
    }

    #[test]
    fn small_pictures_are_not_enlarged() {
        let made = renditions(&png(40, 30)).unwrap();
        assert_eq!((made.standard.width, made.standard.height), (40, 30));
    }

    #[test]
    fn text_is_not_an_image_and_a_truncated_one_is_damaged() {
        assert_eq!(
            renditions(b"<html>hello</html>").unwrap_err(),
            ImageRefusal::NotAnImage
        );
        let whole = png(50, 50);
        assert_eq!(
            renditions(&whole[..whole.len() / 2]).unwrap_err(),
            ImageRefusal::Damaged
        );
    }
}
