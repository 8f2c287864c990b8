//! Whole-meeting scenarios on the MLS core, with SFrame on top: who can decrypt what.

use rand_core_06::SeedableRng;

use super::*;
use crate::e2ee::identity::DeviceIdentity;
use crate::e2ee::media_keys::{MediaKeys, MediaKind, StreamKind};
use crate::e2ee::verify::{KnownPeers, PeerCheck};

fn identity(seed: u64) -> DeviceIdentity {
    DeviceIdentity::generate(&mut rand_chacha_03::ChaCha20Rng::seed_from_u64(seed))
}

/// Every byte a relaying server (or anyone watching it) gets to see.
#[derive(Default)]
struct Wire(Vec<Vec<u8>>);

impl Wire {
    fn relay(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.0.push(bytes.to_vec());
        bytes.to_vec()
    }
}

fn keys(g: &MeetingGroup, now: u64, mk: &mut MediaKeys) {
    mk.install(std::time::Duration::from_micros(now), g.epoch_keys().unwrap()).unwrap();
}

/// Host A, then B and C admitted, every commit processed by every member.
fn three(wire: &mut Wire) -> (MeetingGroup, MeetingGroup, MeetingGroup) {
    let mut a = MeetingGroup::create(&identity(1)).unwrap();
    let jb = Joiner::new(&identity(2)).unwrap();
    let adm = a.admit(&wire.relay(jb.key_package())).unwrap();
    wire.relay(&adm.commit);
    let mut b = jb.join(&wire.relay(&adm.welcome)).unwrap();
    let jc = Joiner::new(&identity(3)).unwrap();
    let adm = a.admit(&wire.relay(jc.key_package())).unwrap();
    let ev = b.process(&wire.relay(&adm.commit)).unwrap();
    assert_eq!(ev, GroupEvent::EpochChanged { epoch: 2, added: vec![2], removed: vec![], locked: false });
    let c = jc.join(&wire.relay(&adm.welcome)).unwrap();
    (a, b, c)
}

#[test]
fn three_members_agree_and_an_outsider_with_every_byte_decrypts_nothing() {
    let mut wire = Wire::default();
    let (a, b, c) = three(&mut wire);
    assert_eq!((a.epoch(), b.epoch(), c.epoch()), (2, 2, 2));
    assert_eq!(a.security_code(), b.security_code());
    assert_eq!(b.security_code(), c.security_code());
    assert!(a.is_host() && !b.is_host() && !c.is_host());
    assert_eq!(c.host_index(), Some(0));

    let (mut ka, mut kb, mut kc) = (MediaKeys::default(), MediaKeys::default(), MediaKeys::default());
    keys(&a, 0, &mut ka);
    keys(&b, 0, &mut kb);
    keys(&c, 0, &mut kc);
    let mut frames = Vec::new();
    for i in 0..10u8 {
        let mut ct = Vec::new();
        ka.encrypt(StreamKind::Audio, b"", &[i; 80], &mut ct).unwrap();
        frames.push((MediaKind::Audio, wire.relay(&ct)));
        kb.encrypt(StreamKind::Camera, b"", &[i; 3000], &mut ct).unwrap();
        frames.push((MediaKind::Video, wire.relay(&ct)));
    }
    let mut out = Vec::new();
    for (media, f) in &frames {
        let mine = if *media == MediaKind::Audio { &mut kb } else { &mut ka };
        mine.decrypt(std::time::Duration::from_micros(0), *media, b"", f, &mut out).unwrap();
        kc.decrypt(std::time::Duration::from_micros(0), *media, b"", f, &mut out).unwrap();
    }

    // The outsider: a real device that knocked and was never admitted. It has every relayed byte.
    let outsider_id = identity(66);
    let outsider = Joiner::new(&outsider_id).unwrap();
    wire.relay(outsider.key_package());
    let mut own_group = MeetingGroup::create(&outsider_id).unwrap();
    for bytes in &wire.0 {
        assert!(own_group.process(bytes).is_err(), "no relayed message is accepted by another group");
    }
    let welcomes: Vec<&Vec<u8>> =
        wire.0.iter().filter(|m| Joiner::new(&outsider_id).unwrap().join(m).is_err()).collect();
    assert_eq!(welcomes.len(), wire.0.len(), "no Welcome opens with the outsider's KeyPackage");
    assert!(outsider.join(&wire.0[2]).is_err());
    // Its best guess at media keys: its own group's, at the same epoch number, and every index.
    while own_group.epoch() < a.epoch() {
        own_group.rekey().unwrap();
    }
    let mut ko = MediaKeys::default();
    keys(&own_group, 0, &mut ko);
    for (media, f) in &frames {
        assert!(ko.decrypt(std::time::Duration::from_micros(0), *media, b"", f, &mut out).is_err());
    }
    assert_eq!(ko.stats().decrypted, 0);
    assert_eq!(ko.stats().dropped(), frames.len() as u64);
}

