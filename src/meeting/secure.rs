//! The meeting's end-to-end encryption, as the driver runs it: the MLS group (the cryptographic
//! lobby), the sealed knocks and profiles, and the SFrame keys the media threads share.
//!
//! * A joiner knocks with a profile sealed under a key derived from the link secret (the server
//!   relays it and cannot read it): its name and its MLS KeyPackage. Every member sends its own
//!   sealed profile to newcomers the same way.
//! * Admission *is* the key exchange: the host commits an Add, the Welcome goes to the joiner and
//!   the Commit to everyone else, all as opaque handshake signals. A denied knock is sent nothing.
//! * Every membership change is a new epoch: new SFrame keys for every sender, a new security
//!   code. Removing a member (or its leaving) ends its access to everything sent after.
//! * Only the MLS host commits. When the host leaves it first hands the host role in the group to
//!   the member the room will make host.
//!
//! Handshake signals carry one tag byte: [`WELCOME`] or [`GROUP_MESSAGE`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::e2ee::E2eeError;
use crate::e2ee::identity::{DeviceIdentity, Fingerprint};
use crate::e2ee::knock::{KnockProfile, open_knock, seal_knock};
use crate::e2ee::media_keys::MediaKeys;
use crate::e2ee::mls::{GroupEvent, Joiner, MeetingGroup, key_package_identity};
use crate::room::ids::{Blob, MemberId};

/// Tag of a Welcome (to a joiner).
pub const WELCOME: u8 = 1;
/// Tag of a Commit or proposal (to members).
pub const GROUP_MESSAGE: u8 = 2;

/// Something the meeting should show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecureEvent {
    /// New keys: a new epoch and its security code.
    Keys {
        /// The epoch.
        epoch: u64,
        /// The security code, in groups.
        code: String,
        /// Members in the group.
        members: usize,
    },
    /// This device is out of the group and has no keys.
    Removed,
}

/// Messages to send: (to whom, tagged handshake bytes).
pub type Outbox = Vec<(MemberId, Vec<u8>)>;

/// One participant's end-to-end encryption state.
pub struct Secure {
    secret: Vec<u8>,
    identity: DeviceIdentity,
    joiner: Option<Joiner>,
    group: Option<MeetingGroup>,
    /// The SFrame keys the media threads use.
    pub keys: Arc<Mutex<MediaKeys>>,
    knocks: HashMap<MemberId, KnockProfile>,
    identities: HashMap<MemberId, Vec<u8>>,
    events: Vec<SecureEvent>,
    own_profile: Blob,
}

fn tagged(tag: u8, bytes: Vec<u8>) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.push(tag);
    v.extend(bytes);
    v
}

impl Secure {
    /// Prepares to join (or host) the meeting of `secret` as `name`.
    pub fn new(secret: &[u8], identity: DeviceIdentity, name: &str, token: Option<String>) -> Result<Self, E2eeError> {
        let joiner = Joiner::new(&identity)?;
        let profile = KnockProfile {
            display_name: name.to_owned(),
            invite_token: token,
            key_package: joiner.key_package().to_vec(),
        };
        let own_profile = Blob(seal_knock(secret, &profile, &mut rand_core_06::OsRng)?);
        Ok(Self {
            secret: secret.to_vec(),
            identity,
            joiner: Some(joiner),
            group: None,
            keys: Arc::new(Mutex::new(MediaKeys::default())),
            knocks: HashMap::new(),
            identities: HashMap::new(),
            events: Vec::new(),
            own_profile,
        })
    }

    /// Our sealed profile (name and KeyPackage), for the knock and for introductions.
    pub fn profile(&self) -> Blob {
        self.own_profile.clone()
    }

    /// What happened since the last call.
    pub fn take_events(&mut self) -> Vec<SecureEvent> {
        std::mem::take(&mut self.events)
    }

    /// True once this device has keys for the current epoch.
    pub fn is_keyed(&self) -> bool {
        self.keys.lock().map(|k| k.epoch().is_some()).unwrap_or(false)
    }

