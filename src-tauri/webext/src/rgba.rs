//! A picture from the app (`TRV1`: a 24-byte header, then I420) as the page's 2D canvas takes it
//! (`TRR1`: the same header, then RGBA), converted once in the web process, straight into the
//! page's buffer. Converting here instead of in the page's JavaScript takes a fraction of the
//! time and spares a copy: the I420 bytes are read where the app put them (the watch's shared
//! memory, or its message).
//!
//! BT.601, limited range, the matrix of the page's WebGL shader and of its own CPU conversion
//! (ui/src/video/i420_rgba.ts), within one step of either.

/// Bytes before the picture, in both formats (src-tauri/src/video.rs, ui/src/backend/frames.ts).
pub const HEADER: usize = 24;
/// "TRV1", little-endian: I420 follows.
const I420_MAGIC: [u8; 4] = *b"TRV1";
/// "TRR1", little-endian: RGBA follows, four bytes a pixel, R first, rows top to bottom.
const RGBA_MAGIC: [u8; 4] = *b"TRR1";
/// The largest picture either side accepts.
const MAX: (usize, usize) = (7680, 4320);

/// The size of a whole `TRV1` picture in `bytes`, or `None` for anything else.
pub fn i420_size(bytes: &[u8]) -> Option<(usize, usize)> {
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes")) as usize;
    if bytes.len() < HEADER || bytes[..4] != I420_MAGIC {
        return None;
    }
    let (w, h) = (word(4), word(8));
    let even_and_in_range = w >= 2 && h >= 2 && w % 2 == 0 && h % 2 == 0 && w <= MAX.0 && h <= MAX.1;
    (even_and_in_range && bytes.len() == HEADER + w * h * 3 / 2).then_some((w, h))
}

/// Bytes of the `TRR1` picture of that size.
pub fn rgba_len((w, h): (usize, usize)) -> usize {
    HEADER + w * h * 4
}

/// Writes the `TRR1` picture of the `TRV1` picture `from` (of `size`, from [`i420_size`]) into
/// `out`, which holds exactly [`rgba_len`] bytes.
pub fn convert(from: &[u8], size: (usize, usize), out: &mut [u8]) {
    let (w, h) = size;
    assert_eq!(out.len(), rgba_len(size), "the output is sized for the picture");
    out[..4].copy_from_slice(&RGBA_MAGIC);
    // The size as checked, not read again; then the picture's time and sequence number.
    out[4..8].copy_from_slice(&(w as u32).to_le_bytes());
    out[8..12].copy_from_slice(&(h as u32).to_le_bytes());
    out[12..HEADER].copy_from_slice(&from[12..HEADER]);
    let (luma, chroma) = from[HEADER..].split_at(w * h);
    let (u_plane, v_plane) = chroma.split_at(w * h / 4);
    let half = w / 2;
    let pixels = &mut out[HEADER..];
    for (pair, rows) in pixels.chunks_exact_mut(w * 8).enumerate() {
        let (top, bottom) = rows.split_at_mut(w * 4);
        let (y_top, y_bottom) = luma[2 * pair * w..(2 * pair + 2) * w].split_at(w);
        let u_row = &u_plane[pair * half..(pair + 1) * half];
        let v_row = &v_plane[pair * half..(pair + 1) * half];
        row(y_top, u_row, v_row, top);
        row(y_bottom, u_row, v_row, bottom);
    }
}

/// Fixed point: 12 fractional bits.
const ONE: i32 = 1 << 12;
const Y: i32 = 4769; // 1.1643
const RV: i32 = 6536; // 1.5958
const GU: i32 = 1604; // 0.39173
const GV: i32 = 3330; // 0.8129
const BU: i32 = 8262; // 2.017