#[test]
fn a_removed_member_decrypts_nothing_sent_after_the_new_epoch() {
    let mut wire = Wire::default();
    let (mut a, mut b, mut c) = three(&mut wire);
    let (mut ka, mut kb, mut kc) = (MediaKeys::default(), MediaKeys::default(), MediaKeys::default());
    keys(&a, 0, &mut ka);
    keys(&b, 0, &mut kb);
    keys(&c, 0, &mut kc);

    let commit = a.remove(2).unwrap();
    keys(&a, 1_000, &mut ka);
    assert_eq!(
        b.process(&commit).unwrap(),
        GroupEvent::EpochChanged { epoch: 3, added: vec![], removed: vec![2], locked: false }
    );
    keys(&b, 1_000, &mut kb);
    assert_ne!(a.security_code(), c.security_code());
    assert_eq!(a.security_code(), b.security_code());
    // C processes its own removal: no more keys, no more group.
    assert_eq!(c.process(&commit).unwrap(), GroupEvent::Removed);
    assert!(c.epoch_keys().is_err());
    assert_eq!(c.process(&commit).unwrap_err().code(), "e2ee.not_member");

    // Even with its old keys kept (a modified client) and well inside the grace period, C
    // decrypts nothing A and B send now.
    let mut out = Vec::new();
    for i in 0..50u8 {
        let mut ct = Vec::new();
        ka.encrypt(StreamKind::Audio, b"", &[i; 80], &mut ct).unwrap();
        assert!(kc.decrypt(std::time::Duration::from_micros(1_001), MediaKind::Audio, b"", &ct, &mut out).is_err());
        kb.decrypt(std::time::Duration::from_micros(1_001), MediaKind::Audio, b"", &ct, &mut out).unwrap();
        kb.encrypt(StreamKind::Camera, b"", &[i; 2000], &mut ct).unwrap();
        assert!(kc.decrypt(std::time::Duration::from_micros(1_001), MediaKind::Video, b"", &ct, &mut out).is_err());
    }
    assert_eq!(kc.stats().decrypted, 0);
}

#[test]
fn leaving_is_a_remove_proposal_the_host_commits() {
    let mut wire = Wire::default();
    let (mut a, mut b, mut c) = three(&mut wire);
    assert_eq!(a.leave().unwrap_err().code(), "e2ee.state", "the host hands over first");
    let proposal = b.leave().unwrap();
    assert_eq!(a.process(&proposal).unwrap(), GroupEvent::LeaveRequested { member: 1 });
    assert_eq!(c.process(&proposal).unwrap(), GroupEvent::LeaveRequested { member: 1 });
    let commit = a.commit_pending().unwrap().expect("a pending leave");
    assert_eq!(a.commit_pending().unwrap(), None);
    assert!(matches!(c.process(&commit).unwrap(), GroupEvent::EpochChanged { removed, .. } if removed == [1]));
    assert_eq!(b.process(&commit).unwrap(), GroupEvent::Removed);
    assert_eq!(a.security_code(), c.security_code());
    assert_eq!(a.members().len(), 2);
}