    /// The current security code, if keyed.
    pub fn security_code(&self) -> Option<String> {
        self.group.as_ref().map(|g| g.security_code().groups().join(" "))
    }

    /// The fingerprint of this device's identity key.
    pub fn fingerprint(&self) -> String {
        self.identity.fingerprint().to_string()
    }

    /// Reads a sealed profile (knock or introduction) and remembers the member's identity key.
    /// A profile that does not open gives None: it was not made with this meeting's link.
    pub fn open_profile(&mut self, member: MemberId, blob: &Blob) -> Option<KnockProfile> {
        let p = open_knock(&self.secret, blob.as_bytes()).ok()?;
        if let Ok(key) = key_package_identity(&p.key_package) {
            self.identities.insert(member, key);
        }
        Some(p)
    }

    /// Host: a knock arrived; keep its KeyPackage for the admission.
    pub fn knock(&mut self, member: MemberId, blob: &Blob) -> Option<String> {
        let p = self.open_profile(member, blob)?;
        let name = p.display_name.clone();
        self.knocks.insert(member, p);
        Some(name)
    }

    /// Host: the meeting was created; make the group.
    pub fn created(&mut self, now_us: u64) -> Result<(), E2eeError> {
        self.joiner = None;
        self.group = Some(MeetingGroup::create(&self.identity)?);
        self.install(now_us)
    }

    fn install(&mut self, now_us: u64) -> Result<(), E2eeError> {
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        let keys = group.epoch_keys()?;
        let epoch = keys.epoch;
        self.keys.lock().map_err(|_| E2eeError::State("media keys poisoned"))?.install(now_us, keys)?;
        self.events.push(SecureEvent::Keys {
            epoch,
            code: group.security_code().groups().join(" "),
            members: group.members().len(),
        });
        Ok(())
    }

    fn group_mut(&mut self) -> Result<&mut MeetingGroup, E2eeError> {
        self.group.as_mut().ok_or(E2eeError::NotMember)
    }

    /// Whether this device holds the host role in the group.
    pub fn is_host(&self) -> bool {
        self.group.as_ref().is_some_and(MeetingGroup::is_host)
    }

    /// Host: admits a knocker. Welcome to it, Commit to `others` (the current members but us).
    pub fn admit(&mut self, member: MemberId, others: &[MemberId], now_us: u64) -> Result<Outbox, E2eeError> {
        let knock =
            self.knocks.remove(&member).ok_or(E2eeError::State("no knock with a KeyPackage from this member"))?;
        let admission = self.group_mut()?.admit(&knock.key_package)?;
        self.install(now_us)?;
        let mut out = vec![(member, tagged(WELCOME, admission.welcome))];
        out.extend(others.iter().map(|o| (*o, tagged(GROUP_MESSAGE, admission.commit.clone()))));
        Ok(out)
    }

    /// A participant left for good: forget its identity key (after any Remove was committed).
    pub fn forget_member(&mut self, member: &MemberId) {
        self.identities.remove(member);
        self.knocks.remove(member);
    }

    /// Host: a knock was denied or withdrawn; forget it.
    pub fn forget_knock(&mut self, member: &MemberId) {
        self.knocks.remove(member);
    }

    /// The identity key of `member`, when the group vouches for it: the key its sealed profile
    /// names is the credential of a member of the group, and no other participant claims the
    /// same key (a participant copying someone's KeyPackage into its own profile gets nothing
    /// but a conflict; it cannot use the copy, whose private keys it lacks).
    pub fn vouched_key(&self, member: &MemberId) -> Option<Fingerprint> {
        let key = self.identities.get(member)?;
        if self.identities.iter().any(|(m, k)| m != member && k == key) {
            return None;
        }
        self.leaf_of(member)?;
        Some(Fingerprint::of(key))
    }

    fn leaf_of(&self, member: &MemberId) -> Option<u32> {
        let key = self.identities.get(member)?;
        self.group.as_ref()?.members().into_iter().find(|m| &m.identity_key == key).map(|m| m.index)
    }

