//! Untrusted bytes into the MLS message path: a member's `process` (commits, proposals), the
//! host's `admit` (KeyPackages) and a joiner's `join` (Welcomes). Errors are fine, panics are
//! not, and nothing that is refused may change the group state.
#![no_main]

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use rand_core::SeedableRng;
use trygg::e2ee::identity::DeviceIdentity;
use trygg::e2ee::mls::{Joiner, MeetingGroup};

struct World {
    host: MeetingGroup,
    member: MeetingGroup,
    joiner_id: DeviceIdentity,
}

fn world() -> World {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let mut host = MeetingGroup::create(&DeviceIdentity::generate(&mut rng)).expect("create");
    let j = Joiner::new(&DeviceIdentity::generate(&mut rng)).expect("key package");
    let adm = host.admit(j.key_package()).expect("admit");
    let member = j.join(&adm.welcome).expect("join");
    World { host, member, joiner_id: DeviceIdentity::generate(&mut rng) }
}

static WORLD: Mutex<Option<World>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let mut guard = WORLD.lock().unwrap();
    let w = guard.get_or_insert_with(world);
    let Some((&selector, bytes)) = data.split_first() else { return };
    match selector % 3 {
        0 => {
            let code = w.member.security_code();
            assert!(w.member.process(bytes).is_err());
            assert_eq!(w.member.security_code(), code);
        }
        1 => {
            // A seed may be a genuine KeyPackage: admitting it is then correct. Anything else
            // must be refused without a new epoch.
            let epoch = w.host.epoch();
            if w.host.admit(bytes).is_err() {
                assert_eq!(w.host.epoch(), epoch);
            }
        }
        _ => {
            let j = Joiner::new(&w.joiner_id).expect("key package");
            assert!(j.join(bytes).is_err());
        }
    }
});