#[test]
fn a_server_substituting_key_packages_yields_different_security_codes() {
    let host_id = identity(10);
    let joiner_id = identity(11);
    let mitm_id = identity(12);
    let mut host = MeetingGroup::create(&host_id).unwrap();
    let joiner = Joiner::new(&joiner_id).unwrap();

    // The server swaps the joiner's KeyPackage for its own and keeps the real one.
    let mitm = Joiner::new(&mitm_id).unwrap();
    let adm = host.admit(mitm.key_package()).unwrap();
    let mitm_in_host_group = mitm.join(&adm.welcome).unwrap();
    // ... and runs a second group in which it plays the host, admitting the real joiner.
    let mut fake = MeetingGroup::create(&mitm_id).unwrap();
    let adm2 = fake.admit(joiner.key_package()).unwrap();
    let joined = joiner.join(&adm2.welcome).unwrap();

    assert_eq!(host.epoch(), joined.epoch(), "same epoch number, so only the code can tell");
    assert_eq!(host.security_code(), mitm_in_host_group.security_code());
    assert_eq!(fake.security_code(), joined.security_code());
    assert_ne!(host.security_code(), joined.security_code(), "the people comparing codes see the attack");

    // The identities tell too: the joiner sees a host key it has not verified as the host's.
    let mut known = KnownPeers::new();
    known.remember("Host", host_id.fingerprint()).unwrap();
    let shown_host = joined.members().into_iter().find(|m| m.is_host).unwrap();
    assert!(matches!(known.check("Host", &shown_host.fingerprint), PeerCheck::KeyChanged { .. }));
    // And the host sees a member whose key is not the joiner's.
    assert!(host.members().iter().all(|m| m.fingerprint != joiner_id.fingerprint()));
}

#[test]
fn the_lock_is_enforced_by_members_not_only_by_the_host() {
    let mut wire = Wire::default();
    let (mut a, mut b, mut c) = three(&mut wire);
    let lock = a.set_locked(true).unwrap();
    assert!(matches!(b.process(&lock).unwrap(), GroupEvent::EpochChanged { locked: true, .. }));
    assert!(matches!(c.process(&lock).unwrap(), GroupEvent::EpochChanged { locked: true, .. }));
    assert!(b.is_locked());

    let d = Joiner::new(&identity(4)).unwrap();
    assert_eq!(a.admit(d.key_package()).unwrap_err().code(), "e2ee.locked");
    // A host client that ignores its own lock: the members refuse the commit and stay put.
    let rogue = a.rogue_add(d.key_package());
    let epoch = b.epoch();
    let err = b.process(&rogue.commit).unwrap_err();
    assert_eq!(err.code(), "e2ee.refused");
    assert!(err.to_string().contains("locked"), "{err}");
    assert_eq!(b.epoch(), epoch);
    assert!(c.process(&rogue.commit).is_err());
    assert_eq!(b.security_code(), c.security_code());
}

#[test]
fn unlocking_lets_the_host_admit_again() {
    let mut wire = Wire::default();
    let (mut a, mut b, _) = three(&mut wire);
    b.process(&a.set_locked(true).unwrap()).unwrap();
    assert!(matches!(
        b.process(&a.set_locked(false).unwrap()).unwrap(),
        GroupEvent::EpochChanged { locked: false, .. }
    ));
    let d = Joiner::new(&identity(4)).unwrap();
    let adm = a.admit(d.key_package()).unwrap();
    assert!(matches!(b.process(&adm.commit).unwrap(), GroupEvent::EpochChanged { added, .. } if added == [3]));
    assert_eq!(d.join(&adm.welcome).unwrap().security_code(), a.security_code());
}

#[test]
fn membership_commits_from_non_hosts_are_refused() {
    let mut wire = Wire::default();
    let (mut a, mut b, mut c) = three(&mut wire);
    assert_eq!(b.remove(2).unwrap_err().code(), "e2ee.not_host");
    let d = Joiner::new(&identity(4)).unwrap();
    assert_eq!(b.admit(d.key_package()).unwrap_err().code(), "e2ee.not_host");
    assert_eq!(b.set_locked(true).unwrap_err().code(), "e2ee.not_host");

    // B's client is modified to commit anyway.
    let kick = b.rogue_remove(2);
    for m in [&mut a, &mut c] {
        let e = m.process(&kick).unwrap_err();
        assert!(e.to_string().contains("not the host"), "{e}");
    }
    assert_eq!(a.epoch(), 2);
    assert!(c.is_active());
    let mut b2 = {
        let mut w = Wire::default();
        three(&mut w).1
    };
    let adm = b2.rogue_add(d.key_package());
    let Err((back, e)) = d.try_join(&adm.welcome, None) else { panic!("a Welcome not sent by the host was taken") };
    assert!(e.to_string().contains("host"), "{e}");
    // The refused Welcome did not use up the joiner's KeyPackage: the host's real one works.
    let d = *back.expect("a refused Welcome leaves the joiner waiting");
    let real = a.admit(d.key_package()).unwrap();
    let d = d.join(&real.welcome).unwrap();
    assert_eq!(d.security_code(), a.security_code());
}

