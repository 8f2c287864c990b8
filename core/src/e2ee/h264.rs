//! SFrame for H.264: each NAL unit of an Annex-B access unit is encrypted on its own.
//!
//! Why per NAL unit: WebRTC's H.264 payloader parses the Annex-B stream it is given (RFC 6184
//! packetization mode 1: single NAL units, STAP-A, FU-A). Encrypting the whole access unit
//! turns it into random bytes in which the payloader finds false start codes and mangles the
//! frame. So each NAL unit keeps its start code and its one-byte NAL header in clear, and only
//! its body becomes an SFrame ciphertext:
//!
//! ```text
//! in:   00 00 00 01 | 65 | slice data ...........................
//! out:  00 00 00 01 | 65 | EPB( SFrame(header ‖ AEAD(body, aad = SFrame header ‖ 65)) ) | 80
//! ```
//!
//! - The NAL header byte (forbidden bit, NRI, type) is authenticated as SFrame metadata, so it
//!   cannot be changed without the frame being dropped. Start codes are not: packetizers rewrite
//!   them (3 ↔ 4 bytes) and they carry nothing but framing.
//! - `EPB`: H.264 emulation prevention. After two zero bytes, a byte ≤ 0x03 gets a 0x03 inserted
//!   before it, so the ciphertext never contains a start code (`00 00 01`) or a pattern a
//!   depacketizer would rewrite. Inverted on receipt.
//! - `80`: a final byte, like H.264's own `rbsp_trailing_bits`, so a NAL unit never ends in 0x00
//!   (which the next start code would absorb). Costs one byte per NAL unit.
//!
//! **What stays in clear** — and is what an SFU needs: the NAL unit types (keyframe = IDR type 5,
//! SPS 7, PPS 8, so keyframe detection, `is_keyframe` and "wait for a keyframe before
//! switching layers" work on ciphertext), NRI bits, the number and sizes of NAL units, timing.
//! SPS/PPS *contents* (resolution, profile) are encrypted like every other body; the profile
//! is in the SDP anyway.
//!
//! Stats count per NAL unit: one access unit of three NAL units is three `decrypted`.

use super::E2eeError;
use super::media_keys::{FrameOrigin, MediaKeys, MediaKind, StreamKind};
use super::sframe::Dropped;
use crate::media::annexb::nal_units;

/// The byte that ends every encrypted NAL unit.
pub const TRAILER: u8 = 0x80;

