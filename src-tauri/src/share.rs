//! What the share picker shows: the screens and windows that can be shared, each with a small
//! picture of itself as an image URL the webview can show without another request.

use base64::Engine as _;
use serde::Serialize;
use trygg::media::screen::{self, ShareKind, ShareSource, Thumbnail};

use crate::contract::UiError;

/// Thumbnail width in pixels.
const THUMB_WIDTH: u32 = 240;

/// A share source as the picker shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShareSourceView {
    /// What to pass to `start_share`.
    pub id: String,
    /// Screen or window.
    pub kind: ShareKind,
    /// The screen's or window's name.
    pub name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `data:image/bmp;base64,…`, when there is a picture.
    pub thumbnail: Option<String>,
}

impl From<ShareSource> for ShareSourceView {
    fn from(s: ShareSource) -> Self {
        Self {
            thumbnail: s.thumbnail.as_ref().map(data_url),
            id: s.id,
            kind: s.kind,
            name: s.name,
            width: s.width,
            height: s.height,
        }
    }
}

/// Lists what can be shared; an error says why nothing can (no display, a Wayland session).
pub fn sources() -> Result<Vec<ShareSourceView>, UiError> {
    Ok(screen::list(THUMB_WIDTH)?.into_iter().map(ShareSourceView::from).collect())
}

/// A thumbnail as a BMP data URL: uncompressed, so it costs no encoder, and small at this size.
fn data_url(t: &Thumbnail) -> String {
    format!("data:image/bmp;base64,{}", base64::engine::general_purpose::STANDARD.encode(bmp(t)))
}

/// A 24-bit bottom-up BMP of packed RGB.
fn bmp(t: &Thumbnail) -> Vec<u8> {
    let (w, h) = (t.width as usize, t.height as usize);
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(w as i32).to_le_bytes());
    out.extend_from_slice(&(h as i32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&((row * h) as u32).to_le_bytes());
    out.extend_from_slice(&2835u32.to_le_bytes());
    out.extend_from_slice(&2835u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for y in (0..h).rev() {
        let start = out.len();
        for px in t.rgb.get(y * w * 3..(y + 1) * w * 3).unwrap_or_default().chunks_exact(3) {
            out.extend_from_slice(&[px[2], px[1], px[0]]);
        }
        out.resize(start + row, 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbnail_becomes_a_bmp_with_padded_bottom_up_rows() {
        // 3x2: top row red, bottom row blue; 9 bytes a row padded to 12.
        let mut rgb = Vec::new();
        for _ in 0..3 {
            rgb.extend_from_slice(&[255, 0, 0]);
        }
        for _ in 0..3 {
            rgb.extend_from_slice(&[0, 0, 255]);
        }
        let b = bmp(&Thumbnail { width: 3, height: 2, rgb });
        assert_eq!(b.len(), 54 + 2 * 12);
        assert_eq!(&b[..2], b"BM");
        assert_eq!(u32::from_le_bytes(b[2..6].try_into().unwrap()) as usize, b.len());
        assert_eq!(i32::from_le_bytes(b[18..22].try_into().unwrap()), 3);
        // The first stored row is the bottom one (blue, as BGR), then padding.
        assert_eq!(&b[54..57], &[255, 0, 0]);
        assert_eq!(&b[63..66], &[0, 0, 0]);
        assert_eq!(&b[66..69], &[0, 0, 255], "then the top row, red as BGR");
        let url = data_url(&Thumbnail { width: 1, height: 1, rgb: vec![1, 2, 3] });
        assert!(url.starts_with("data:image/bmp;base64,Qk"), "{url}");
    }

    #[test]
    fn a_source_keeps_its_id_and_gets_a_picture() {
        let v = ShareSourceView::from(ShareSource {
            id: "window:0x3a00007".into(),
            kind: ShareKind::Window,
            name: "Slides".into(),
            width: 800,
            height: 600,
            thumbnail: Some(Thumbnail { width: 2, height: 2, rgb: vec![0; 12] }),
        });
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["id"], "window:0x3a00007");
        assert_eq!(json["kind"], "window");
        assert!(json["thumbnail"].as_str().unwrap().starts_with("data:image/bmp;base64,"));
    }
}
