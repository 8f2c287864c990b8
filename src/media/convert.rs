//! Pixel format conversion and scaling into I420.
//!
//! Cameras deliver YUYV (4:2:2 packed), NV12 (4:2:0 with interleaved chroma), MJPEG or RGB; the
//! encoder takes I420. YUYV and NV12 from cameras are in video range already and are only
//! rearranged; JPEG is full range and is mapped into video range (BT.601) on the way.

use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use super::MediaError;
use super::frame::{MAX_HEIGHT, MAX_WIDTH, VideoFrame, check_dimensions};

fn need(format: &'static str, data: &[u8], want: usize) -> Result<(), MediaError> {
    if data.len() < want {
        return Err(MediaError::corrupt(format, format!("{} bytes, a full picture needs {want}", data.len())));
    }
    Ok(())
}

/// Packed YUYV (Y0 U Y1 V) to I420. Chroma of each row pair is averaged.
pub fn yuyv_to_i420(width: u32, height: u32, data: &[u8]) -> Result<VideoFrame, MediaError> {
    check_dimensions(width, height)?;
    let (w, h) = (width as usize, height as usize);
    need("YUYV", data, w * h * 2)?;
    let mut frame = VideoFrame::filled(width, height, 0)?;
    let (yp, up, vp) = frame.planes_mut();
    for row in 0..h {
        let src = &data[row * w * 2..(row + 1) * w * 2];
        let dst = &mut yp[row * w..(row + 1) * w];
        for (d, s) in dst.iter_mut().zip(src.iter().step_by(2)) {
            *d = *s;
        }
    }
    for row in 0..h / 2 {
        let a = &data[2 * row * w * 2..][..w * 2];
        let b = &data[(2 * row + 1) * w * 2..][..w * 2];
        for col in 0..w / 2 {
            let i = col * 4;
            up[row * w / 2 + col] = avg2(a[i + 1], b[i + 1]);
            vp[row * w / 2 + col] = avg2(a[i + 3], b[i + 3]);
        }
    }
    Ok(frame)
}

/// NV12 (Y plane, then interleaved U/V at quarter resolution) to I420.
pub fn nv12_to_i420(width: u32, height: u32, data: &[u8]) -> Result<VideoFrame, MediaError> {
    check_dimensions(width, height)?;
    let (w, h) = (width as usize, height as usize);
    need("NV12", data, w * h * 3 / 2)?;
    let mut frame = VideoFrame::filled(width, height, 0)?;
    let (yp, up, vp) = frame.planes_mut();
    yp.copy_from_slice(&data[..w * h]);
    for (i, uv) in data[w * h..w * h * 3 / 2].chunks_exact(2).enumerate() {
        up[i] = uv[0];
        vp[i] = uv[1];
    }
    Ok(frame)
}

/// 8-bit greyscale to I420 (full range in, video range out).
pub fn gray_to_i420(width: u32, height: u32, data: &[u8]) -> Result<VideoFrame, MediaError> {
    check_dimensions(width, height)?;
    let (w, h) = (width as usize, height as usize);
    need("GRAY", data, w * h)?;
    let mut frame = VideoFrame::filled(width, height, 0)?;
    let (yp, _, _) = frame.planes_mut();
    for (d, &s) in yp.iter_mut().zip(&data[..w * h]) {
        *d = full_to_video_luma(s);
    }
    Ok(frame)
}

/// Byte order of packed RGB input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RgbLayout {
    /// R, G, B.
    Rgb24,
    /// B, G, R.
    Bgr24,
    /// R, G, B, A.
    Rgba32,
    /// B, G, R, A (what most screen grabbers give).
    Bgra32,
}

impl RgbLayout {
    fn bytes(self) -> usize {
        match self {
            Self::Rgb24 | Self::Bgr24 => 3,
            Self::Rgba32 | Self::Bgra32 => 4,
        }
    }

    fn rgb(self, px: &[u8]) -> (i32, i32, i32) {
        match self {
            Self::Rgb24 | Self::Rgba32 => (px[0].into(), px[1].into(), px[2].into()),
            Self::Bgr24 | Self::Bgra32 => (px[2].into(), px[1].into(), px[0].into()),
        }
    }
}

