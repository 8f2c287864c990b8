//! How much audio an Opus packet holds, read from its table-of-contents byte (RFC 6716 §3.1)
//! without decoding it: the playout buffer needs each packet's length to know how far ahead it
//! reaches.

/// Samples per channel at 48 kHz in `packet`, or None when the packet is empty, its frame count
/// is missing or zero, or it would hold more than Opus's 120 ms.
pub fn samples_48k(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = usize::from(toc >> 3);
    let frame = match config {
        // SILK-only: 10, 20, 40, 60 ms.
        0..=11 => [480, 960, 1920, 2880][config % 4],
        // Hybrid: 10, 20 ms.
        12..=15 => [480, 960][config % 2],
        // CELT-only: 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][config % 4],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3f),
    };
    let total = frame * frames;
    (frames > 0 && total <= 5_760).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_the_configuration_and_the_frame_count() {
        // Trygg's own packets: CELT fullband 20 ms (config 31), one frame.
        assert_eq!(samples_48k(&[31 << 3, 1, 2, 3]), Some(960));
        // SILK wideband 60 ms, Hybrid fullband 10 ms, CELT 2.5 ms.
        assert_eq!(samples_48k(&[11 << 3]), Some(2_880));
        assert_eq!(samples_48k(&[14 << 3]), Some(480));
        assert_eq!(samples_48k(&[16 << 3]), Some(120));
        // Two frames (codes 1 and 2), and code 3 with its count byte.
        assert_eq!(samples_48k(&[(31 << 3) | 1]), Some(1_920));
        assert_eq!(samples_48k(&[(31 << 3) | 2]), Some(1_920));
        assert_eq!(samples_48k(&[(16 << 3) | 3, 0x80 | 6]), Some(720));
        // A DTX packet is a lone TOC byte: it still stands for its frame's length.
        assert_eq!(samples_48k(&[1 << 3]), Some(960));
    }

    #[test]
    fn empty_countless_and_overlong_packets_are_refused() {
        assert_eq!(samples_48k(&[]), None);
        assert_eq!(samples_48k(&[(31 << 3) | 3]), None, "code 3 without its count");
        assert_eq!(samples_48k(&[(31 << 3) | 3, 0]), None, "zero frames");
        assert_eq!(samples_48k(&[(11 << 3) | 3, 3]), None, "180 ms is more than Opus carries");
        assert_eq!(samples_48k(&[(11 << 3) | 3, 2]), Some(5_760), "120 ms is the most");
    }
}
