//! H.264 Annex-B byte streams: finding NAL units and telling what they are.
//!
//! Used to check what the encoder produced (profile, keyframes), and by anything that must look
//! inside an access unit without decoding it — an SFU's keyframe detection, per-NAL encryption.

/// H.264 NAL unit types Trygg cares about (ITU-T H.264 Table 7-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NalType {
    /// Coded slice of a non-IDR picture.
    Slice,
    /// Coded slice of an IDR picture: a keyframe.
    Idr,
    /// Supplemental enhancement information.
    Sei,
    /// Sequence parameter set.
    Sps,
    /// Picture parameter set.
    Pps,
    /// Access unit delimiter.
    Aud,
    /// Anything else, with its type number.
    Other(u8),
}

impl NalType {
    /// The type from a NAL header byte.
    pub fn from_header(byte: u8) -> Self {
        match byte & 0x1f {
            1 => Self::Slice,
            5 => Self::Idr,
            6 => Self::Sei,
            7 => Self::Sps,
            8 => Self::Pps,
            9 => Self::Aud,
            t => Self::Other(t),
        }
    }
}

/// One NAL unit inside an Annex-B stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nal<'a> {
    /// Offset of the start code in the stream.
    pub start_code_offset: usize,
    /// Length of the start code (3 or 4).
    pub start_code_len: usize,
    /// The NAL unit: header byte and payload, without the start code.
    pub bytes: &'a [u8],
}

impl Nal<'_> {
    /// The unit's type.
    pub fn kind(&self) -> NalType {
        self.bytes.first().map_or(NalType::Other(0), |&b| NalType::from_header(b))
    }
}

/// Splits an Annex-B stream at its start codes. Bytes before the first start code are ignored;
/// empty units are skipped.
pub fn nal_units(stream: &[u8]) -> Vec<Nal<'_>> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
            let four = i > 0 && stream[i - 1] == 0;
            let at = if four { i - 1 } else { i };
            starts.push((at, if four { 4 } else { 3 }));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut units = Vec::with_capacity(starts.len());
    for (k, &(at, len)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(stream.len(), |&(next, _)| next);
        let bytes = &stream[at + len..end];
        if !bytes.is_empty() {
            units.push(Nal { start_code_offset: at, start_code_len: len, bytes });
        }
    }
    units
}

/// True when the access unit holds an IDR slice (a decoder can start here).
pub fn is_keyframe(access_unit: &[u8]) -> bool {
    nal_units(access_unit).iter().any(|n| n.kind() == NalType::Idr)
}

/// The `profile-level-id` (profile_idc, constraint flags, level_idc) of the first SPS, as the
/// six hex digits SDP uses, e.g. "42c01f" for constrained baseline level 3.1.
pub fn profile_level_id(stream: &[u8]) -> Option<String> {
    let sps = nal_units(stream).into_iter().find(|n| n.kind() == NalType::Sps)?;
    let b = sps.bytes.get(1..4)?;
    Some(format!("{:02x}{:02x}{:02x}", b[0], b[1], b[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_three_and_four_byte_start_codes() {
        let s = [0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88];
        let units = nal_units(&s);
        assert_eq!(units.len(), 3);
        assert_eq!(units[0].kind(), NalType::Sps);
        assert_eq!(units[0].start_code_len, 4);
        assert_eq!(units[1].kind(), NalType::Pps);
        assert_eq!(units[1].start_code_len, 3);
        assert_eq!(units[1].bytes, &[0x68, 0xce]);
        assert_eq!(units[2].kind(), NalType::Idr);
        assert!(is_keyframe(&s));
        assert_eq!(profile_level_id(&s).as_deref(), Some("42c01f"));
    }

    #[test]
    fn garbage_has_no_units_and_no_panic() {
        assert!(nal_units(&[]).is_empty());
        assert!(nal_units(&[0, 0]).is_empty());
        assert!(nal_units(&[0, 0, 1]).is_empty());
        assert!(!is_keyframe(&[1, 2, 3, 4]));
        assert_eq!(profile_level_id(&[0, 0, 1, 0x67]), None);
    }
}