/// Packed RGB to I420 (BT.601 video range), with `stride` bytes per input row.
pub fn rgb_to_i420(
    width: u32,
    height: u32,
    stride: usize,
    layout: RgbLayout,
    data: &[u8],
) -> Result<VideoFrame, MediaError> {
    check_dimensions(width, height)?;
    let (w, h, bpp) = (width as usize, height as usize, layout.bytes());
    if stride < w * bpp {
        return Err(MediaError::invalid("RGB stride", format!("{stride} bytes for {w} pixels")));
    }
    need("RGB", data, stride * (h - 1) + w * bpp)?;
    let mut frame = VideoFrame::filled(width, height, 0)?;
    let (yp, up, vp) = frame.planes_mut();
    for row in 0..h {
        for col in 0..w {
            let (r, g, b) = layout.rgb(&data[row * stride + col * bpp..]);
            yp[row * w + col] = ((66 * r + 129 * g + 25 * b + 128) >> 8).wrapping_add(16) as u8;
        }
    }
    for row in 0..h / 2 {
        for col in 0..w / 2 {
            let (mut r, mut g, mut b) = (0, 0, 0);
            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let (pr, pg, pb) = layout.rgb(&data[(2 * row + dy) * stride + (2 * col + dx) * bpp..]);
                r += pr;
                g += pg;
                b += pb;
            }
            let (r, g, b) = (r / 4, g / 4, b / 4);
            up[row * w / 2 + col] = (((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128) as u8;
            vp[row * w / 2 + col] = (((112 * r - 94 * g - 18 * b + 128) >> 8) + 128) as u8;
        }
    }
    Ok(frame)
}

/// I420 (BT.601 video range) to packed RGB, 3 bytes a pixel: for thumbnails and previews.
pub fn i420_to_rgb(frame: &VideoFrame) -> Vec<u8> {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let (yp, up, vp) = (frame.y(), frame.u(), frame.v());
    let mut out = Vec::with_capacity(w * h * 3);
    for row in 0..h {
        for col in 0..w {
            let c = 298 * (i32::from(yp[row * w + col]) - 16);
            let d = i32::from(up[(row / 2) * (w / 2) + col / 2]) - 128;
            let e = i32::from(vp[(row / 2) * (w / 2) + col / 2]) - 128;
            let clamp = |x: i32| ((x + 128) >> 8).clamp(0, 255) as u8;
            out.extend_from_slice(&[clamp(c + 409 * e), clamp(c - 100 * d - 208 * e), clamp(c + 516 * d)]);
        }
    }
    out
}

/// A JPEG picture (one MJPEG frame) to I420. Pictures of odd size lose their last row/column.
pub fn mjpeg_to_i420(data: &[u8]) -> Result<VideoFrame, MediaError> {
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::YCbCr)
        .set_max_width(MAX_WIDTH as usize)
        .set_max_height(MAX_HEIGHT as usize);
    let mut decoder = JpegDecoder::new_with_options(data, options);
    decoder.decode_headers().map_err(|e| MediaError::corrupt("MJPEG", e.to_string()))?;
    let info = decoder.info().ok_or_else(|| MediaError::corrupt("MJPEG", "no picture header"))?;
    let (jw, jh) = (usize::from(info.width), usize::from(info.height));
    let (w, h) = (jw & !1, jh & !1);
    check_dimensions(w as u32, h as u32)?;
    let pixels = decoder.decode().map_err(|e| MediaError::corrupt("MJPEG", e.to_string()))?;
    let comps = match decoder.get_output_colorspace() {
        Some(ColorSpace::YCbCr) => 3,
        Some(ColorSpace::Luma) => 1,
        other => return Err(MediaError::Unsupported { format: "MJPEG", why: format!("colour space {other:?}") }),
    };
    need("MJPEG", &pixels, jw * jh * comps)?;
    let mut frame = VideoFrame::filled(w as u32, h as u32, 0)?;
    let (yp, up, vp) = frame.planes_mut();
    for row in 0..h {
        for col in 0..w {
            yp[row * w + col] = full_to_video_luma(pixels[(row * jw + col) * comps]);
        }
    }
    if comps == 3 {
        for row in 0..h / 2 {
            for col in 0..w / 2 {
                let at =
                    |dy: usize, dx: usize, c: usize| u32::from(pixels[((2 * row + dy) * jw + 2 * col + dx) * 3 + c]);
                let mean = |c| ((at(0, 0, c) + at(0, 1, c) + at(1, 0, c) + at(1, 1, c) + 2) / 4) as u8;
                up[row * w / 2 + col] = full_to_video_chroma(mean(1));
                vp[row * w / 2 + col] = full_to_video_chroma(mean(2));
            }
        }
    }
    Ok(frame)
}

