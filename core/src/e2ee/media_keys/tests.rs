use super::*;

/// Stand-in for the MLS exporter: every member of one epoch gets the same bytes.
fn epoch(epoch: u64, own: u32, members: &[u32]) -> EpochKeys {
    EpochKeys::from_exporter(epoch, own, members.to_vec(), |label, ctx, len| {
        Ok((0..len)
            .map(|i| (i as u64 ^ epoch.wrapping_mul(31) ^ label.len() as u64 ^ ctx.len() as u64) as u8)
            .collect())
    })
    .unwrap()
}

fn pair(e: u64, members: &[u32]) -> (MediaKeys, MediaKeys) {
    let (mut a, mut b) = (MediaKeys::default(), MediaKeys::default());
    a.install(std::time::Duration::from_micros(0), epoch(e, members[0], members)).unwrap();
    b.install(std::time::Duration::from_micros(0), epoch(e, members[1], members)).unwrap();
    (a, b)
}

#[test]
fn audio_and_video_round_trip_with_sender_identified() {
    let (mut a, mut b) = pair(5, &[0, 3]);
    let (mut ct, mut pt) = (Vec::new(), Vec::new());
    for (stream, media) in [
        (StreamKind::Audio, MediaKind::Audio),
        (StreamKind::Camera, MediaKind::Video),
        (StreamKind::Screen, MediaKind::Video),
    ] {
        for i in 0..20u8 {
            let frame = vec![i; 80 + usize::from(i)];
            a.encrypt(stream, b"", &frame, &mut ct).unwrap();
            assert_ne!(&ct[ct.len() - frame.len()..], &frame[..]);
            let origin = b.decrypt(std::time::Duration::from_micros(0), media, b"", &ct, &mut pt).unwrap();
            assert_eq!(pt, frame);
            assert_eq!(origin, FrameOrigin { epoch: 5, sender: 0, stream });
        }
    }
    assert_eq!(b.stats().decrypted, 60);
    assert_eq!(a.stats().encrypted, 60);
}

#[test]
fn opus_overhead_stays_within_eight_bytes_until_the_rekey_point() {
    // 64 leaves: the largest index still gets a one-byte KID.
    let members: Vec<u32> = (0..64).collect();
    let mut a = MediaKeys::default();
    a.install(std::time::Duration::from_micros(0), epoch(7, 63, &members)).unwrap();
    let frame = [0x55u8; 80];
    let mut ct = Vec::new();
    let mut worst = 0;
    for i in 0..REKEY_AUDIO_COUNTER {
        a.encrypt(StreamKind::Audio, b"", &frame, &mut ct).unwrap();
        worst = worst.max(ct.len() - frame.len());
        if i == 0 {
            assert_eq!(ct.len() - frame.len(), 1 + 1 + 4, "KID byte + compact CTR + 4-byte tag");
        }
    }
    assert_eq!(worst, 8, "10 % of an 80-byte frame");
    assert!(a.wants_rekey());
    a.install(std::time::Duration::from_micros(1), epoch(8, 63, &members)).unwrap();
    assert!(!a.wants_rekey(), "a new epoch restarts the counters");
}

#[test]
fn every_flipped_byte_is_dropped_and_counted() {
    let (mut a, mut b) = pair(1, &[0, 1]);
    let mut out = Vec::new();
    for (stream, media) in [(StreamKind::Audio, MediaKind::Audio), (StreamKind::Camera, MediaKind::Video)] {
        let mut ct = Vec::new();
        a.encrypt(stream, b"meta", &[9u8; 100], &mut ct).unwrap();
        let before = b.stats();
        for i in 0..ct.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = ct.clone();
                bad[i] ^= bit;
                assert!(
                    b.decrypt(std::time::Duration::from_micros(0), media, b"meta", &bad, &mut out).is_err(),
                    "byte {i} bit {bit:#x}"
                );
            }
        }
        // Metadata is authenticated too.
        assert_eq!(
            b.decrypt(std::time::Duration::from_micros(0), media, b"Meta", &ct, &mut out),
            Err(Dropped::AuthFailed)
        );
        let after = b.stats();
        assert_eq!(after.dropped() - before.dropped(), 2 * ct.len() as u64 + 1);
        assert_eq!(after.decrypted, before.decrypted);
        // The original still decrypts once, then is a replay.
        b.decrypt(std::time::Duration::from_micros(0), media, b"meta", &ct, &mut out).unwrap();
        assert_eq!(b.decrypt(std::time::Duration::from_micros(0), media, b"meta", &ct, &mut out), Err(Dropped::Replay));
    }
    let s = b.stats();
    assert!(s.dropped_auth_failed > 0 && s.dropped_unknown_kid > 0, "{s:?}");
    assert_eq!(s.dropped_replay, 2);
    for junk in [&[][..], &[0x80], &[0xff; 3], &[0x00; 2]] {
        assert!(b.decrypt(std::time::Duration::from_micros(0), MediaKind::Video, b"", junk, &mut out).is_err());
    }
}