/// Appends `data` to `out` with emulation-prevention bytes inserted.
pub fn escape_into(data: &[u8], out: &mut Vec<u8>) {
    let mut zeros = 0;
    for &b in data {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
}

/// Appends `data` to `out` with emulation-prevention bytes removed.
pub fn unescape_into(data: &[u8], out: &mut Vec<u8>) {
    let mut zeros = 0;
    for &b in data {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
}

/// Scratch buffers, kept between frames so that steady-state encryption does not allocate.
#[derive(Debug, Default)]
pub struct H264Crypt {
    sealed: Vec<u8>,
    body: Vec<u8>,
}

impl H264Crypt {
    /// New, empty scratch buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Encrypts an Annex-B access unit of `stream` (camera or screen) NAL by NAL into `out`.
    pub fn encrypt(
        &mut self,
        keys: &mut MediaKeys,
        stream: StreamKind,
        access_unit: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), E2eeError> {
        if stream.media() != MediaKind::Video {
            return Err(E2eeError::State("H.264 access units belong to a video stream"));
        }
        out.clear();
        for nal in nal_units(access_unit) {
            let start = &access_unit[nal.start_code_offset..nal.start_code_offset + nal.start_code_len];
            let (header, body) = nal.bytes.split_at(1);
            keys.encrypt(stream, header, body, &mut self.sealed)?;
            out.extend_from_slice(start);
            out.push(header[0]);
            escape_into(&self.sealed, out);
            out.push(TRAILER);
        }
        Ok(())
    }

    /// Decrypts an access unit made by [`H264Crypt::encrypt`] (after any packetizer and
    /// depacketizer) into `out`. If any NAL unit fails, the whole access unit is dropped.
    pub fn decrypt(
        &mut self,
        keys: &mut MediaKeys,
        now: std::time::Duration,
        access_unit: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<FrameOrigin, Dropped> {
        out.clear();
        let units = nal_units(access_unit);
        // Framing first, so a malformed unit drops the access unit before any counter is used.
        if units.is_empty() || units.iter().any(|n| n.bytes.len() < 2 || n.bytes.last() != Some(&TRAILER)) {
            return Err(Dropped::Malformed);
        }
        let mut origin = None;
        for nal in units {
            let (header, rest) = nal.bytes.split_at(1);
            let escaped = &rest[..rest.len() - 1];
            self.body.clear();
            unescape_into(escaped, &mut self.body);
            let o = keys.decrypt(now, MediaKind::Video, header, &self.body, &mut self.sealed)?;
            // All NAL units of one access unit come from one sender and stream.
            if origin.is_some_and(|prev: FrameOrigin| prev.sender != o.sender || prev.stream != o.stream) {
                return Err(Dropped::Malformed);
            }
            origin = Some(o);
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.push(header[0]);
            out.extend_from_slice(&self.sealed);
        }
        origin.ok_or(Dropped::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_and_hides_start_codes() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0, 0],
            vec![0, 0, 0],
            vec![0, 0, 1],
            vec![0, 0, 3, 0, 0, 2, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 4],
            (0..=255u8).chain((0..=255u8).rev()).collect(),
        ];
        for data in cases {
            let mut esc = Vec::new();
            escape_into(&data, &mut esc);
            esc.push(TRAILER);
            assert!(!esc.windows(3).any(|w| w[0] == 0 && w[1] == 0 && w[2] <= 2), "{data:?} → {esc:?}");
            let mut back = Vec::new();
            unescape_into(&esc[..esc.len() - 1], &mut back);
            assert_eq!(back, data);
        }
    }

    use crate::e2ee::media_keys::EpochKeys;

    fn keys(own: u32) -> MediaKeys {
        let mut k = MediaKeys::default();
        k.install(
            std::time::Duration::from_micros(0),
            EpochKeys::from_exporter(1, own, vec![0, 1], |_, _, n| Ok(vec![3; n])).unwrap(),
        )
        .unwrap();
        k
    }

    /// What a depacketizer hands back: every NAL unit behind a 4-byte start code.
    fn repacketize(au: &[u8]) -> Vec<u8> {
        nal_units(au).iter().flat_map(|n| [&[0u8, 0, 0, 1][..], n.bytes].concat()).collect()
    }

    #[test]
    fn a_changed_nal_header_or_body_drops_the_access_unit() {
        let (mut tx, mut rx) = (keys(0), keys(1));
        let mut crypt = H264Crypt::new();
        let au = [0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0, 0];
        let mut sealed = Vec::new();
        let mut out = Vec::new();
        crypt.encrypt(&mut tx, StreamKind::Camera, &au, &mut sealed).unwrap();
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() = 0x81;
        assert_eq!(
            crypt.decrypt(&mut rx, std::time::Duration::from_micros(0), &bad, &mut out),
            Err(Dropped::Malformed)
        );
        assert!(crypt.decrypt(&mut rx, std::time::Duration::from_micros(0), &[0, 0, 1], &mut out).is_err());
        crypt.encrypt(&mut tx, StreamKind::Camera, &au, &mut sealed).unwrap();
        let idr = *nal_units(&sealed).last().unwrap();
        let idr_header = idr.start_code_offset + idr.start_code_len;
        assert_eq!(sealed[idr_header], 0x65);
        let mut bad = sealed.clone();
        bad[idr_header] = 0x61; // IDR relabelled as a non-IDR slice
        assert_eq!(
            crypt.decrypt(&mut rx, std::time::Duration::from_micros(0), &bad, &mut out),
            Err(Dropped::AuthFailed)
        );
        crypt.encrypt(&mut tx, StreamKind::Camera, &au, &mut sealed).unwrap();
        crypt.decrypt(&mut rx, std::time::Duration::from_micros(0), &sealed, &mut out).unwrap();
        assert_eq!(out, repacketize(&au));
        assert_eq!(
            crypt.decrypt(&mut rx, std::time::Duration::from_micros(0), &sealed, &mut out),
            Err(Dropped::Replay)
        );
        assert_eq!(crypt.encrypt(&mut tx, StreamKind::Audio, &au, &mut sealed).unwrap_err().code(), "e2ee.state");
    }
}
