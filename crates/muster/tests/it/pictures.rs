//! Pictures for the photo and file tests, made here: ordinary ones, ones carrying
//! metadata that must not survive, and hostile ones (fakes, truncations, bombs).

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

/// A `width`×`height` picture as `format`.
pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            u8::try_from(x % 256).unwrap(),
            u8::try_from(y % 256).unwrap(),
            90,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A JPEG carrying `secret` in an EXIF segment and HTML after its end: a camera's GPS
/// tag and a polyglot in one.
pub fn jpeg_with_metadata(secret: &str) -> Vec<u8> {
    let plain = picture(900, 700, ImageFormat::Jpeg);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(secret.as_bytes());
    let length = u16::try_from(exif.len() + 2).unwrap();
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out.extend_from_slice(format!("<script>alert('{secret}')</script>").as_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
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

fn chunk(kind: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    let mut covered = kind.to_vec();
    covered.extend_from_slice(data);
    out.extend_from_slice(&crc32(&covered).to_be_bytes());
    out
}

/// A zlib stream of `data` in stored (uncompressed) blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1_u32, 0_u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A small, valid-looking PNG whose header claims `width`×`height` pixels of
/// `bit_depth`-bit `color_type` (0 gray, 6 RGBA): decoding it would need gigabytes. Its
/// data holds a few rows of zeros; the rest is what a decoder would inflate from nothing.
pub fn png_bomb(width: u32, height: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    out.extend_from_slice(&chunk(*b"IHDR", &ihdr));
    out.extend_from_slice(&chunk(*b"IDAT", &zlib_stored(&[0_u8; 4096])));
    out.extend_from_slice(&chunk(*b"IEND", &[]));
    out
}

/// The pixel size of an encoded picture.
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).unwrap();
    (image.width(), image.height())
}

/// The format of an encoded picture.
pub fn format_of(bytes: &[u8]) -> ImageFormat {
    image::guess_format(bytes).unwrap()
}