#[test]
fn replays_and_too_old_frames_are_dropped() {
    let (mut a, mut b) = pair(2, &[0, 1]);
    let mut frames = Vec::new();
    for i in 0..300u16 {
        let mut ct = Vec::new();
        a.encrypt(StreamKind::Audio, b"", &i.to_be_bytes(), &mut ct).unwrap();
        frames.push(ct);
    }
    let mut out = Vec::new();
    b.decrypt(std::time::Duration::from_micros(0), MediaKind::Audio, b"", &frames[299], &mut out).unwrap();
    b.decrypt(std::time::Duration::from_micros(0), MediaKind::Audio, b"", &frames[200], &mut out).unwrap();
    assert_eq!(
        b.decrypt(std::time::Duration::from_micros(0), MediaKind::Audio, b"", &frames[200], &mut out),
        Err(Dropped::Replay)
    );
    assert_eq!(
        b.decrypt(std::time::Duration::from_micros(0), MediaKind::Audio, b"", &frames[10], &mut out),
        Err(Dropped::TooOld)
    );
    assert_eq!((b.stats().dropped_replay, b.stats().dropped_too_old), (1, 1));
}

#[test]
fn previous_epoch_plays_during_grace_then_is_refused() {
    let (mut a, mut b) = pair(10, &[0, 1]);
    let mut old = Vec::new();
    let mut old2 = Vec::new();
    a.encrypt(StreamKind::Audio, b"", b"in flight", &mut old).unwrap();
    a.encrypt(StreamKind::Audio, b"", b"late", &mut old2).unwrap();
    // The epoch changes at t = 1 s for both.
    let t0 = 1_000_000;
    a.install(std::time::Duration::from_micros(t0), epoch(11, 0, &[0, 1])).unwrap();
    b.install(std::time::Duration::from_micros(t0), epoch(11, 1, &[0, 1])).unwrap();
    let mut new = Vec::new();
    a.encrypt(StreamKind::Audio, b"", b"fresh", &mut new).unwrap();
    let mut out = Vec::new();
    let grace = DEFAULT_GRACE.as_micros() as u64;
    assert_eq!(
        b.decrypt(std::time::Duration::from_micros(t0 + grace - 1), MediaKind::Audio, b"", &old, &mut out)
            .unwrap()
            .epoch,
        10
    );
    assert_eq!(out, b"in flight");
    assert_eq!(
        b.decrypt(std::time::Duration::from_micros(t0 + grace), MediaKind::Audio, b"", &old2, &mut out),
        Err(Dropped::UnknownKid)
    );
    assert_eq!(
        b.decrypt(std::time::Duration::from_micros(t0 + grace), MediaKind::Audio, b"", &new, &mut out).unwrap().epoch,
        11
    );
    // A sender never goes back: its old-epoch key is gone.
    assert!(a.install(std::time::Duration::from_micros(t0), epoch(11, 0, &[0, 1])).is_err());
}

#[test]
fn a_newer_epoch_with_the_same_low_bits_evicts_the_old_one_at_once() {
    let (mut a, mut b) = pair(4, &[0, 1]);
    let mut old = Vec::new();
    a.encrypt(StreamKind::Camera, b"", b"epoch 4", &mut old).unwrap();
    for e in 5..=8 {
        b.install(std::time::Duration::from_micros(10), epoch(e, 1, &[0, 1])).unwrap();
    }
    // Epoch 8 has the low bits of epoch 4: 4 is gone although its grace period has not passed.
    let mut out = Vec::new();
    assert!(b.decrypt(std::time::Duration::from_micros(11), MediaKind::Video, b"", &old, &mut out).is_err());
}

#[test]
fn frames_claiming_to_be_from_us_or_a_non_member_are_refused() {
    let (mut a, _) = pair(3, &[0, 1]);
    let mut mine = Vec::new();
    a.encrypt(StreamKind::Audio, b"", b"echo", &mut mine).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        a.decrypt(std::time::Duration::from_micros(0), MediaKind::Audio, b"", &mine, &mut out),
        Err(Dropped::UnknownKid)
    );
    // Member 2 is not in the epoch (members 0 and 1 only), even though its KID would parse.
    let mut outsider = MediaKeys::default();
    outsider.install(std::time::Duration::from_micros(0), epoch(3, 2, &[0, 1, 2])).unwrap();
    let mut ct = Vec::new();
    outsider.encrypt(StreamKind::Audio, b"", b"hi", &mut ct).unwrap();
    assert_eq!(
        a.decrypt(std::time::Duration::from_micros(0), MediaKind::Audio, b"", &ct, &mut out),
        Err(Dropped::UnknownKid)
    );
}

#[test]
fn encrypting_before_any_epoch_is_an_error() {
    let mut k = MediaKeys::default();
    let e = k.encrypt(StreamKind::Audio, b"", b"x", &mut Vec::new()).unwrap_err();
    assert_eq!(e.code(), "e2ee.state");
}

#[test]
fn kid_layout_matches_rfc_9605_figure() {
    // RFC 9605 Figure 12 uses E=4 and S=6; with Trygg's E=2 the same rule gives these.
    let k = epoch(14, 3, &(0..64).collect::<Vec<_>>());
    assert_eq!(k.index_bits(), 6);
    assert_eq!(k.kid(StreamKind::Audio, 3), (3 << 2) | 2);
    assert_eq!(k.kid(StreamKind::Screen, 20), (1 << 8) | (20 << 2) | 2);
    assert_eq!(epoch(1, 0, &[0]).index_bits(), 0);
    assert_eq!(epoch(1, 0, &[0, 4]).index_bits(), 3);
}
