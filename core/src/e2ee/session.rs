//! One participant's end-to-end encryption in a meeting, sans-I/O: the MLS group (the
//! cryptographic lobby), the sealed knocks and profiles, and the SFrame keys the media threads
//! share.
//!
//! The shape of the core: the meeting feeds what happened (`handle_*`, and the host's decisions
//! `admit`, `remove`, `lock`, `hand_over`, `leave`, `rekey_if_due`), then drains
//! [`Session::poll_transmit`] (handshake messages to send, each to one member) and
//! [`Session::poll_event`] (what to show). Randomness comes in as an argument (the sealed
//! profile's nonce); openmls draws its own through its crypto provider. Time is a `Duration` on the runtime's clock.
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
//! * **The host alone admits.** The host commits an Add only for a knock it approved itself, or
//!   one a co-host approved in an MLS application message — a co-host as the group's policy
//!   names it, not as the server says. Each approval names the exact KeyPackage approved. That
//!   the server says someone joined is never enough.
//!
//! Handshake signals carry one tag byte: [`WELCOME`], [`GROUP_MESSAGE`] or [`RESYNC`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_core_06::CryptoRngCore;

use crate::e2ee::E2eeError;
use crate::e2ee::display_name::clean;
use crate::e2ee::identity::{DeviceIdentity, Fingerprint};
use crate::e2ee::invitations::{InvitationPolicy, refusal};
use crate::e2ee::knock::{KnockProfile, open_knock, seal_knock};
use crate::e2ee::media_keys::MediaKeys;
use crate::e2ee::mls::{GroupEvent, Joiner, MeetingGroup, check_key_package, key_package_identity};
use crate::links::{Invitation, InvitationCheck, InvitationId};
use crate::room::ids::{Blob, MeetingInstance, MemberId};

/// How often each device refreshes its leaf in the group.
pub const LEAF_REFRESH: Duration = Duration::from_secs(10 * 60);

/// Tag of a Welcome (to a joiner).
pub const WELCOME: u8 = 1;
/// Tag of a Commit, proposal or application message (to members).
pub const GROUP_MESSAGE: u8 = 2;
/// Tag of a member's request to be added again, to the group's host, after it found itself
/// behind (a commit never reached it): a knock sealed for this run with a fresh KeyPackage of
/// the same identity key.
pub const RESYNC: u8 = 3;

/// After asking to be added again, a device asks again only on a later-epoch message that
/// arrives at least this long after it asked.
pub const RESYNC_RETRY: Duration = Duration::from_secs(10);

/// The kind byte of an approval in an application message: `APPROVAL ‖ member id (8) ‖
/// SHA-256 of the approved KeyPackage (32)`.
const APPROVAL: u8 = 1;

/// The kind byte of an announcement: `ANNOUNCE ‖ member id (8) ‖ name (UTF-8)`. A member says in
/// the group, authenticated by its leaf, which member id of the room it is and what it is
/// called: what binds a tile (a member id and its route) to a leaf (the SFrame sender and the
/// identity key), never the server's labels.
const ANNOUNCE: u8 = 2;

/// The kind byte of a host's request to mute one member: `MUTE ‖ member id (8)`. A member mutes
/// itself only for a request from a leaf the group's policy names host or co-host — never on the
/// server's word.
const MUTE: u8 = 3;

/// The kind byte of a host's or co-host's removal of one member: `REMOVE ‖ member id (8)`, to
/// everyone including that member, before the server is asked. It is what makes "a host removed
/// you" (or "removed X") true: a removal the server announces without it is shown as the
/// server's doing. The group's host commits the removal on it.
const REMOVE: u8 = 4;

fn key_package_hash(key_package: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(key_package).into()
}

/// Something the meeting should show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// New keys: a new epoch and its security code.
    Keys {
        /// The epoch.
        epoch: u64,
        /// The security code, in groups.
        code: String,
        /// Members in the group.
        members: usize,
    },
    /// This device is out of the group and has no keys. `asked`: a host or co-host removed us
    /// in the group ([`Session::request_removal`]); otherwise the group's host took us out
    /// because the server said we had gone.
    Removed {
        /// Whether a host or co-host asked for it, authenticated by MLS.
        asked: bool,
    },
    /// The group's host or a co-host asked this device to mute its microphone (authenticated
    /// by MLS as from a leaf the group's policy names host or co-host).
    MuteRequested,
    /// This device missed a commit (a message of a later epoch arrived): the meeting asks the
    /// group's host to add it again ([`Session::request_resync`]); until the Welcome it cannot
    /// open what the others send in the later epoch.
    Behind {
        /// Our epoch.
        ours: u64,
        /// The epoch the message claimed.
        theirs: u64,
    },
    /// A member said in the group which member id it is and what it is called: its leaf (the
    /// SFrame sender of its media) and its name, authenticated by MLS.
    Announced {
        /// The member id it claims.
        member: MemberId,
        /// Its leaf.
        leaf: u32,
        /// Its name, cleaned.
        name: String,
    },
}

/// Why a knock was turned away.
#[derive(Debug)]
pub enum KnockRefused {
    /// Not sealed with this meeting's link: whoever it is, they cannot be keyed.
    Unreadable,
    /// Its KeyPackage has expired (a knock kept and replayed) or is not properly signed.
    InvalidKeyPackage(E2eeError),
    /// Sealed for another run of the meeting (a knock kept from an earlier meeting of the same
    /// link), or for none.
    OtherRun,
    /// Its KeyPackage was admitted before, or another knock waits with it: a replay.
    Replayed,
    /// The meeting admits the invited only, and this knock's invitation is missing or not
    /// valid (what it is worth, if it carried one).
    NotInvited(Option<InvitationCheck>),
}

/// A knock the host (or a co-host) keeps for the lobby.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnockSeen {
    /// The name sealed in it, cleaned.
    pub name: String,
    /// What its personal invitation is worth, if it carried one.
    pub invitation: Option<InvitationCheck>,
}

impl KnockRefused {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable => "e2ee.unreadable_knock",
            Self::InvalidKeyPackage(_) => "e2ee.invalid_knock",
            Self::OtherRun => "e2ee.knock_for_another_run",
            Self::Replayed => "e2ee.replayed_knock",
            Self::NotInvited(_) => "e2ee.not_invited",
        }
    }

    /// A sentence.
    pub fn message(&self) -> String {
        match self {
            Self::Unreadable => "a knock that was not made with this meeting's link was turned away".into(),
            Self::InvalidKeyPackage(e) => format!("a knock was turned away: {e}"),
            Self::OtherRun => "a knock made for another meeting of this link was turned away (a replay)".into(),
            Self::Replayed => "a knock whose key was already used in this meeting was turned away (a replay)".into(),
            Self::NotInvited(check) => refusal(check.as_ref()),
        }
    }
}

/// A handshake message to send: to whom, and the tagged bytes.
pub type Transmit = (MemberId, Vec<u8>);

/// One participant's end-to-end encryption state.
pub struct Session {
    /// The link's secret (zeroed when the session is dropped).
    secret: crate::secrets::Sensitive<Vec<u8>>,
    identity: DeviceIdentity,
    joiner: Option<Joiner>,
    group: Option<MeetingGroup>,
    /// The SFrame keys the media threads use.
    pub keys: Arc<Mutex<MediaKeys>>,
    knocks: HashMap<MemberId, KnockProfile>,
    /// Knocks approved by this device (as host) or by a co-host the group names.
    approved: HashMap<MemberId, Approval>,
    /// The host's rules for personal invitations.
    invitations: InvitationPolicy,
    /// KeyPackages this device admitted (their SHA-256): a knock that brings one again is a
    /// replay.
    used: HashSet<[u8; 32]>,
    /// Our profile, for knocks sealed for a run of the meeting.
    own: KnockProfile,
    /// The personal invitation our link carries: each knock shows it with a proof made for that
    /// knock; introductions to members never carry it.
    invitation: Option<Invitation>,
    /// The run we knocked on: a Welcome must be for it.
    knocked_on: Option<MeetingInstance>,
    /// Members whose removal a host or co-host asked for in the group.
    removals_asked: HashSet<MemberId>,
    /// After finding itself behind: the fresh KeyPackage it asked to be added again with.
    resync: Option<Joiner>,
    /// When this device last found itself behind (it asks again after [`RESYNC_RETRY`]).
    behind_since: Option<Duration>,
    /// Host: when each identity key was last added again after a resync request (one per
    /// [`RESYNC_RETRY`], so a member cannot make the group churn).
    resynced: HashMap<Vec<u8>, Duration>,
    identities: HashMap<MemberId, Vec<u8>>,
    /// What each leaf announced: (member id, name).
    claims: HashMap<u32, (MemberId, String)>,
    /// Announce ourselves to every member at the next chance (joined, or resumed).
    announce_all: bool,
    /// Announce ourselves to these (they announced themselves to us first).
    announce_to: Vec<MemberId>,
    own_name: String,
    /// Our member id, as the room gave it (for requests addressed to us).
    own_member: Option<MemberId>,
    /// When this device's leaf is refreshed next.
    next_refresh: Option<Duration>,
    events: VecDeque<SessionEvent>,
    transmits: VecDeque<Transmit>,
    own_profile: Blob,
}