    /// Host: takes `member` out of the group (removed, or gone for good). The Commit goes to
    /// `others` and to the member itself, who learns from it that it is out.
    pub fn remove(&mut self, member: MemberId, others: &[MemberId], now_us: u64) -> Result<Outbox, E2eeError> {
        let Some(leaf) = self.leaf_of(&member) else { return Ok(vec![]) };
        let commit = self.group_mut()?.remove(leaf)?;
        self.install(now_us)?;
        Ok(others.iter().chain(std::iter::once(&member)).map(|o| (*o, tagged(GROUP_MESSAGE, commit.clone()))).collect())
    }

    /// Host: locks or unlocks the group (members then refuse Adds while locked).
    pub fn lock(&mut self, locked: bool, others: &[MemberId], now_us: u64) -> Result<Outbox, E2eeError> {
        let commit = self.group_mut()?.set_locked(locked)?;
        self.install(now_us)?;
        Ok(others.iter().map(|o| (*o, tagged(GROUP_MESSAGE, commit.clone()))).collect())
    }

    /// Host, before leaving: hands the host role in the group to `to`.
    pub fn hand_over(&mut self, to: MemberId, others: &[MemberId], now_us: u64) -> Result<Outbox, E2eeError> {
        let leaf = self.leaf_of(&to).ok_or(E2eeError::State("the next host's key is not known"))?;
        let commit = self.group_mut()?.transfer_host(leaf)?;
        self.install(now_us)?;
        Ok(others.iter().map(|o| (*o, tagged(GROUP_MESSAGE, commit.clone()))).collect())
    }

    /// A member, leaving: the Remove proposal for everyone (the host commits it).
    pub fn leave(&mut self, others: &[MemberId]) -> Result<Outbox, E2eeError> {
        let proposal = self.group_mut()?.leave()?;
        Ok(others.iter().map(|o| (*o, tagged(GROUP_MESSAGE, proposal.clone()))).collect())
    }

    /// Host: a new epoch when the audio counters run long (keeps SFrame headers short).
    pub fn rekey_if_due(&mut self, others: &[MemberId], now_us: u64) -> Result<Outbox, E2eeError> {
        let due = self.is_host() && self.keys.lock().map(|k| k.wants_rekey()).unwrap_or(false);
        if !due {
            return Ok(vec![]);
        }
        let commit = self.group_mut()?.rekey()?;
        self.install(now_us)?;
        Ok(others.iter().map(|o| (*o, tagged(GROUP_MESSAGE, commit.clone()))).collect())
    }

    /// A handshake signal from `from`. Returns what must be sent in answer (the host commits the
    /// leave proposals it receives).
    pub fn handshake(
        &mut self,
        _from: MemberId,
        data: &[u8],
        others: &[MemberId],
        now_us: u64,
    ) -> Result<Outbox, E2eeError> {
        let (&tag, body) = data.split_first().ok_or(E2eeError::malformed("handshake", "empty"))?;
        match tag {
            WELCOME => {
                let joiner = self.joiner.take().ok_or(E2eeError::State("a Welcome, but we are not waiting for one"))?;
                self.group = Some(joiner.join(body)?);
                self.install(now_us)?;
                Ok(vec![])
            }
            GROUP_MESSAGE => match self.group_mut()?.process(body)? {
                GroupEvent::EpochChanged { .. } => {
                    self.install(now_us)?;
                    Ok(vec![])
                }
                GroupEvent::LeaveRequested { .. } if self.is_host() => {
                    let Some(commit) = self.group_mut()?.commit_pending()? else { return Ok(vec![]) };
                    self.install(now_us)?;
                    Ok(others.iter().map(|o| (*o, tagged(GROUP_MESSAGE, commit.clone()))).collect())
                }
                GroupEvent::Removed => {
                    if let Ok(mut k) = self.keys.lock() {
                        k.clear();
                    }
                    self.events.push(SecureEvent::Removed);
                    Ok(vec![])
                }
                _ => Ok(vec![]),
            },
            _ => Err(E2eeError::malformed("handshake", "unknown tag")),
        }
    }
}