/// Halves an I420 picture (each pixel the mean of four), keeping its timestamps: the cheap way
/// down for a picture shown smaller than it is. Sizes are rounded down to even.
pub fn halve_i420(src: &VideoFrame) -> Result<VideoFrame, MediaError> {
    let (w, h) = ((src.width() / 2) & !1, (src.height() / 2) & !1);
    let mut out = VideoFrame::filled(w, h, 0)?;
    out.capture_us = src.capture_us;
    out.seq = src.seq;
    let (sw, cw) = (src.width() as usize, src.width() as usize / 2);
    let (yp, up, vp) = out.planes_mut();
    halve_plane(src.y(), sw, yp, w as usize, h as usize);
    halve_plane(src.u(), cw, up, w as usize / 2, h as usize / 2);
    halve_plane(src.v(), cw, vp, w as usize / 2, h as usize / 2);
    Ok(out)
}

fn halve_plane(src: &[u8], stride: usize, dst: &mut [u8], dw: usize, dh: usize) {
    for (y, row) in dst.chunks_exact_mut(dw).take(dh).enumerate() {
        let (a, b) = (&src[2 * y * stride..][..2 * dw], &src[(2 * y + 1) * stride..][..2 * dw]);
        #[cfg(target_arch = "x86_64")]
        let done = {
            let whole = dw / 16;
            for block in 0..whole {
                let out = &mut row[block * 16..][..16];
                // SAFETY: SSE2 is part of x86-64; each slice holds what is read or written.
                unsafe { halve16(&a[block * 32..][..32], &b[block * 32..][..32], out) };
            }
            whole * 16
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = 0;
        for ((d, a), b) in row[done..].iter_mut().zip(a[2 * done..].chunks_exact(2)).zip(b[2 * done..].chunks_exact(2))
        {
            let s = u16::from(a[0]) + u16::from(a[1]) + u16::from(b[0]) + u16::from(b[1]);
            *d = ((s + 2) >> 2) as u8;
        }
    }
}

/// Sixteen output pixels from 32 of each of two rows, as the loop in `halve_plane` computes them.
///
/// # Safety
/// `a` and `b` hold 32 bytes, `out` 16 (checked by the caller's slicing).
#[cfg(target_arch = "x86_64")]
unsafe fn halve16(a: &[u8], b: &[u8], out: &mut [u8]) {
    use std::arch::x86_64::*;
    unsafe {
        let low = _mm_set1_epi16(0x00ff);
        // Each 16-bit lane: its two bytes added.
        let pairs = |v: __m128i| _mm_add_epi16(_mm_and_si128(v, low), _mm_srli_epi16(v, 8));
        let load = |s: &[u8], at: usize| _mm_loadu_si128(s[at..at + 16].as_ptr().cast());
        let two = _mm_set1_epi16(2);
        let sum = |at: usize| {
            let s = _mm_add_epi16(pairs(load(a, at)), pairs(load(b, at)));
            _mm_srli_epi16(_mm_add_epi16(s, two), 2)
        };
        _mm_storeu_si128(out.as_mut_ptr().cast(), _mm_packus_epi16(sum(0), sum(16)));
    }
}

/// Scales an I420 picture to `width`x`height` (bilinear), keeping its timestamps.
pub fn scale_i420(src: &VideoFrame, width: u32, height: u32) -> Result<VideoFrame, MediaError> {
    check_dimensions(width, height)?;
    if (src.width(), src.height()) == (width, height) {
        return Ok(src.clone());
    }
    let mut out = VideoFrame::filled(width, height, 0)?;
    out.capture_us = src.capture_us;
    out.seq = src.seq;
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let (dw, dh) = (width as usize, height as usize);
    let (yp, up, vp) = out.planes_mut();
    scale_plane(src.y(), sw, sh, yp, dw, dh);
    scale_plane(src.u(), sw / 2, sh / 2, up, dw / 2, dh / 2);
    scale_plane(src.v(), sw / 2, sh / 2, vp, dw / 2, dh / 2);
    Ok(out)
}

fn scale_plane(src: &[u8], sw: usize, sh: usize, dst: &mut [u8], dw: usize, dh: usize) {
    // 16.16 fixed point, sampling at pixel centres.
    let fx = ((sw as u64) << 16) / dw as u64;
    let fy = ((sh as u64) << 16) / dh as u64;
    for y in 0..dh {
        let sy = ((y as u64 * fy + fy / 2).saturating_sub(1 << 15)).min(((sh - 1) as u64) << 16);
        let (y0, wy) = ((sy >> 16) as usize, (sy & 0xffff) as u32);
        let y1 = (y0 + 1).min(sh - 1);
        for x in 0..dw {
            let sx = ((x as u64 * fx + fx / 2).saturating_sub(1 << 15)).min(((sw - 1) as u64) << 16);
            let (x0, wx) = ((sx >> 16) as usize, (sx & 0xffff) as u32);
            let x1 = (x0 + 1).min(sw - 1);
            let p = |yy: usize, xx: usize| u32::from(src[yy * sw + xx]);
            let top = p(y0, x0) * (0x10000 - wx) + p(y0, x1) * wx;
            let bottom = p(y1, x0) * (0x10000 - wx) + p(y1, x1) * wx;
            let v = (u64::from(top) * u64::from(0x10000 - wy) + u64::from(bottom) * u64::from(wy) + (1 << 31)) >> 32;
            dst[y * dw + x] = v as u8;
        }
    }
}

fn avg2(a: u8, b: u8) -> u8 {
    (u16::from(a) + u16::from(b)).div_ceil(2) as u8
}

fn full_to_video_luma(v: u8) -> u8 {
    (16 + (u32::from(v) * 219 + 127) / 255) as u8
}

fn full_to_video_chroma(v: u8) -> u8 {
    (128 + (i32::from(v) - 128) * 224 / 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_rounds_each_block_the_same_on_the_vector_path_and_the_tail() {
        // Widths with and without a tail past the last 16 output pixels; random-ish bytes.
        for (w, h) in [(64u32, 32u32), (100, 32), (1280, 36), (36, 34)] {
            let mut f = VideoFrame::filled(w, h, 0).unwrap();
            let (y, u, v) = f.planes_mut();
            for (i, p) in y.iter_mut().chain(u.iter_mut()).chain(v.iter_mut()).enumerate() {
                *p = (i.wrapping_mul(2_654_435_761) >> 7) as u8;
            }
            let half = halve_i420(&f).unwrap();
            let (sw, dw) = (w as usize, half.width() as usize);
            for (i, &d) in half.y().iter().enumerate() {
                let (x, r) = (i % dw, i / dw);
                let at = |dy: usize, dx: usize| u16::from(f.y()[(2 * r + dy) * sw + 2 * x + dx]);
                let want = ((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1) + 2) / 4) as u8;
                assert_eq!(d, want, "{w}x{h}: pixel ({x},{r})");
            }
        }
    }

    #[test]
    fn halving_averages_each_two_by_two_block_and_keeps_the_stamps() {
        let mut f = VideoFrame::filled(32, 32, 0).unwrap();
        f.capture_us = 77;
        f.seq = 5;
        // Luma rows: 0,4,0,4,... then 8,12,8,12,...: every 2x2 block averages to 6.
        let (y, u, _) = f.planes_mut();
        for (i, p) in y.iter_mut().enumerate() {
            *p = if (i / 32) % 2 == 0 { [0, 4][i % 2] } else { [8, 12][i % 2] };
        }
        u.fill(200);
        let h = halve_i420(&f).unwrap();
        assert_eq!((h.width(), h.height(), h.capture_us, h.seq), (16, 16, 77, 5));
        assert!(h.y().iter().all(|&l| l == 6), "{:?}", h.y());
        assert!(h.u().iter().all(|&c| c == 200));
        // Odd halves are rounded down to even sizes.
        let odd = halve_i420(&VideoFrame::filled(36, 34, 9).unwrap()).unwrap();
        assert_eq!((odd.width(), odd.height()), (18, 16));
    }

    #[test]
    fn yuyv_is_rearranged_and_chroma_averaged() {
        // 16x16 picture: Y = column index, U = 100/120 on alternating rows, V = 200.
        let (w, h) = (16usize, 16usize);
        let mut data = vec![];
        for row in 0..h {
            for pair in 0..w / 2 {
                let u = if row % 2 == 0 { 100 } else { 120 };
                data.extend_from_slice(&[(2 * pair) as u8, u, (2 * pair + 1) as u8, 200]);
            }
        }
        let f = yuyv_to_i420(16, 16, &data).unwrap();
        assert_eq!(&f.y()[..16], &(0..16).collect::<Vec<u8>>()[..]);
        assert!(f.u().iter().all(|&u| u == 110));
        assert!(f.v().iter().all(|&v| v == 200));
        assert!(yuyv_to_i420(16, 16, &data[..100]).is_err());
    }

    #[test]
    fn nv12_chroma_is_deinterleaved() {
        let (w, h) = (16usize, 16usize);
        let mut data = vec![77u8; w * h];
        for _ in 0..w * h / 4 {
            data.extend_from_slice(&[90, 160]);
        }
        let f = nv12_to_i420(16, 16, &data).unwrap();
        assert!(f.y().iter().all(|&p| p == 77));
        assert!(f.u().iter().all(|&p| p == 90));
        assert!(f.v().iter().all(|&p| p == 160));
        assert!(nv12_to_i420(16, 16, &data[..w * h]).is_err());
    }

    #[test]
    fn rgb_primaries_land_on_bt601_values() {
        // Pure red, green, blue, white, black (2x2 blocks each, 16x2 rows padded).
        for (rgb, (y, u, v)) in [
            ([255u8, 0, 0], (82u8, 90u8, 240u8)),
            ([0, 255, 0], (144, 54, 34)),
            ([0, 0, 255], (41, 240, 110)),
            ([255, 255, 255], (235, 128, 128)),
            ([0, 0, 0], (16, 128, 128)),
        ] {
            let data: Vec<u8> = std::iter::repeat_n(rgb, 16 * 16).flatten().collect();
            let f = rgb_to_i420(16, 16, 48, RgbLayout::Rgb24, &data).unwrap();
            assert!(f.y()[0].abs_diff(y) <= 1, "{rgb:?}: Y {} vs {y}", f.y()[0]);
            assert!(f.u()[0].abs_diff(u) <= 1, "{rgb:?}: U {} vs {u}", f.u()[0]);
            assert!(f.v()[0].abs_diff(v) <= 1, "{rgb:?}: V {} vs {v}", f.v()[0]);
            let bgra: Vec<u8> = std::iter::repeat_n([rgb[2], rgb[1], rgb[0], 255], 16 * 16).flatten().collect();
            assert_eq!(rgb_to_i420(16, 16, 64, RgbLayout::Bgra32, &bgra).unwrap(), f);
        }
    }

    #[test]
    fn corrupt_jpeg_is_an_error() {
        assert!(mjpeg_to_i420(&[]).is_err());
        assert!(mjpeg_to_i420(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).is_err());
        assert!(mjpeg_to_i420(b"not a jpeg at all").is_err());
    }

    #[test]
    fn scaling_keeps_flat_areas_flat_and_timestamps() {
        let mut f = VideoFrame::filled(64, 32, 100).unwrap();
        f.capture_us = 42;
        let s = scale_i420(&f, 32, 16).unwrap();
        assert_eq!((s.width(), s.height(), s.capture_us), (32, 16, 42));
        assert!(s.y().iter().all(|&p| p == 100));
        let up = scale_i420(&f, 128, 64).unwrap();
        assert!(up.y().iter().all(|&p| p == 100));
        assert!(up.u().iter().all(|&p| p == 128));
    }
}