/// One row: each chroma sample covers two pixels. Sixteen pixels at a time with SSE2 (every
/// x86-64 has it), the rest one by one; both give the same bytes.
fn row(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    let done = {
        let whole = y.len() / 16;
        for block in 0..whole {
            let (y, u, v) = (&y[block * 16..][..16], &u[block * 8..][..8], &v[block * 8..][..8]);
            // SAFETY: SSE2 is part of x86-64; the slices hold what the loads read and the stores write.
            unsafe { sse2::sixteen(y, u, v, &mut out[block * 64..][..64]) };
        }
        whole * 16
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    for (i, (px, &y)) in out[done * 4..].chunks_exact_mut(4).zip(&y[done..]).enumerate() {
        let c = (done + i) / 2;
        px.copy_from_slice(&pixel(y, u[c], v[c]).to_le_bytes());
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{BU, GU, GV, ONE, RV, Y};
    use std::arch::x86_64::*;

    /// Two 16-bit coefficients, repeated, for `_mm_madd_epi16` over (a, b) pairs: `a*x + b*y`.
    fn pair(x: i32, y: i32) -> __m128i {
        // SAFETY: SSE2 is part of x86-64.
        unsafe { _mm_set1_epi32((y << 16) | (x & 0xffff)) }
    }

    /// Sixteen pixels: `y` 16 luma, `u` and `v` 8 chroma samples, `out` 64 bytes.
    ///
    /// # Safety
    /// The slices must hold those lengths (the loads and stores are unaligned and checked by
    /// the caller's slicing).
    pub unsafe fn sixteen(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
        unsafe {
            let zero = _mm_setzero_si128();
            let y8 = _mm_loadu_si128(y.as_ptr().cast());
            // Each chroma byte twice: one for each pixel it covers.
            let u8x = _mm_loadl_epi64(u.as_ptr().cast());
            let v8x = _mm_loadl_epi64(v.as_ptr().cast());
            let (u8x, v8x) = (_mm_unpacklo_epi8(u8x, u8x), _mm_unpacklo_epi8(v8x, v8x));
            let widen = |x: __m128i, minus: i16| {
                let m = _mm_set1_epi16(minus);
                (_mm_sub_epi16(_mm_unpacklo_epi8(x, zero), m), _mm_sub_epi16(_mm_unpackhi_epi8(x, zero), m))
            };
            let (y0, y1) = widen(y8, 16);
            let (u0, u1) = widen(u8x, 128);
            let (v0, v1) = widen(v8x, 128);
            let one = _mm_set1_epi16(1);
            let (k_l, k_r, k_g, k_b) = (pair(Y, ONE / 2), pair(RV, 0), pair(-GU, -GV), pair(BU, 0));
            // Four pixels' channels as i32, then >> 12.
            let four = |lo: bool, y: __m128i, u: __m128i, v: __m128i| {
                let (a, b) = if lo {
                    (
                        _mm_unpacklo_epi16(y, one),
                        (_mm_unpacklo_epi16(v, zero), _mm_unpacklo_epi16(u, v), _mm_unpacklo_epi16(u, zero)),
                    )
                } else {
                    (
                        _mm_unpackhi_epi16(y, one),
                        (_mm_unpackhi_epi16(v, zero), _mm_unpackhi_epi16(u, v), _mm_unpackhi_epi16(u, zero)),
                    )
                };
                let l = _mm_madd_epi16(a, k_l);
                let r = _mm_srai_epi32(_mm_add_epi32(l, _mm_madd_epi16(b.0, k_r)), 12);
                let g = _mm_srai_epi32(_mm_add_epi32(l, _mm_madd_epi16(b.1, k_g)), 12);
                let b = _mm_srai_epi32(_mm_add_epi32(l, _mm_madd_epi16(b.2, k_b)), 12);
                (r, g, b)
            };
            // Eight pixels' channels as i16.
            let eight = |y: __m128i, u: __m128i, v: __m128i| {
                let (r0, g0, b0) = four(true, y, u, v);
                let (r1, g1, b1) = four(false, y, u, v);
                (_mm_packs_epi32(r0, r1), _mm_packs_epi32(g0, g1), _mm_packs_epi32(b0, b1))
            };
            let (r0, g0, b0) = eight(y0, u0, v0);
            let (r1, g1, b1) = eight(y1, u1, v1);
            // Clamped to 0..=255 by the saturating pack.
            let (r, g, b) = (_mm_packus_epi16(r0, r1), _mm_packus_epi16(g0, g1), _mm_packus_epi16(b0, b1));
            let a = _mm_set1_epi8(-1);
            let (rg0, rg1) = (_mm_unpacklo_epi8(r, g), _mm_unpackhi_epi8(r, g));
            let (ba0, ba1) = (_mm_unpacklo_epi8(b, a), _mm_unpackhi_epi8(b, a));
            let p = out.as_mut_ptr().cast::<__m128i>();
            _mm_storeu_si128(p, _mm_unpacklo_epi16(rg0, ba0));
            _mm_storeu_si128(p.add(1), _mm_unpackhi_epi16(rg0, ba0));
            _mm_storeu_si128(p.add(2), _mm_unpacklo_epi16(rg1, ba1));
            _mm_storeu_si128(p.add(3), _mm_unpackhi_epi16(rg1, ba1));
        }
    }
}

/// One opaque pixel, R in the low byte.
#[inline(always)]
fn pixel(y: u8, u: u8, v: u8) -> u32 {
    let (l, u, v) = (Y * (i32::from(y) - 16) + ONE / 2, i32::from(u) - 128, i32::from(v) - 128);
    let r = ((l + RV * v) >> 12).clamp(0, 255) as u32;
    let g = ((l - GU * u - GV * v) >> 12).clamp(0, 255) as u32;
    let b = ((l + BU * u) >> 12).clamp(0, 255) as u32;
    0xff00_0000 | (b << 16) | (g << 8) | r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: u32, h: u32, fill: impl Fn(usize) -> u8) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(b"TRV1");
        p.extend_from_slice(&w.to_le_bytes());
        p.extend_from_slice(&h.to_le_bytes());
        p.extend_from_slice(&1234u32.to_le_bytes());
        p.extend_from_slice(&77u64.to_le_bytes());
        p.extend((0..(w * h * 3 / 2) as usize).map(fill));
        p
    }

    /// The shader's matrix in floating point, rounded.
    fn reference(y: u8, u: u8, v: u8) -> [u8; 3] {
        let (y, u, v) = (1.1643 * (f64::from(y) - 16.0), f64::from(u) - 128.0, f64::from(v) - 128.0);
        let c = |x: f64| x.round().clamp(0.0, 255.0) as u8;
        [c(y + 1.5958 * v), c(y - 0.39173 * u - 0.8129 * v), c(y + 2.017 * u)]
    }

    #[test]
    fn every_yuv_triple_is_within_one_step_of_the_shader() {
        for y in 0..=255u8 {
            for u in (0..=255u8).step_by(3) {
                for v in (0..=255u8).step_by(5) {
                    let mut out = [0u8; 8];
                    row(&[y, y], &[u], &[v], &mut out);
                    let want = reference(y, u, v);
                    for i in 0..3 {
                        let d = (i32::from(out[i]) - i32::from(want[i])).abs();
                        assert!(d <= 1, "y {y} u {u} v {v}: channel {i} {} vs {}", out[i], want[i]);
                    }
                    assert_eq!(out[3], 255, "opaque");
                    assert_eq!(out[..4], out[4..], "both pixels of the sample");
                }
            }
        }
    }

    #[test]
    fn a_picture_keeps_its_header_and_each_pixel_its_own_luma_and_its_block_chroma() {
        let (w, h) = (6usize, 4usize);
        let from = picture(w as u32, h as u32, |i| if i < w * h { (16 + 9 * i) as u8 } else { 128 });
        let size = i420_size(&from).expect("a whole picture");
        assert_eq!(size, (6, 4));
        let mut out = vec![0u8; rgba_len(size)];
        convert(&from, size, &mut out);
        assert_eq!(&out[..4], b"TRR1");
        assert_eq!(out[4..HEADER], from[4..HEADER], "size, time and sequence carried over");
        for i in 0..w * h {
            // Grey (no chroma): R = G = B from the pixel's own luma.
            let want = reference(from[HEADER + i], 128, 128);
            let px = &out[HEADER + 4 * i..HEADER + 4 * i + 4];
            assert!(px[..3].iter().all(|&c| (c as i32 - want[0] as i32).abs() <= 1), "pixel {i}: {px:?} vs {want:?}");
        }
        // Chroma per 2x2 block: a red block top-left, the rest grey.
        let mut red = from.clone();
        let u_at = HEADER + w * h;
        let v_at = u_at + w * h / 4;
        red[u_at] = 90;
        red[v_at] = 240;
        convert(&red, size, &mut out);
        let px = |x: usize, y: usize| &out[HEADER + 4 * (y * w + x)..HEADER + 4 * (y * w + x) + 4];
        for (x, y) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            assert!(px(x, y)[0] > px(x, y)[2], "({x},{y}) in the red block: {:?}", px(x, y));
        }
        assert_eq!(px(2, 0)[0], px(2, 0)[2], "outside the block stays grey");
    }

    #[test]
    fn the_vector_path_gives_the_same_bytes_as_the_one_pixel_path() {
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) as u8
        };
        for width in [16usize, 18, 34, 640, 1282] {
            let (y, u, v): (Vec<u8>, Vec<u8>, Vec<u8>) = (
                (0..width).map(|_| next()).collect(),
                (0..width / 2).map(|_| next()).collect(),
                (0..width / 2).map(|_| next()).collect(),
            );
            let mut out = vec![0u8; width * 4];
            row(&y, &u, &v, &mut out);
            for x in 0..width {
                assert_eq!(
                    out[4 * x..4 * x + 4],
                    pixel(y[x], u[x / 2], v[x / 2]).to_le_bytes(),
                    "width {width}, pixel {x}"
                );
            }
        }
    }

    #[test]
    fn anything_but_a_whole_even_sized_picture_is_not_converted() {
        let good = picture(4, 2, |_| 0);
        assert_eq!(i420_size(&good), Some((4, 2)));
        assert_eq!(i420_size(&good[..good.len() - 1]), None, "short");
        assert_eq!(i420_size(&[good.as_slice(), &[0]].concat()), None, "long");
        assert_eq!(i420_size(&good[..10]), None, "no whole header");
        assert_eq!(i420_size(&[]), None);
        let mut wrong = good.clone();
        wrong[0] = b'X';
        assert_eq!(i420_size(&wrong), None, "magic");
        assert_eq!(i420_size(&picture(3, 2, |_| 0)), None, "odd width");
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(i420_size(&huge), None, "a size that would overflow");
        let rgba = {
            let mut out = vec![0; rgba_len((4, 2))];
            convert(&good, (4, 2), &mut out);
            out
        };
        assert_eq!(i420_size(&rgba), None, "an RGBA picture is not converted again");
    }
}