/// One approval of a knock: the KeyPackage it was for, and whether this device (as host) gave
/// it rather than a co-host.
#[derive(Debug, Clone, Copy)]
struct Approval {
    key_package: [u8; 32],
    by_us: bool,
}

fn tagged(tag: u8, bytes: Vec<u8>) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.push(tag);
    v.extend(bytes);
    v
}

impl Session {
    /// Prepares to join (or host) the meeting of `secret` as `name`; `rng` seals the profile.
    pub fn new(
        secret: &[u8],
        identity: DeviceIdentity,
        name: &str,
        token: Option<String>,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Self, E2eeError> {
        let joiner = Joiner::new(&identity)?;
        let invitation = token
            .map(|t| Invitation::parse(&t))
            .transpose()
            .map_err(|e| E2eeError::malformed("personal invitation", e.to_string()))?;
        let profile = KnockProfile {
            display_name: clean(name),
            invite_token: None,
            key_package: joiner.key_package().to_vec(),
            instance: None,
        };
        let own_profile = Blob(seal_knock(secret, &profile, rng)?);
        Ok(Self {
            secret: crate::secrets::Sensitive::new(secret.to_vec()),
            identity,
            joiner: Some(joiner),
            group: None,
            keys: Arc::new(Mutex::new(MediaKeys::default())),
            knocks: HashMap::new(),
            approved: HashMap::new(),
            invitations: InvitationPolicy::default(),
            used: HashSet::new(),
            own: profile,
            invitation,
            knocked_on: None,
            removals_asked: HashSet::new(),
            resync: None,
            behind_since: None,
            resynced: HashMap::new(),
            identities: HashMap::new(),
            claims: HashMap::new(),
            announce_all: false,
            announce_to: Vec::new(),
            own_name: clean(name),
            own_member: None,
            next_refresh: None,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            own_profile,
        })
    }

    /// Our sealed profile (name and KeyPackage, never our invitation), to introduce ourselves to
    /// newcomers.
    pub fn profile(&self) -> Blob {
        self.own_profile.clone()
    }

    /// Our knock, sealed for `instance`, the run of the meeting the server named. A Welcome is
    /// then accepted only into that run's group.
    pub fn seal_knock(&mut self, instance: MeetingInstance, rng: &mut impl CryptoRngCore) -> Result<Blob, E2eeError> {
        let secret = self.secret.expose();
        let invite_token =
            self.invitation.as_ref().map(|i| i.show(secret, instance.as_bytes(), &self.own.key_package).encode());
        let knock = KnockProfile { instance: Some(instance), invite_token, ..self.own.clone() };
        let blob = seal_knock(self.secret.expose(), &knock, rng)?;
        self.knocked_on = Some(instance);
        Ok(Blob(blob))
    }

    /// The run of the meeting this device is in: its MLS group's id.
    pub fn instance(&self) -> Option<MeetingInstance> {
        self.group.as_ref().and_then(|g| MeetingInstance::from_slice(g.group_id()))
    }

    /// The next thing to show, in order.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// The next handshake message to send, in order.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn send(&mut self, to: impl IntoIterator<Item = MemberId>, tag: u8, bytes: &[u8]) {
        self.transmits.extend(to.into_iter().map(|o| (o, tagged(tag, bytes.to_vec()))));
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

    /// This device's identity key's fingerprint (for pair codes).
    pub fn own_fingerprint(&self) -> Fingerprint {
        self.identity.fingerprint()
    }

    /// Reads a sealed profile (knock or introduction) and remembers the member's identity key.
    /// A profile that does not open gives None: it was not made with this meeting's link.
    pub fn open_profile(&mut self, member: MemberId, blob: &Blob) -> Option<KnockProfile> {
        let mut p = open_knock(self.secret.expose(), blob.as_bytes()).ok()?;
        p.display_name = clean(&p.display_name);
        if let Ok(key) = key_package_identity(&p.key_package) {
            self.identities.insert(member, key);
        }
        Some(p)
    }

    /// Host: a knock arrived; keep its KeyPackage for the admission. Refused when it was not
    /// sealed with this meeting's link or for this run of it, when its KeyPackage is expired or
    /// not signed, or when that KeyPackage was admitted before or waits in another knock.
    pub fn handle_knock(&mut self, member: MemberId, blob: &Blob) -> Result<KnockSeen, KnockRefused> {
        let mut p = open_knock(self.secret.expose(), blob.as_bytes()).map_err(|_| KnockRefused::Unreadable)?;
        p.display_name = clean(&p.display_name);
        if p.instance.is_none() || p.instance != self.instance() {
            return Err(KnockRefused::OtherRun);
        }
        check_key_package(&p.key_package).map_err(KnockRefused::InvalidKeyPackage)?;
        let hash = key_package_hash(&p.key_package);
        if self.used.contains(&hash) {
            return Err(KnockRefused::Replayed);
        }
        // The same KeyPackage waiting under another id is the same knocker, moved (its
        // connection dropped and it knocked again): the older knock and its approval go. Only
        // one of them can ever be admitted.
        let moved: Vec<MemberId> = self
            .knocks
            .iter()
            .filter(|(m, k)| **m != member && key_package_hash(&k.key_package) == hash)
            .map(|(m, _)| *m)
            .collect();
        let invitation = self.invitation_of(&p);
        if !self.invitations.admits(invitation.as_ref()) {
            return Err(KnockRefused::NotInvited(invitation));
        }
        for m in moved {
            self.forget_knock(&m);
        }
        if let Ok(key) = key_package_identity(&p.key_package) {
            self.identities.insert(member, key);
        }
        let name = p.display_name.clone();
        self.knocks.insert(member, p);
        Ok(KnockSeen { name, invitation })
    }

    /// The host's rules for personal invitations: which it revoked, and whether the meeting
    /// admits the invited only.
    pub fn set_invitation_policy(&mut self, policy: InvitationPolicy) {
        self.invitations = policy;
    }

    /// Host: revokes one invitation from now on (a knock with it waiting is shown again as
    /// revoked by the caller).
    pub fn revoke_invitation(&mut self, id: InvitationId) {
        self.invitations.revoked.insert(id);
    }

    /// What the invitation in `knock` is worth now, by the group's current host and co-hosts.
    fn invitation_of(&self, knock: &KnockProfile) -> Option<InvitationCheck> {
        let policy = self.group.as_ref()?.policy();
        let run = knock.instance.as_ref().map_or(&[][..], |i| &i.as_bytes()[..]);
        self.invitations.check(self.secret.expose(), &policy, knock.invite_token.as_deref(), run, &knock.key_package)
    }

    /// The knocks waiting (their member ids, in order).
    pub fn knocks_waiting(&self) -> Vec<MemberId> {
        let mut v: Vec<MemberId> = self.knocks.keys().copied().collect();
        v.sort();
        v
    }

    /// Whether a knock whose invitation is worth `check` may be admitted at all under the host's
    /// rules (always, unless the meeting admits the invited only).
    pub fn admits(&self, check: Option<&InvitationCheck>) -> bool {
        self.invitations.admits(check)
    }

    /// What the invitation of the knock waiting from `member` is worth now.
    pub fn knock_invitation(&self, member: &MemberId) -> Option<InvitationCheck> {
        self.invitation_of(self.knocks.get(member)?)
    }

    /// Host: the meeting was created as run `instance`; make the group with that id.
    pub fn handle_created(&mut self, instance: MeetingInstance, now: Duration) -> Result<(), E2eeError> {
        self.joiner = None;
        self.group = Some(MeetingGroup::create_run(&self.identity, instance.as_bytes())?);
        self.install(now)
    }

    fn install(&mut self, now: Duration) -> Result<(), E2eeError> {
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        let keys = group.epoch_keys()?;
        let epoch = keys.epoch;
        self.keys.lock().map_err(|_| E2eeError::State("media keys poisoned"))?.install(now, keys)?;
        self.events.push_back(SessionEvent::Keys {
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

    /// This device lets a knocker in: as the host it approves the knock it holds; as a co-host it
    /// tells the group (an application message to `others`, which only the host acts on).
    pub fn approve(&mut self, member: MemberId, others: &[MemberId]) -> Result<(), E2eeError> {
        let knock = self.knocks.get(&member).ok_or(E2eeError::State("no knock with a KeyPackage from this member"))?;
        let hash = key_package_hash(&knock.key_package);
        if self.is_host() {
            self.approved.insert(member, Approval { key_package: hash, by_us: true });
            return Ok(());
        }
        let mut msg = vec![APPROVAL];
        msg.extend_from_slice(&member.to_bytes());
        msg.extend_from_slice(&hash);
        let sealed = self.group_mut()?.seal_application(&msg)?;
        self.send(others.iter().copied(), GROUP_MESSAGE, &sealed);
        Ok(())
    }

    /// Whether someone who may admit approved the knock this device holds from `member`.
    pub fn is_approved(&self, member: &MemberId) -> bool {
        match (self.approved.get(member), self.knocks.get(member)) {
            (Some(a), Some(knock)) => a.key_package == key_package_hash(&knock.key_package),
            _ => false,
        }
    }

    /// Host: admits a knocker whose knock was approved. Welcome to it, Commit to `others` (the
    /// current members but us). Refused for a knock nobody who may admit approved.
    pub fn admit(&mut self, member: MemberId, others: &[MemberId], now: Duration) -> Result<(), E2eeError> {
        if !self.is_approved(&member) {
            return Err(E2eeError::refused("nobody who may admit approved this knock"));
        }
        let by_us = self.approved.get(&member).is_some_and(|a| a.by_us);
        let invitation = self.knocks.get(&member).and_then(|k| self.invitation_of(k));
        if !self.invitations.admits(invitation.as_ref()) {
            self.approved.remove(&member);
            return Err(E2eeError::refused(
                "this meeting admits the invited only, and this knock's invitation is not valid",
            ));
        }
        if !by_us && matches!(invitation, Some(InvitationCheck::Revoked { .. })) {
            // Co-hosts do not see the host's list of revoked invitations: only the host's own
            // approval lets such a knock in.
            self.approved.remove(&member);
            return Err(E2eeError::refused(
                "a co-host approved a knock whose invitation you revoked; admit it yourself if you want it in",
            ));
        }
        self.approved.remove(&member);
        let knock =
            self.knocks.remove(&member).ok_or(E2eeError::State("no knock with a KeyPackage from this member"))?;
        self.used.insert(key_package_hash(&knock.key_package));
        let admission = self.group_mut()?.admit(&knock.key_package)?;
        self.install(now)?;
        self.send([member], WELCOME, &admission.welcome);
        self.send(others.iter().copied(), GROUP_MESSAGE, &admission.commit);
        Ok(())
    }

    /// Host: makes a member a co-host in the group's policy (or no longer one), so that its
    /// approvals count. The Commit goes to `others`.
    pub fn set_cohost(
        &mut self,
        member: MemberId,
        cohost: bool,
        others: &[MemberId],
        now: Duration,
    ) -> Result<(), E2eeError> {
        let leaf = self.leaf_of(&member).ok_or(E2eeError::State("the member's key is not known"))?;
        let commit = self.group_mut()?.set_cohost(leaf, cohost)?;
        self.install(now)?;
        self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
        Ok(())
    }

    /// An application message from the leaf `sender`: an announcement, a removal or a mute
    /// request from a host or co-host, or (for the host) a co-host's approval.
    fn handle_application(
        &mut self,
        sender: u32,
        data: &[u8],
        others: &[MemberId],
        now: Duration,
    ) -> Result<(), E2eeError> {
        match data.split_first() {
            Some((&APPROVAL, body)) => self.handle_approval(sender, body),
            Some((&ANNOUNCE, body)) => self.handle_announcement(sender, body),
            Some((&MUTE, body)) => self.handle_mute(sender, body),
            Some((&REMOVE, body)) => self.handle_removal(sender, body, others, now),
            _ => Err(E2eeError::malformed("application message", "unknown kind")),
        }
    }

    fn handle_removal(
        &mut self,
        sender: u32,
        body: &[u8],
        others: &[MemberId],
        now: Duration,
    ) -> Result<(), E2eeError> {
        let id: [u8; 8] = body.try_into().map_err(|_| E2eeError::malformed("removal", "bad length"))?;
        let member = MemberId::from_bytes(id);
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        if !group.moderates(sender) {
            return Err(E2eeError::refused("a removal from a member who is neither host nor co-host"));
        }
        let by_host = group.host_index() == Some(sender);
        let target = self.leaf_announced_as(&member);
        if !by_host && target.is_some_and(|t| group.moderates(t)) {
            // A co-host removes participants, not the host or other co-hosts (as in the room).
            return Err(E2eeError::refused("a co-host asked to remove the host or another co-host"));
        }
        self.removals_asked.insert(member);
        if self.is_host() && Some(member) != self.own_member {
            // A co-host asked: the group's host commits it (to everyone, the member included).
            let others: Vec<MemberId> = others.iter().copied().filter(|o| *o != member).collect();
            return self.remove(member, &others, now);
        }
        Ok(())
    }

    /// Host or co-host: removes `member`, in the group first: every member (`others`, and the
    /// member itself) hears it from us, authenticated by MLS, and the group's host commits it
    /// (at once when that is us). Then the runtime asks the server.
    pub fn request_removal(&mut self, member: MemberId, others: &[MemberId], now: Duration) -> Result<(), E2eeError> {
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        let own = group.own_index();
        if !group.moderates(own) {
            return Err(E2eeError::refused("only the group's host or a co-host removes members"));
        }
        let mut msg = vec![REMOVE];
        msg.extend_from_slice(&member.to_bytes());
        let sealed = self.group_mut()?.seal_application(&msg)?;
        let others: Vec<MemberId> = others.iter().copied().filter(|o| *o != member).collect();
        self.send(others.iter().copied().chain([member]), GROUP_MESSAGE, &sealed);
        self.removals_asked.insert(member);
        if self.is_host() {
            self.remove(member, &others, now)?;
        }
        Ok(())
    }

    /// Whether a host or co-host asked in the group for `member`'s removal.
    pub fn removal_asked(&self, member: &MemberId) -> bool {
        self.removals_asked.contains(member)
    }

    /// Whether a host or co-host asked in the group for our own removal.
    pub fn own_removal_asked(&self) -> bool {
        self.own_member.is_some_and(|me| self.removals_asked.contains(&me))
    }

    fn handle_approval(&mut self, sender: u32, body: &[u8]) -> Result<(), E2eeError> {
        let (id, hash) = body.split_at_checked(8).ok_or(E2eeError::malformed("approval", "too short"))?;
        let id: [u8; 8] = id.try_into().map_err(|_| E2eeError::malformed("approval", "bad member id"))?;
        let hash: [u8; 32] = hash.try_into().map_err(|_| E2eeError::malformed("approval", "bad length"))?;
        if !self.is_host() {
            return Ok(());
        }
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        if !group.is_cohost(sender) {
            return Err(E2eeError::refused("an approval from a member the group does not name a co-host"));
        }
        // A co-host's approval never takes the place of the host's own for the same KeyPackage:
        // only the host's counts against its list of revoked invitations.
        let member = MemberId::from_bytes(id);
        let hosts_own = self.approved.get(&member).is_some_and(|a| a.by_us && a.key_package == hash);
        if !hosts_own {
            self.approved.insert(member, Approval { key_package: hash, by_us: false });
        }
        Ok(())
    }

    fn handle_mute(&mut self, sender: u32, body: &[u8]) -> Result<(), E2eeError> {
        let id: [u8; 8] = body.try_into().map_err(|_| E2eeError::malformed("mute request", "bad length"))?;
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        if !group.moderates(sender) {
            return Err(E2eeError::refused("a mute request from a member who is neither host nor co-host"));
        }
        if group.own_index() == sender || self.own_member != Some(MemberId::from_bytes(id)) {
            return Ok(());
        }
        self.events.push_back(SessionEvent::MuteRequested);
        Ok(())
    }

    /// Host or co-host: asks `member` to mute, in the group (the request counts only because
    /// the group names us host or co-host).
    pub fn request_mute(&mut self, member: MemberId) -> Result<(), E2eeError> {
        let mut msg = vec![MUTE];
        msg.extend_from_slice(&member.to_bytes());
        let sealed = self.group_mut()?.seal_application(&msg)?;
        self.send([member], GROUP_MESSAGE, &sealed);
        Ok(())
    }

    fn handle_announcement(&mut self, sender: u32, body: &[u8]) -> Result<(), E2eeError> {
        let (id, name) = body.split_at_checked(8).ok_or(E2eeError::malformed("announcement", "too short"))?;
        let id: [u8; 8] = id.try_into().map_err(|_| E2eeError::malformed("announcement", "bad member id"))?;
        let name = std::str::from_utf8(name).map_err(|_| E2eeError::malformed("announcement", "name not UTF-8"))?;
        let (member, name) = (MemberId::from_bytes(id), clean(name));
        let first = !self.claims.contains_key(&sender);
        if self.claims.get(&sender) == Some(&(member, name.clone())) {
            return Ok(());
        }
        self.claims.insert(sender, (member, name.clone()));
        if first {
            // A newcomer (or one back after a restart) introduced itself: introduce ourselves
            // to it, in an epoch it holds.
            self.announce_to.push(member);
        }
        self.events.push_back(SessionEvent::Announced { member, leaf: sender, name });
        Ok(())
    }

    /// Sends the announcements that are due (ours, as member `me`): to everyone after we
    /// joined or resumed, else to each member that just introduced itself.
    pub fn send_announcements(&mut self, me: MemberId, others: &[MemberId]) -> Result<(), E2eeError> {
        self.own_member = Some(me);
        if self.group.as_ref().is_none_or(|g| !g.is_active()) {
            return Ok(());
        }
        let to: Vec<MemberId> = if std::mem::take(&mut self.announce_all) {
            self.announce_to.clear();
            others.to_vec()
        } else {
            std::mem::take(&mut self.announce_to).into_iter().filter(|m| others.contains(m)).collect()
        };
        if to.is_empty() {
            return Ok(());
        }
        let mut msg = vec![ANNOUNCE];
        msg.extend_from_slice(&me.to_bytes());
        msg.extend_from_slice(self.own_name.as_bytes());
        let sealed = self.group_mut()?.seal_application(&msg)?;
        self.send(to, GROUP_MESSAGE, &sealed);
        Ok(())
    }

    /// Announce ourselves to every member again (after the connection came back: member ids
    /// may have been handed out anew).
    pub fn announce_again(&mut self) {
        self.announce_all = true;
    }

    /// Our own leaf, once in the group.
    pub fn own_leaf(&self) -> Option<u32> {
        self.group.as_ref().filter(|g| g.is_active()).map(|g| g.own_index())
    }

    /// The leaf that announced itself as `member`, when exactly one did.
    pub fn leaf_announced_as(&self, member: &MemberId) -> Option<u32> {
        let mut leaves = self.claims.iter().filter(|(_, (m, _))| m == member).map(|(l, _)| *l);
        let leaf = leaves.next()?;
        leaves.next().is_none().then_some(leaf)
    }

    /// A participant left for good: forget its identity key (after any Remove was committed).
    pub fn forget_member(&mut self, member: &MemberId) {
        self.identities.remove(member);
        self.knocks.remove(member);
        self.approved.remove(member);
    }

    /// Host: a knock was denied or withdrawn; forget it.
    pub fn forget_knock(&mut self, member: &MemberId) {
        self.knocks.remove(member);
        self.approved.remove(member);
    }

    /// The identity key and name of `member`, when the group vouches for them: exactly one leaf
    /// announced itself as this member (an MLS-authenticated statement, not the server's label),
    /// and that leaf's credential is the key. A swap of profiles by the server changes nothing
    /// here.
    pub fn vouched(&self, member: &MemberId) -> Option<(Fingerprint, String)> {
        let leaf = self.leaf_announced_as(member)?;
        let group = self.group.as_ref()?;
        let key = group.members().into_iter().find(|m| m.index == leaf)?.identity_key;
        let name = self.claims.get(&leaf)?.1.clone();
        Some((Fingerprint::of(&key), name))
    }

    /// The identity key of `member`, when the group vouches for it ([`Self::vouched`]).
    pub fn vouched_key(&self, member: &MemberId) -> Option<Fingerprint> {
        self.vouched(member).map(|(k, _)| k)
    }

    /// The leaf of `member`: the one it announced, else the one whose key its profile names
    /// (for the host's own acts on a member that has not announced itself yet).
    fn leaf_of(&self, member: &MemberId) -> Option<u32> {
        if let Some(leaf) = self.leaf_announced_as(member) {
            return Some(leaf);
        }
        let key = self.identities.get(member)?;
        self.group.as_ref()?.members().into_iter().find(|m| &m.identity_key == key).map(|m| m.index)
    }

    /// Host: takes `member` out of the group (removed, or gone for good). The Commit goes to
    /// `others` and to the member itself, who learns from it that it is out.
    pub fn remove(&mut self, member: MemberId, others: &[MemberId], now: Duration) -> Result<(), E2eeError> {
        let Some(leaf) = self.leaf_of(&member) else { return Ok(()) };
        let commit = self.group_mut()?.remove(leaf)?;
        self.claims.remove(&leaf);
        self.install(now)?;
        self.send(others.iter().copied().chain([member]), GROUP_MESSAGE, &commit);
        Ok(())
    }

    /// Host: locks or unlocks the group (members then refuse Adds while locked).
    pub fn lock(&mut self, locked: bool, others: &[MemberId], now: Duration) -> Result<(), E2eeError> {
        let commit = self.group_mut()?.set_locked(locked)?;
        self.install(now)?;
        self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
        Ok(())
    }

    /// Host, before leaving: hands the host role in the group to `to`.
    pub fn hand_over(&mut self, to: MemberId, others: &[MemberId], now: Duration) -> Result<(), E2eeError> {
        let leaf = self.leaf_of(&to).ok_or(E2eeError::State("the next host's key is not known"))?;
        let commit = self.group_mut()?.transfer_host(leaf)?;
        self.install(now)?;
        self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
        Ok(())
    }

    /// A member, leaving: the Remove proposal for everyone (the host commits it).
    pub fn leave(&mut self, others: &[MemberId]) -> Result<(), E2eeError> {
        let proposal = self.group_mut()?.leave()?;
        self.send(others.iter().copied(), GROUP_MESSAGE, &proposal);
        Ok(())
    }

    /// Refreshes this device's leaf when [`LEAF_REFRESH`] has passed since the last time (or
    /// since we got keys): the host commits a self-update, a member proposes one for the host
    /// to commit. Old leaf keys stop mattering, so a device whose keys leaked once does not
    /// stay readable (post-compromise security).
    pub fn refresh_if_due(&mut self, others: &[MemberId], now: Duration) -> Result<(), E2eeError> {
        if self.group.as_ref().is_none_or(|g| !g.is_active()) {
            return Ok(());
        }
        // Staggered by leaf, so that members' proposals do not meet the host's own refresh
        // (a proposal made in an epoch a commit has ended is dropped; it is made again later).
        let own = self.group.as_ref().map_or(0, |g| g.own_index());
        let due = *self.next_refresh.get_or_insert(now + LEAF_REFRESH + Duration::from_secs(7 * u64::from(own)));
        if now < due {
            return Ok(());
        }
        self.next_refresh = Some(now + LEAF_REFRESH);
        if self.is_host() {
            let commit = self.group_mut()?.rekey()?;
            self.install(now)?;
            self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
        } else {
            let proposal = self.group_mut()?.propose_update()?;
            self.send(others.iter().copied(), GROUP_MESSAGE, &proposal);
        }
        Ok(())
    }

    /// Host: a new epoch when the audio counters run long (keeps SFrame headers short).
    pub fn rekey_if_due(&mut self, others: &[MemberId], now: Duration) -> Result<(), E2eeError> {
        let due = self.is_host() && self.keys.lock().map(|k| k.wants_rekey()).unwrap_or(false);
        if !due {
            return Ok(());
        }
        let commit = self.group_mut()?.rekey()?;
        self.install(now)?;
        self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
        Ok(())
    }

    /// Behind: asks the group's host to add this device again, with a fresh KeyPackage of the
    /// same identity key sealed for this run (after [`SessionEvent::Behind`]). The host checks
    /// that the key is the one the member's announced leaf holds, removes that leaf and adds
    /// the new one; its Welcome brings this device to the current epoch.
    pub fn request_resync(&mut self, rng: &mut impl CryptoRngCore) -> Result<(), E2eeError> {
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        let instance = self.instance().ok_or(E2eeError::State("no run of the meeting to resync with"))?;
        let host_leaf = group.host_index().ok_or(E2eeError::State("the group names no host"))?;
        let host = self
            .claims
            .get(&host_leaf)
            .map(|(m, _)| *m)
            .ok_or(E2eeError::State("the group's host has not said which member it is"))?;
        let joiner = Joiner::new(&self.identity)?;
        let knock =
            KnockProfile { key_package: joiner.key_package().to_vec(), instance: Some(instance), ..self.own.clone() };
        let blob = seal_knock(self.secret.expose(), &knock, rng)?;
        self.send([host], RESYNC, &blob);
        self.resync = Some(joiner);
        Ok(())
    }

    /// Host: a member that fell behind asks to be added again. Only for the identity key its
    /// announced leaf holds, a KeyPackage never used, sealed for this run: then its old leaf is
    /// removed and the new one added (Welcome to it, Commits to everyone else).
    fn handle_resync(
        &mut self,
        from: MemberId,
        body: &[u8],
        others: &[MemberId],
        now: Duration,
    ) -> Result<(), E2eeError> {
        if !self.is_host() {
            return Ok(());
        }
        let p = open_knock(self.secret.expose(), body)?;
        if p.instance.is_none() || p.instance != self.instance() {
            return Err(E2eeError::refused("a resync request for another run of the meeting"));
        }
        check_key_package(&p.key_package)?;
        let hash = key_package_hash(&p.key_package);
        if self.used.contains(&hash) {
            return Err(E2eeError::refused("a resync request whose KeyPackage was used before (a replay)"));
        }
        let identity = key_package_identity(&p.key_package)?;
        if self.resynced.get(&identity).is_some_and(|t| now < *t + RESYNC_RETRY) {
            return Err(E2eeError::refused("a member asked to be added again too soon after the last time"));
        }
        let group = self.group.as_ref().ok_or(E2eeError::NotMember)?;
        // The member's announced leaf; else (its earlier resync's Welcome never arrived, so the
        // leaf we added for it never announced itself) the one leaf holding its identity key.
        let by_key: Vec<u32> =
            group.members().into_iter().filter(|m| m.identity_key == identity).map(|m| m.index).collect();
        let leaf = match (self.leaf_announced_as(&from), by_key.as_slice()) {
            (Some(leaf), _) => leaf,
            (None, [leaf]) => *leaf,
            _ => return Err(E2eeError::refused("a resync request from a member the group does not know")),
        };
        if group.is_locked() {
            // Members refuse every Add while the meeting is locked.
            return Err(E2eeError::refused(
                "a member fell behind and asks to be added again, but the meeting is locked: unlock it to let them back",
            ));
        }
        let key = group.members().into_iter().find(|m| m.index == leaf).map(|m| m.identity_key);
        if key.as_deref() != Some(identity.as_slice()) {
            return Err(E2eeError::refused("a resync request with another identity key than the member's"));
        }
        let others: Vec<MemberId> = others.iter().copied().filter(|o| *o != from).collect();
        let commit = self.group_mut()?.remove(leaf)?;
        self.claims.remove(&leaf);
        self.install(now)?;
        self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
        self.used.insert(hash);
        self.resynced.insert(identity, now);
        let admission = self.group_mut()?.admit(&p.key_package)?;
        self.install(now)?;
        self.send([from], WELCOME, &admission.welcome);
        self.send(others.iter().copied(), GROUP_MESSAGE, &admission.commit);
        Ok(())
    }

    /// The host's Welcome after a resync request: the group as it is now.
    fn finish_resync(&mut self, welcome: &[u8], now: Duration) -> Result<(), E2eeError> {
        let joiner = self.resync.take().ok_or(E2eeError::State("a Welcome, but we are not waiting for one"))?;
        match joiner.try_join(welcome, self.instance().map(|i| *i.as_bytes())) {
            Ok(group) => {
                self.group = Some(group);
                // Leaves may have changed while we were behind: everyone says again who they are.
                self.claims.clear();
                self.announce_all = true;
                self.behind_since = None;
                self.install(now)
            }
            Err((joiner, e)) => {
                self.resync = joiner.map(|j| *j);
                Err(e)
            }
        }
    }

    /// A handshake signal from `from`. The host commits the leave proposals it receives.
    pub fn handle_handshake(
        &mut self,
        from: MemberId,
        data: &[u8],
        others: &[MemberId],
        now: Duration,
    ) -> Result<(), E2eeError> {
        let (&tag, body) = data.split_first().ok_or(E2eeError::malformed("handshake", "empty"))?;
        match tag {
            RESYNC => self.handle_resync(from, body, others, now),
            WELCOME if self.joiner.is_none() && self.resync.is_some() => self.finish_resync(body, now),
            WELCOME => {
                let joiner = self.joiner.take().ok_or(E2eeError::State("a Welcome, but we are not waiting for one"))?;
                match joiner.try_join(body, self.knocked_on.map(|i| *i.as_bytes())) {
                    Ok(group) => {
                        self.group = Some(group);
                        self.announce_all = true;
                    }
                    Err((joiner, e)) => {
                        // A Welcome that is not for us leaves us waiting for the real one.
                        self.joiner = joiner.map(|j| *j);
                        return Err(e);
                    }
                }
                self.install(now)
            }
            GROUP_MESSAGE => match self.group_mut()?.process(body)? {
                GroupEvent::EpochChanged { removed, .. } => {
                    // A removed leaf's index may be given to a newcomer: its claim goes with it.
                    self.claims.retain(|leaf, _| !removed.contains(leaf));
                    self.install(now)
                }
                GroupEvent::Stale => Ok(()),
                // The host makes every commit: a later epoch than its own is forged.
                GroupEvent::Behind { .. } if self.is_host() => Ok(()),
                GroupEvent::Behind { epoch } => {
                    // Asked once, and again on a later-epoch message after RESYNC_RETRY: a server
                    // forging later epochs can make us ask now and then, not in a loop.
                    if self.behind_since.is_none_or(|t| now >= t + RESYNC_RETRY) {
                        self.behind_since = Some(now);
                        let ours = self.group.as_ref().map_or(0, MeetingGroup::epoch);
                        self.events.push_back(SessionEvent::Behind { ours, theirs: epoch });
                    }
                    Ok(())
                }
                GroupEvent::UpdateRequested { .. } if self.is_host() => {
                    let Some(commit) = self.group_mut()?.commit_pending()? else { return Ok(()) };
                    self.install(now)?;
                    self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
                    Ok(())
                }
                GroupEvent::LeaveRequested { member } if self.is_host() => {
                    let Some(commit) = self.group_mut()?.commit_pending()? else { return Ok(()) };
                    self.claims.remove(&member);
                    self.install(now)?;
                    self.send(others.iter().copied(), GROUP_MESSAGE, &commit);
                    Ok(())
                }
                GroupEvent::Application { sender, data } => self.handle_application(sender, &data, others, now),
                GroupEvent::Removed => {
                    if let Ok(mut k) = self.keys.lock() {
                        k.clear();
                    }
                    let asked = self.own_removal_asked();
                    self.events.push_back(SessionEvent::Removed { asked });
                    Ok(())
                }
                _ => Ok(()),
            },
            _ => Err(E2eeError::malformed("handshake", "unknown tag")),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Sessions of a few members in memory: the host's decisions, what each member is sent, and
    //! what each then knows. Every handshake message goes only where `poll_transmit` says.

    use std::collections::BTreeMap;

    use rand_chacha_03::ChaCha20Rng;
    use rand_core_06::SeedableRng;

    use super::*;

    const SECRET: &[u8] = b"the link's secret, 32 bytes long";
    /// The run of the meeting the tests' host creates.
    const RUN: MeetingInstance = MeetingInstance::from_bytes([0x42; 16]);

    fn id(n: u8) -> MemberId {
        MemberId::from_bytes([n; 8])
    }

    /// Members by id, and the messages on their way.
    struct Meeting {
        sessions: BTreeMap<MemberId, Session>,
        rng: ChaCha20Rng,
    }

    impl Meeting {
        fn new() -> Self {
            Self { sessions: BTreeMap::new(), rng: ChaCha20Rng::seed_from_u64(7) }
        }

        fn session(&mut self, name: &str) -> Session {
            let identity = DeviceIdentity::generate(&mut self.rng);
            Session::new(SECRET, identity, name, None, &mut self.rng).unwrap()
        }

        fn host(&mut self) {
            let mut s = self.session("Hanne");
            s.handle_created(RUN, std::time::Duration::from_micros(0)).unwrap();
            assert!(s.is_host());
            self.sessions.insert(id(1), s);
        }

        fn members(&self) -> Vec<MemberId> {
            self.sessions.iter().filter(|(_, s)| s.is_keyed()).map(|(m, _)| *m).collect()
        }

        fn others(&self, me: MemberId) -> Vec<MemberId> {
            self.members().into_iter().filter(|m| *m != me).collect()
        }

        /// Delivers everything sent, until nobody has anything left to send.
        fn deliver(&mut self) {
            let mut queue: Vec<(MemberId, Transmit)> = vec![];
            loop {
                for (m, s) in &mut self.sessions {
                    while let Some(t) = s.poll_transmit() {
                        queue.push((*m, t));
                    }
                }
                if queue.is_empty() {
                    return;
                }
                for (sender, (to, bytes)) in std::mem::take(&mut queue) {
                    let others = self.others(to);
                    if let Some(s) = self.sessions.get_mut(&to) {
                        s.handle_handshake(sender, &bytes, &others, std::time::Duration::from_micros(1)).unwrap();
                    }
                }
            }
        }

        /// A knock by `n`, admitted by the host `host`.
        fn admit(&mut self, host: u8, n: u8, name: &str) {
            let mut joiner = self.session(name);
            let profile = joiner.seal_knock(RUN, &mut self.rng).unwrap();
            self.sessions.insert(id(n), joiner);
            let others: Vec<MemberId> = self.others(id(host)).into_iter().filter(|m| *m != id(n)).collect();
            let h = self.sessions.get_mut(&id(host)).unwrap();
            assert_eq!(h.handle_knock(id(n), &profile).ok().map(|k| k.name).as_deref(), Some(name));
            h.approve(id(n), &others).unwrap();
            h.admit(id(n), &others, std::time::Duration::from_micros(1)).unwrap();
            self.deliver();
        }

        fn code(&self, n: u8) -> Option<String> {
            self.sessions[&id(n)].security_code()
        }
    }

    fn events(s: &mut Session) -> Vec<SessionEvent> {
        std::iter::from_fn(|| s.poll_event()).collect()
    }

    #[test]
    fn an_admitted_member_gets_a_welcome_the_others_a_commit_and_all_agree() {
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Gard");
        m.admit(1, 3, "Ida");
        let code = m.code(1).unwrap();
        assert_eq!((m.code(2).as_ref(), m.code(3).as_ref()), (Some(&code), Some(&code)));
        let ida = m.sessions.get_mut(&id(3)).unwrap();
        assert!(matches!(events(ida)[..], [SessionEvent::Keys { members: 3, .. }]));
        // A key is vouched for only once its member said in the group who it is: reading a
        // knock or a profile (relayed by the server) is not enough.
        assert!(m.sessions[&id(1)].vouched_key(&id(2)).is_none());
        let gard = m.sessions[&id(2)].profile();
        let ida = m.sessions.get_mut(&id(3)).unwrap();
        assert_eq!(ida.open_profile(id(2), &gard).map(|p| p.display_name).as_deref(), Some("Gard"));
        assert!(ida.vouched_key(&id(2)).is_none());
        m.announce_all(&[1, 2, 3]);
        assert!(m.sessions[&id(1)].vouched_key(&id(2)).is_some() && m.sessions[&id(1)].vouched_key(&id(3)).is_some());
        assert_eq!(m.sessions[&id(3)].vouched_key(&id(2)), m.sessions[&id(1)].vouched_key(&id(2)));
        // A profile sealed for another meeting does not open.
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let stranger = Session::new(
            b"another meeting's secret, 32 byte",
            DeviceIdentity::generate(&mut rng),
            "Eve",
            None,
            &mut rng,
        )
        .unwrap();
        assert!(m.sessions.get_mut(&id(3)).unwrap().open_profile(id(5), &stranger.profile()).is_none());
    }

    #[test]
    fn a_removed_member_is_told_and_loses_its_keys_while_the_rest_move_on() {
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Gard");
        m.admit(1, 3, "Ida");
        let before = m.code(1);
        let others = m.others(id(1)).into_iter().filter(|x| *x != id(3)).collect::<Vec<_>>();
        m.sessions.get_mut(&id(1)).unwrap().remove(id(3), &others, std::time::Duration::from_micros(2)).unwrap();
        let sent: Vec<MemberId> = {
            let host = m.sessions.get_mut(&id(1)).unwrap();
            let t: Vec<Transmit> = std::iter::from_fn(|| host.poll_transmit()).collect();
            let to = t.iter().map(|(to, _)| *to).collect();
            for (to, bytes) in t {
                let others = m.others(to);
                m.sessions
                    .get_mut(&to)
                    .unwrap()
                    .handle_handshake(id(1), &bytes, &others, std::time::Duration::from_micros(2))
                    .unwrap();
            }
            to
        };
        assert_eq!(sent, [id(2), id(3)], "the Commit goes to the rest and to the removed member");
        assert!(!m.sessions[&id(3)].is_keyed());
        let ida = m.sessions.get_mut(&id(3)).unwrap();
        assert!(events(ida).contains(&SessionEvent::Removed { asked: false }));
        assert_ne!(m.code(1), before);
        assert_eq!(m.code(1), m.code(2));
    }

    #[test]
    fn the_host_hands_over_before_leaving_and_the_new_host_commits_the_next_admission() {
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Gard");
        m.admit(1, 3, "Ida");
        // Hanne knows Gard's key from his knock; she hands the group's host role to him.
        let others = m.others(id(1));
        m.sessions.get_mut(&id(1)).unwrap().hand_over(id(2), &others, std::time::Duration::from_micros(3)).unwrap();
        m.deliver();
        assert!(!m.sessions[&id(1)].is_host());
        assert!(m.sessions[&id(2)].is_host(), "Gard holds the host role");
        assert!(!m.sessions[&id(3)].is_host());
        // Hanne leaves: her proposal, committed by the new host.
        let others = m.others(id(1));
        m.sessions.get_mut(&id(1)).unwrap().leave(&others).unwrap();
        m.deliver();
        m.sessions.remove(&id(1));
        assert_eq!(m.code(2), m.code(3));
        // And the new host admits the next knock.
        m.admit(2, 4, "Jon");
        assert_eq!(m.code(4), m.code(2));
        assert_eq!(m.code(3), m.code(2));
    }

    #[test]
    fn a_hand_over_to_a_member_whose_key_is_unknown_is_refused_and_changes_nothing() {
        let mut m = Meeting::new();
        m.host();
        let before = m.code(1);
        let err =
            m.sessions.get_mut(&id(1)).unwrap().hand_over(id(9), &[], std::time::Duration::from_micros(1)).unwrap_err();
        assert_eq!(err.code(), "e2ee.state");
        assert!(m.sessions[&id(1)].is_host());
        assert_eq!(m.code(1), before);
        assert!(m.sessions.get_mut(&id(1)).unwrap().poll_transmit().is_none());
    }

    #[test]
    fn a_new_epoch_is_installed_before_it_is_shown_and_members_follow_commits_in_order() {
        // Rekey ordering: when the host's new epoch is announced, its own keys already are the
        // new ones, and every member that processes the Commit lands on the same epoch.
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Gard");
        let host = m.sessions.get_mut(&id(1)).unwrap();
        let _ = events(host);
        host.lock(true, &[id(2)], std::time::Duration::from_micros(5)).unwrap();
        let shown = events(host);
        let epoch_shown = match shown[..] {
            [SessionEvent::Keys { epoch, .. }] => epoch,
            _ => panic!("{shown:?}"),
        };
        assert_eq!(host.keys.lock().unwrap().epoch(), Some(epoch_shown), "installed before it is shown");
        m.deliver();
        m.sessions.get_mut(&id(1)).unwrap().lock(false, &[id(2)], std::time::Duration::from_micros(6)).unwrap();
        m.deliver();
        let gard = m.sessions.get_mut(&id(2)).unwrap();
        let epochs: Vec<u64> = events(gard)
            .into_iter()
            .filter_map(|e| if let SessionEvent::Keys { epoch, .. } = e { Some(epoch) } else { None })
            .collect();
        assert_eq!(epochs.last().copied(), Some(epoch_shown + 1), "Gard followed both commits, in order");
        assert_eq!(m.code(1), m.code(2));
    }

    #[test]
    fn a_failed_welcome_changes_nothing_and_the_real_one_still_lets_the_joiner_in() {
        let mut m = Meeting::new();
        m.host();
        let mut joiner = m.session("Gard");
        // Garbage, then something that is no Welcome: errors, and the joiner still waits.
        for bad in [&[WELCOME, 1, 2, 3][..], &[WELCOME], &[9, 9], &[]] {
            assert!(joiner.handle_handshake(id(1), bad, &[], std::time::Duration::from_micros(1)).is_err(), "{bad:?}");
            assert!(!joiner.is_keyed());
        }
        // A Welcome of another meeting's group, for another KeyPackage: refused, still waiting.
        let mut other = Meeting::new();
        other.host();
        other.admit(1, 5, "Eve");
        let mut stranger = other.session("Mallory");
        let profile = stranger.seal_knock(RUN, &mut other.rng).unwrap();
        let host = other.sessions.get_mut(&id(1)).unwrap();
        host.handle_knock(id(6), &profile).unwrap();
        host.approve(id(6), &[]).unwrap();
        host.admit(id(6), &[], std::time::Duration::from_micros(1)).unwrap();
        let (_, welcome) = host.poll_transmit().unwrap();
        assert!(joiner.handle_handshake(id(1), &welcome, &[], std::time::Duration::from_micros(1)).is_err());
        assert!(!joiner.is_keyed());
        // The real one.
        let profile = joiner.seal_knock(RUN, &mut m.rng).unwrap();
        m.sessions.insert(id(2), joiner);
        let h = m.sessions.get_mut(&id(1)).unwrap();
        h.handle_knock(id(2), &profile).unwrap();
        h.approve(id(2), &[]).unwrap();
        h.admit(id(2), &[], std::time::Duration::from_micros(2)).unwrap();
        m.deliver();
        assert!(m.sessions[&id(2)].is_keyed());
        assert_eq!(m.code(2), m.code(1));
        let _ = stranger.poll_event();
    }

    impl Meeting {
        /// Each of `who` says in the group who it is.
        fn announce_all(&mut self, who: &[u8]) {
            for me in who {
                let others = self.others(id(*me));
                let s = self.sessions.get_mut(&id(*me)).unwrap();
                s.announce_again();
                s.send_announcements(id(*me), &others).unwrap();
            }
            self.deliver();
        }

        /// Delivers what `from` sent, one hop, and returns each recipient's verdict.
        fn deliver_from(&mut self, from: u8) -> Vec<(MemberId, Result<(), E2eeError>)> {
            let mut sent = vec![];
            while let Some(t) = self.sessions.get_mut(&id(from)).unwrap().poll_transmit() {
                sent.push(t);
            }
            let mut out = vec![];
            for (to, bytes) in sent {
                let others = self.others(to);
                if let Some(s) = self.sessions.get_mut(&to) {
                    out.push((to, s.handle_handshake(id(from), &bytes, &others, Duration::from_micros(2))));
                }
            }
            out
        }

        /// `n` knocks; the knock reaches every session in `seen_by`.
        fn knock(&mut self, n: u8, name: &str, seen_by: &[u8]) -> Blob {
            let mut s = self.session(name);
            let profile = s.seal_knock(RUN, &mut self.rng).unwrap();
            self.sessions.insert(id(n), s);
            for k in seen_by {
                let h = self.sessions.get_mut(&id(*k)).unwrap();
                assert_eq!(h.handle_knock(id(n), &profile).ok().map(|k| k.name).as_deref(), Some(name));
            }
            profile
        }
    }

    #[test]
    fn a_knock_for_another_run_or_with_a_used_key_package_is_a_replay_and_refused() {
        let mut m = Meeting::new();
        m.host();
        // Ola's knock of an earlier meeting of the same link (another run), kept by the server.
        let mut ola = m.session("Ola");
        let earlier = ola.seal_knock(MeetingInstance::from_bytes([0x41; 16]), &mut m.rng).unwrap();
        let h = m.sessions.get_mut(&id(1)).unwrap();
        assert!(matches!(h.handle_knock(id(2), &earlier), Err(KnockRefused::OtherRun)));
        // A member's introduction of itself (relayed to newcomers) is not a knock either.
        let intro = ola.profile();
        let h = m.sessions.get_mut(&id(1)).unwrap();
        assert!(matches!(h.handle_knock(id(2), &intro), Err(KnockRefused::OtherRun)));
        assert!(h.approve(id(2), &[]).is_err(), "nothing was kept to approve");
        // Ola's real knock: admitted. Then the server replays it under a new id: refused.
        let knock = ola.seal_knock(RUN, &mut m.rng).unwrap();
        m.sessions.insert(id(2), ola);
        let h = m.sessions.get_mut(&id(1)).unwrap();
        assert_eq!(h.handle_knock(id(2), &knock).ok().map(|k| k.name).as_deref(), Some("Ola"));
        // The same knock under another id (the knocker's connection dropped and it knocked
        // again): it moves; the older one is forgotten, so only one can ever be admitted.
        assert_eq!(h.handle_knock(id(3), &knock).ok().map(|k| k.name).as_deref(), Some("Ola"));
        assert!(h.approve(id(2), &[]).is_err(), "the older knock is gone");
        assert_eq!(h.handle_knock(id(2), &knock).ok().map(|k| k.name).as_deref(), Some("Ola"));
        assert!(h.approve(id(3), &[]).is_err());
        h.approve(id(2), &[]).unwrap();
        h.admit(id(2), &[], Duration::from_micros(1)).unwrap();
        m.deliver();
        assert_eq!(m.code(2), m.code(1));
        let h = m.sessions.get_mut(&id(1)).unwrap();
        let refused = h.handle_knock(id(4), &knock).unwrap_err();
        assert!(matches!(refused, KnockRefused::Replayed));
        assert_eq!(refused.code(), "e2ee.replayed_knock");
        assert!(h.approve(id(4), &[]).is_err() && h.admit(id(4), &[], Duration::from_micros(2)).is_err());
    }

    #[test]
    fn a_welcome_into_another_run_than_the_one_knocked_on_is_refused_and_the_joiner_waits() {
        // Two groups of the same link and host key, as a malicious member or server could make.
        let mut m = Meeting::new();
        m.host();
        let mut joiner = m.session("Gard");
        let knock = joiner.seal_knock(RUN, &mut m.rng).unwrap();
        let host_identity = DeviceIdentity::generate(&mut m.rng);
        let mut rival = Session::new(SECRET, host_identity, "Hanne", None, &mut m.rng).unwrap();
        rival.handle_created(MeetingInstance::from_bytes([0x43; 16]), Duration::ZERO).unwrap();
        // The rival group cannot read a knock sealed for RUN as its own...
        assert!(matches!(rival.handle_knock(id(2), &knock), Err(KnockRefused::OtherRun)));
        // ...and had it added Gard's KeyPackage anyway, Gard refuses its Welcome.
        let mut forged = Meeting::new();
        forged.sessions.insert(id(1), rival);
        let mut gard_kp = joiner.own.clone();
        gard_kp.instance = Some(MeetingInstance::from_bytes([0x43; 16]));
        let resealed = Blob(seal_knock(SECRET, &gard_kp, &mut m.rng).unwrap());
        let r = forged.sessions.get_mut(&id(1)).unwrap();
        r.handle_knock(id(2), &resealed).unwrap();
        r.approve(id(2), &[]).unwrap();
        r.admit(id(2), &[], Duration::from_micros(1)).unwrap();
        let (_, welcome) = r.poll_transmit().unwrap();
        let e = joiner.handle_handshake(id(1), &welcome, &[], Duration::from_micros(2)).unwrap_err();
        assert!(e.to_string().contains("another group"), "{e}");
        assert!(!joiner.is_keyed());
        // The real host's Welcome still lets Gard in.
        m.sessions.insert(id(2), joiner);
        let h = m.sessions.get_mut(&id(1)).unwrap();
        h.handle_knock(id(2), &knock).unwrap();
        h.approve(id(2), &[]).unwrap();
        h.admit(id(2), &[], Duration::from_micros(3)).unwrap();
        m.deliver();
        assert_eq!(m.code(2), m.code(1));
        assert_eq!(m.sessions[&id(2)].instance(), Some(RUN));
    }

    #[test]
    fn the_host_admits_only_a_knock_it_approved_and_only_the_key_package_it_approved() {
        let mut m = Meeting::new();
        m.host();
        m.knock(2, "Ola", &[1]);
        let h = m.sessions.get_mut(&id(1)).unwrap();
        assert!(!h.is_approved(&id(2)));
        let refused = h.admit(id(2), &[], Duration::from_micros(1));
        assert!(matches!(refused, Err(E2eeError::Refused { .. })), "the server saying Ola joined is not enough");
        assert!(h.poll_transmit().is_none(), "no Welcome and no Commit went out");
        h.approve(id(2), &[]).unwrap();
        assert!(h.is_approved(&id(2)));
        // The server swaps the knock for another one under the same member id (an old knock
        // replayed, someone else's KeyPackage): the approval was not for that one.
        let other = m.session("Ola").seal_knock(RUN, &mut m.rng).unwrap();
        let h = m.sessions.get_mut(&id(1)).unwrap();
        h.handle_knock(id(2), &other).unwrap();
        assert!(!h.is_approved(&id(2)), "an approval names the exact KeyPackage");
        assert!(h.admit(id(2), &[], Duration::from_micros(1)).is_err());
        h.forget_knock(&id(2));
        assert!(!h.is_approved(&id(2)));
    }

    #[test]
    fn a_cohost_approval_counts_only_when_the_group_names_the_cohost() {
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Ola");
        m.admit(1, 3, "Kari");
        m.knock(4, "Per", &[1, 2, 3]);
        // Kari is not a co-host in the group (whatever the server says): her approval is refused.
        let others = m.others(id(3));
        m.sessions.get_mut(&id(3)).unwrap().approve(id(4), &others).unwrap();
        let verdicts = m.deliver_from(3);
        let host = verdicts.iter().find(|(to, _)| *to == id(1)).expect("the host got it");
        assert!(matches!(&host.1, Err(E2eeError::Refused { .. })), "{:?}", host.1);
        assert!(!m.sessions[&id(1)].is_approved(&id(4)));
        // The host makes Ola a co-host in the group's policy; her approval now counts.
        let others = m.others(id(1));
        m.sessions.get_mut(&id(1)).unwrap().set_cohost(id(2), true, &others, Duration::from_micros(1)).unwrap();
        m.deliver();
        let others = m.others(id(2));
        m.sessions.get_mut(&id(2)).unwrap().approve(id(4), &others).unwrap();
        assert!(m.deliver_from(2).iter().all(|(_, r)| r.is_ok()));
        assert!(m.sessions[&id(1)].is_approved(&id(4)));
        let others: Vec<MemberId> = m.others(id(1));
        m.sessions.get_mut(&id(1)).unwrap().admit(id(4), &others, Duration::from_micros(3)).unwrap();
        m.deliver();
        assert!(m.sessions[&id(4)].is_keyed());
        assert_eq!(m.code(4), m.code(1));
        assert_eq!(m.code(3), m.code(1));
    }

    #[test]
    fn a_cohost_approval_arriving_after_the_hosts_own_leaves_it_the_hosts() {
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Ola");
        let others = m.others(id(1));
        m.sessions.get_mut(&id(1)).unwrap().set_cohost(id(2), true, &others, Duration::from_micros(1)).unwrap();
        m.deliver();
        m.knock(4, "Per", &[1, 2]);
        let others = m.others(id(1));
        m.sessions.get_mut(&id(1)).unwrap().approve(id(4), &others).unwrap();
        let others = m.others(id(2));
        m.sessions.get_mut(&id(2)).unwrap().approve(id(4), &others).unwrap();
        assert!(m.deliver_from(2).iter().all(|(_, r)| r.is_ok()));
        assert!(m.sessions[&id(1)].approved[&id(4)].by_us, "still the host's own approval");
        // A co-host's approval of a knock the host did not approve stays a co-host's.
        m.knock(5, "Siv", &[1, 2]);
        let others = m.others(id(2));
        m.sessions.get_mut(&id(2)).unwrap().approve(id(5), &others).unwrap();
        assert!(m.deliver_from(2).iter().all(|(_, r)| r.is_ok()));
        assert!(!m.sessions[&id(1)].approved[&id(5)].by_us, "the co-host's");
    }

    #[test]
    fn members_say_in_the_group_who_they_are_and_a_false_claim_vouches_for_nobody() {
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Ola");
        m.admit(1, 3, "Kari");
        m.announce_all(&[1, 2, 3]);
        let names = [(1u8, "Hanne"), (2, "Ola"), (3, "Kari")];
        for (viewer, _) in names {
            for (n, name) in names.iter().filter(|(n, _)| *n != viewer) {
                let (key, said) = m.sessions[&id(viewer)].vouched(&id(*n)).expect("vouched");
                assert_eq!(said, *name);
                assert_eq!(key.to_string(), m.sessions[&id(*n)].fingerprint());
                assert_eq!(m.sessions[&id(viewer)].leaf_announced_as(&id(*n)), m.sessions[&id(*n)].own_leaf());
            }
        }
        // Kari claims to be Ola: Ola's id now has two leaves, and neither is vouched for.
        let others = m.others(id(3));
        let kari = m.sessions.get_mut(&id(3)).unwrap();
        kari.announce_again();
        kari.send_announcements(id(2), &others).unwrap();
        m.deliver();
        assert_eq!(m.sessions[&id(1)].vouched(&id(2)), None, "a disputed member id vouches for nobody");
        assert_eq!(m.sessions[&id(1)].leaf_announced_as(&id(2)), None);
    }

    #[test]
    fn a_member_that_fell_behind_is_added_again_only_with_its_own_key_and_only_once() {
        let mut m = Meeting::new();
        m.host();
        m.admit(1, 2, "Gard");
        m.admit(1, 3, "Ida");
        m.announce_all(&[1, 2, 3]);
        // Gard asks to be added again (as after finding a message of a later epoch).
        let gard = m.sessions.get_mut(&id(2)).unwrap();
        gard.request_resync(&mut m.rng).unwrap();
        let (to, request) = gard.poll_transmit().unwrap();
        assert_eq!((to, request[0]), (id(1), RESYNC), "to the group's host");
        let others = m.others(id(1));
        let host = m.sessions.get_mut(&id(1)).unwrap();
        host.handle_handshake(id(2), &request, &others, Duration::from_micros(5)).unwrap();
        m.deliver();
        assert_eq!(m.code(2), m.code(1));
        assert_eq!(m.code(3), m.code(1));
        assert!(m.sessions[&id(2)].is_keyed());
        // Gard says again who it is (its leaf is a new one), and hears who the others are.
        m.announce_all(&[2, 1, 3]);
        assert!(m.sessions[&id(1)].vouched_key(&id(2)).is_some());
        // The server hands the same request over again: refused (its KeyPackage was used).
        let host = m.sessions.get_mut(&id(1)).unwrap();
        let e = host.handle_handshake(id(2), &request, &others, Duration::from_micros(6)).unwrap_err();
        assert!(e.to_string().contains("used before"), "{e}");
        // Gard falls behind again and its first request's Welcome is lost on the way: the host
        // has already swapped its leaf (which never announced itself). Gard asks again, with a
        // new KeyPackage: the host finds its leaf by its key, and Gard gets back in.
        let gard = m.sessions.get_mut(&id(2)).unwrap();
        gard.request_resync(&mut m.rng).unwrap();
        let (_, first) = gard.poll_transmit().unwrap();
        let host = m.sessions.get_mut(&id(1)).unwrap();
        host.handle_handshake(id(2), &first, &others, Duration::from_secs(100)).unwrap();
        let lost: Vec<Transmit> = std::iter::from_fn(|| host.poll_transmit()).collect();
        for (to, bytes) in lost.into_iter().filter(|(to, b)| !(*to == id(2) && b[0] == WELCOME)) {
            let others = m.others(to);
            m.sessions
                .get_mut(&to)
                .unwrap()
                .handle_handshake(id(1), &bytes, &others, Duration::from_micros(8))
                .unwrap();
        }
        let gard = m.sessions.get_mut(&id(2)).unwrap();
        gard.request_resync(&mut m.rng).unwrap();
        let (_, second) = gard.poll_transmit().unwrap();
        let host = m.sessions.get_mut(&id(1)).unwrap();
        let soon = host.handle_handshake(id(2), &second, &others, Duration::from_secs(101)).unwrap_err();
        assert!(soon.to_string().contains("too soon"), "{soon}");
        host.handle_handshake(id(2), &second, &others, Duration::from_secs(111)).unwrap();
        m.deliver();
        assert_eq!(m.code(2), m.code(1), "back in after a lost Welcome");
        assert_eq!(m.code(3), m.code(1));
        m.announce_all(&[2]);
        // Someone else's key in a request that claims to be Gard's: refused.
        let mut eve = m.session("Eve");
        let eve_knock = eve.seal_knock(RUN, &mut m.rng).unwrap();
        let forged = tagged(RESYNC, eve_knock.0);
        let host = m.sessions.get_mut(&id(1)).unwrap();
        let e = host.handle_handshake(id(2), &forged, &others, Duration::from_micros(7)).unwrap_err();
        assert!(e.to_string().contains("another identity key"), "{e}");
        assert_eq!(m.code(2), m.code(1), "nothing changed");
    }
}