#[test]
fn the_host_role_can_be_handed_over() {
    let mut wire = Wire::default();
    let (mut a, mut b, mut c) = three(&mut wire);
    let commit = a.transfer_host(1).unwrap();
    b.process(&commit).unwrap();
    c.process(&commit).unwrap();
    assert!(b.is_host() && !a.is_host());
    assert_eq!(c.host_index(), Some(1));
    assert_eq!(a.remove(2).unwrap_err().code(), "e2ee.not_host");
    let leave = a.leave().unwrap();
    b.process(&leave).unwrap();
    c.process(&leave).unwrap();
    let commit = b.commit_pending().unwrap().unwrap();
    assert_eq!(a.process(&commit).unwrap(), GroupEvent::Removed);
    c.process(&commit).unwrap();
    assert_eq!(b.security_code(), c.security_code());
}

#[test]
fn rekey_gives_new_keys_and_a_new_code() {
    let mut wire = Wire::default();
    let (mut a, mut b, _) = three(&mut wire);
    let before = a.security_code();
    let commit = a.rekey().unwrap();
    assert!(matches!(b.process(&commit).unwrap(), GroupEvent::EpochChanged { epoch: 3, .. }));
    assert_ne!(a.security_code(), before);
    assert_eq!(a.security_code(), b.security_code());
}

#[test]
fn garbage_and_replayed_messages_are_refused_or_dropped_and_change_nothing() {
    let mut wire = Wire::default();
    let (mut a, mut b, _) = three(&mut wire);
    let commit = a.rekey().unwrap();
    b.process(&commit).unwrap();
    let code = b.security_code();
    // A replayed commit is from an epoch it ended itself: dropped, quietly.
    assert!(matches!(b.process(&commit), Ok(GroupEvent::Stale) | Err(_)), "a replayed commit");
    assert_eq!(b.security_code(), code);
    for n in 0..commit.len() {
        assert!(b.process(&commit[..n]).is_err());
    }
    let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(9);
    for len in [0usize, 1, 5, 64, 300] {
        let mut junk = vec![0u8; len];
        rand_core_06::RngCore::fill_bytes(&mut rng, &mut junk);
        assert!(b.process(&junk).is_err());
    }
    assert_eq!(b.security_code(), code);
    assert!(a.admit(b"not a key package").is_err());
}

#[test]
fn an_expired_or_tampered_key_package_is_refused_at_the_knock() {
    use openmls::prelude::{KeyPackage, Lifetime};
    use tls_codec::Serialize as _;
    let id = identity(41);
    let fresh = Joiner::new(&id).unwrap();
    assert!(check_key_package(fresh.key_package()).is_ok());
    // A knock kept since a meeting long ago: its lifetime ran out.
    let provider = openmls_rust_crypto::OpenMlsRustCrypto::default();
    let old = KeyPackage::builder()
        .leaf_node_capabilities(super::capabilities())
        .key_package_lifetime(Lifetime::init(1_000, 2_000))
        .build(super::CIPHERSUITE, &provider, &id.signer(), id.credential())
        .unwrap();
    let old = old.key_package().tls_serialize_detached().unwrap();
    let e = check_key_package(&old).unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
    let mut tampered = fresh.key_package().to_vec();
    let n = tampered.len();
    tampered[n - 10] ^= 1;
    assert!(check_key_package(&tampered).is_err());
    assert!(check_key_package(b"junk").is_err());
}
