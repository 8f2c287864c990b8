//! [`MeetingGroup`]: one member's view of the meeting's MLS group.

use std::collections::BTreeSet;

use openmls::prelude::{
    Extension, ExtensionType, Extensions, GroupContext, GroupId, KeyPackageIn, LeafNodeIndex, MlsGroup,
    MlsGroupBuilder, MlsMessageIn, MlsMessageOut, ProcessedMessageContent, Proposal, ProtocolVersion,
    RequiredCapabilitiesExtension, Sender, StagedCommit, UnknownExtension,
};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider;
use tls_codec::Deserialize as _;

use super::policy::{MeetingPolicy, POLICY_EXTENSION_TYPE};
use super::security_code::SecurityCode;
use super::{CIPHERSUITE, capabilities, wire_format};
use crate::e2ee::E2eeError;
use crate::e2ee::identity::{DeviceIdentity, Fingerprint};
use crate::e2ee::media_keys::EpochKeys;

/// What the host sends when it admits someone: the Commit for the members, the Welcome for
/// the joiner. Both go through the server, which can read neither.
#[derive(Debug, Clone)]
pub struct Admission {
    /// To every current member.
    pub commit: Vec<u8>,
    /// To the joiner(s).
    pub welcome: Vec<u8>,
}

/// What processing a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupEvent {
    /// A commit was merged: a new epoch, with new SFrame keys and a new security code.
    EpochChanged {
        /// The new epoch.
        epoch: u64,
        /// Leaf indices that joined.
        added: Vec<u32>,
        /// Leaf indices that left or were removed.
        removed: Vec<u32>,
        /// Whether the meeting is now locked.
        locked: bool,
    },
    /// A member proposed a fresh leaf for itself. Everyone keeps the proposal; the host should
    /// [`MeetingGroup::commit_pending`].
    UpdateRequested {
        /// Who.
        member: u32,
    },
    /// A member asked to leave. Everyone keeps the proposal; the host should
    /// [`MeetingGroup::commit_pending`].
    LeaveRequested {
        /// Who.
        member: u32,
    },
    /// This device was removed (or its leave was committed): it has no more keys.
    Removed,
    /// A message from an epoch a commit has since ended, which can no longer be acted on (a
    /// proposal, or an application message older than [`super::MAX_PAST_EPOCHS`]). Dropped.
    Stale,
    /// A message from an epoch this device does not have yet: a commit never reached it (lost,
    /// or withheld by the server). The epoch is as the message says (not authenticated: the
    /// message could not be opened).
    Behind {
        /// The epoch the message claims.
        epoch: u64,
    },
    /// An application message, authenticated as sent by the member at leaf `sender`.
    Application {
        /// The sender's leaf.
        sender: u32,
        /// What it said.
        data: Vec<u8>,
    },
}

/// A member of the group as this device sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// MLS leaf index (the SFrame sender index).
    pub index: u32,
    /// The member's identity (signature) public key.
    pub identity_key: Vec<u8>,
    /// SHA-256 of the identity key.
    pub fingerprint: Fingerprint,
    /// Whether this member is the host.
    pub is_host: bool,
}

/// One member's MLS group state. See the module docs for the rules it enforces.
pub struct MeetingGroup {
    provider: OpenMlsRustCrypto,
    group: MlsGroup,
    signer: SignatureKeyPair,
}

impl std::fmt::Debug for MeetingGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeetingGroup")
            .field("epoch", &self.epoch())
            .field("own_index", &self.own_index())
            .field("members", &self.group.members().count())
            .finish_non_exhaustive()
    }
}

fn policy_extensions(policy: &MeetingPolicy) -> Result<Extensions<GroupContext>, E2eeError> {
    Extensions::from_vec(vec![
        Extension::Unknown(POLICY_EXTENSION_TYPE, UnknownExtension(policy.encode())),
        Extension::RequiredCapabilities(RequiredCapabilitiesExtension::new(
            &[ExtensionType::Unknown(POLICY_EXTENSION_TYPE)],
            &[],
            &[],
        )),
    ])
    .map_err(E2eeError::mls)
}

pub(super) fn policy_of(extensions: &Extensions<GroupContext>) -> Result<MeetingPolicy, E2eeError> {
    let ext = extensions
        .unknown(POLICY_EXTENSION_TYPE)
        .ok_or_else(|| E2eeError::refused("the group has no meeting policy (not a Trygg meeting)"))?;
    MeetingPolicy::decode(&ext.0)
}

fn bytes(msg: &MlsMessageOut) -> Result<Vec<u8>, E2eeError> {
    msg.to_bytes().map_err(E2eeError::mls)
}

impl MeetingGroup {
    /// The host creates the meeting's group, alone in it, unlocked, at epoch 0, with a random
    /// group id.
    pub fn create(host: &DeviceIdentity) -> Result<Self, E2eeError> {
        Self::build(host, MlsGroup::builder())
    }

    /// Like [`MeetingGroup::create`], with the group id the host drew for this run of the
    /// meeting (`room::ids::MeetingInstance`): knocks and Welcomes are bound to it.
    pub fn create_run(host: &DeviceIdentity, group_id: &[u8]) -> Result<Self, E2eeError> {
        Self::build(host, MlsGroup::builder().with_group_id(GroupId::from_slice(group_id)))
    }

    fn build(host: &DeviceIdentity, builder: MlsGroupBuilder) -> Result<Self, E2eeError> {
        let provider = OpenMlsRustCrypto::default();
        let signer = host.signer();
        let policy = MeetingPolicy { host: host.public_key().to_vec(), locked: false, cohosts: Vec::new() };
        let group = builder
            .ciphersuite(CIPHERSUITE)
            .max_past_epochs(super::MAX_PAST_EPOCHS)
            .use_ratchet_tree_extension(true)
            .with_wire_format_policy(wire_format())
            .with_capabilities(capabilities())
            .with_group_context_extensions(policy_extensions(&policy)?)
            .build(&provider, &signer, host.credential())
            .map_err(E2eeError::mls)?;
        Self::from_parts(provider, group, signer)
    }

    pub(super) fn from_parts(
        provider: OpenMlsRustCrypto,
        group: MlsGroup,
        signer: SignatureKeyPair,
    ) -> Result<Self, E2eeError> {
        policy_of(group.extensions())?;
        Ok(Self { provider, group, signer })
    }

    /// The group's id (for a meeting, its run: `room::ids::MeetingInstance`).
    pub fn group_id(&self) -> &[u8] {
        self.group.group_id().as_slice()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.group.epoch().as_u64()
    }

    /// This device's leaf index.
    pub fn own_index(&self) -> u32 {
        self.group.own_leaf_index().u32()
    }

    /// Whether this device is still in the group.
    pub fn is_active(&self) -> bool {
        self.group.is_active()
    }

    /// The current policy (host key and lock).
    pub fn policy(&self) -> MeetingPolicy {
        policy_of(self.group.extensions()).expect("the policy was checked on join and on every merged commit")
    }

    /// Whether the meeting is locked.
    pub fn is_locked(&self) -> bool {
        self.policy().locked
    }

    /// The host's leaf index, if the host is a member (it always is in a valid group).
    pub fn host_index(&self) -> Option<u32> {
        let host = self.policy().host;
        self.group.members().find(|m| m.signature_key == host).map(|m| m.index.u32())
    }

    /// Whether this device is the host.
    pub fn is_host(&self) -> bool {
        self.is_active() && self.host_index() == Some(self.own_index())
    }

    /// The members, by leaf index.
    pub fn members(&self) -> Vec<MemberInfo> {
        let host = self.policy().host;
        self.group
            .members()
            .map(|m| MemberInfo {
                index: m.index.u32(),
                fingerprint: Fingerprint::of(&m.signature_key),
                is_host: m.signature_key == host,
                identity_key: m.signature_key,
            })
            .collect()
    }

    fn member_indices(&self) -> BTreeSet<u32> {
        self.group.members().map(|m| m.index.u32()).collect()
    }

    /// The security code of the current epoch.
    pub fn security_code(&self) -> SecurityCode {
        SecurityCode::from_epoch_authenticator(self.group.epoch_authenticator().as_slice())
    }

    /// The current epoch's SFrame base keys (RFC 9605 §5.2) for [`crate::e2ee::media_keys::MediaKeys::install`].
    pub fn epoch_keys(&self) -> Result<EpochKeys, E2eeError> {
        if !self.is_active() {
            return Err(E2eeError::NotMember);
        }
        EpochKeys::from_exporter(
            self.epoch(),
            self.own_index(),
            self.member_indices().into_iter().collect(),
            |l, c, n| self.group.export_secret(self.provider.crypto(), l, c, n).map_err(E2eeError::mls),
        )
    }

    fn require_host(&self, action: &'static str) -> Result<(), E2eeError> {
        if !self.is_active() {
            return Err(E2eeError::NotMember);
        }
        if !self.is_host() {
            return Err(E2eeError::NotHost { action });
        }
        Ok(())
    }

    /// Host: admits the joiners whose KeyPackages (TLS-encoded) are given, in one commit.
    /// Refused while the meeting is locked.
    pub fn admit_many(&mut self, key_packages: &[&[u8]]) -> Result<Admission, E2eeError> {
        self.require_host("admit")?;
        if self.is_locked() {
            return Err(E2eeError::Locked);
        }
        let mut kps = Vec::with_capacity(key_packages.len());
        for kp in key_packages {
            let kp_in = KeyPackageIn::tls_deserialize_exact(kp)
                .map_err(|e| E2eeError::malformed("KeyPackage", e.to_string()))?;
            let kp = kp_in
                .validate(self.provider.crypto(), ProtocolVersion::Mls10)
                .map_err(|e| E2eeError::refused(format!("invalid KeyPackage: {e}")))?;
            kps.push(kp);
        }
        let (commit, welcome, _) = self
            .group
            .add_members(&self.provider, &self.signer, &kps)
            .map_err(|e| E2eeError::refused(e.to_string()))?;
        self.group.merge_pending_commit(&self.provider).map_err(E2eeError::mls)?;
        Ok(Admission { commit: bytes(&commit)?, welcome: bytes(&welcome)? })
    }

    /// Host: admits one joiner.
    pub fn admit(&mut self, key_package: &[u8]) -> Result<Admission, E2eeError> {
        self.admit_many(&[key_package])
    }

    /// Host: removes a member. Returns the Commit for the remaining members (and the removed one,
    /// who learns from it that it is out).
    pub fn remove(&mut self, member: u32) -> Result<Vec<u8>, E2eeError> {
        self.require_host("remove members")?;
        if !self.member_indices().contains(&member) {
            return Err(E2eeError::UnknownMember(member));
        }
        if member == self.own_index() {
            return Err(E2eeError::State("the host cannot remove itself; end the meeting instead"));
        }
        let (commit, _, _) = self
            .group
            .remove_members(&self.provider, &self.signer, &[LeafNodeIndex::new(member)])
            .map_err(|e| E2eeError::refused(e.to_string()))?;
        self.group.merge_pending_commit(&self.provider).map_err(E2eeError::mls)?;
        bytes(&commit)
    }

    fn commit_policy(&mut self, policy: MeetingPolicy) -> Result<Vec<u8>, E2eeError> {
        let (commit, _, _) = self
            .group
            .update_group_context_extensions(&self.provider, policy_extensions(&policy)?, &self.signer)
            .map_err(|e| E2eeError::refused(e.to_string()))?;
        self.group.merge_pending_commit(&self.provider).map_err(E2eeError::mls)?;
        bytes(&commit)
    }

    /// Host: locks or unlocks the meeting. Returns the Commit.
    pub fn set_locked(&mut self, locked: bool) -> Result<Vec<u8>, E2eeError> {
        self.require_host("lock or unlock the meeting")?;
        let policy = MeetingPolicy { locked, ..self.policy() };
        self.commit_policy(policy)
    }

    /// Host: makes a member a co-host (or no longer one). Returns the Commit.
    pub fn set_cohost(&mut self, member: u32, cohost: bool) -> Result<Vec<u8>, E2eeError> {
        self.require_host("change co-hosts")?;
        let key = self.members().into_iter().find(|m| m.index == member).ok_or(E2eeError::UnknownMember(member))?;
        let mut policy = self.policy();
        policy.cohosts.retain(|k| *k != key.identity_key);
        if cohost {
            if policy.cohosts.len() >= super::policy::MAX_COHOSTS {
                return Err(E2eeError::refused("too many co-hosts"));
            }
            policy.cohosts.push(key.identity_key);
        }
        self.commit_policy(policy)
    }

    /// Whether the group names this leaf a co-host.
    pub fn is_cohost(&self, member: u32) -> bool {
        let Some(m) = self.group.member_at(LeafNodeIndex::new(member)) else { return false };
        self.policy().cohosts.contains(&m.signature_key)
    }

    /// Whether the leaf `member` may moderate (mute, remove): the policy's host or a co-host.
    pub fn moderates(&self, member: u32) -> bool {
        self.host_index() == Some(member) || self.is_cohost(member)
    }

    /// An application message for the group (encrypted and signed under this epoch's keys; the
    /// receiver learns which leaf sent it).
    pub fn seal_application(&mut self, data: &[u8]) -> Result<Vec<u8>, E2eeError> {
        if !self.is_active() {
            return Err(E2eeError::NotMember);
        }
        let msg = self.group.create_message(&self.provider, &self.signer, data).map_err(E2eeError::mls)?;
        bytes(&msg)
    }

    /// Host: hands the host role to another member. Returns the Commit.
    pub fn transfer_host(&mut self, to: u32) -> Result<Vec<u8>, E2eeError> {
        self.require_host("hand over the host role")?;
        let member = self.members().into_iter().find(|m| m.index == to).ok_or(E2eeError::UnknownMember(to))?;
        let policy = MeetingPolicy { host: member.identity_key, ..self.policy() };
        self.commit_policy(policy)
    }

    /// Host: a new epoch with nothing else changed (a self-update: fresh keys, post-compromise
    /// security, SFrame counters back to 0). Returns the Commit.
    pub fn rekey(&mut self) -> Result<Vec<u8>, E2eeError> {
        self.require_host("re-key the meeting")?;
        let bundle =
            self.group.self_update(&self.provider, &self.signer, Default::default()).map_err(E2eeError::mls)?;
        self.group.merge_pending_commit(&self.provider).map_err(E2eeError::mls)?;
        bytes(bundle.commit())
    }

    /// Host: commits the pending proposals (members' requests to leave). `None` when there are
    /// none.
    pub fn commit_pending(&mut self) -> Result<Option<Vec<u8>>, E2eeError> {
        self.require_host("commit proposals")?;
        if !self.group.has_pending_proposals() {
            return Ok(None);
        }
        let (commit, _, _) =
            self.group.commit_to_pending_proposals(&self.provider, &self.signer).map_err(E2eeError::mls)?;
        self.group.merge_pending_commit(&self.provider).map_err(E2eeError::mls)?;
        Ok(Some(bytes(&commit)?))
    }

    /// A member (not the host, who re-keys with a commit of its own) proposes a fresh leaf for
    /// itself: new encryption keys, the same identity. Returns the proposal for everyone; the
    /// host commits it.
    pub fn propose_update(&mut self) -> Result<Vec<u8>, E2eeError> {
        if !self.is_active() {
            return Err(E2eeError::NotMember);
        }
        let (msg, _) =
            self.group.propose_self_update(&self.provider, &self.signer, Default::default()).map_err(E2eeError::mls)?;
        bytes(&msg)
    }

    /// A member asks to leave: returns the Remove proposal to send to everyone. The host commits
    /// it; this device learns it is out when it processes that commit.
    pub fn leave(&mut self) -> Result<Vec<u8>, E2eeError> {
        if !self.is_active() {
            return Err(E2eeError::NotMember);
        }
        if self.is_host() {
            return Err(E2eeError::State("the host must hand over the host role before leaving"));
        }
        let proposal = self.group.leave_group(&self.provider, &self.signer).map_err(E2eeError::mls)?;
        bytes(&proposal)
    }

    /// Processes a handshake message (Commit or proposal) relayed from another member. Bad or
    /// forbidden input is an error and changes nothing.
    pub fn process(&mut self, message: &[u8]) -> Result<GroupEvent, E2eeError> {
        if !self.is_active() {
            return Err(E2eeError::NotMember);
        }
        let msg = MlsMessageIn::tls_deserialize_exact(message)
            .map_err(|e| E2eeError::malformed("MLS message", e.to_string()))?;
        let protocol =
            msg.try_into_protocol_message().map_err(|e| E2eeError::malformed("MLS message", e.to_string()))?;
        if protocol.group_id() != self.group.group_id() {
            return Err(E2eeError::refused("a message for another group"));
        }
        let stale = protocol.epoch() < self.group.epoch();
        let ahead = (protocol.epoch() > self.group.epoch()).then(|| protocol.epoch().as_u64());
        let processed = match self.group.process_message(&self.provider, protocol) {
            Ok(p) => p,
            // A proposal (or an application message too old to open) from an epoch a commit
            // has since ended: nothing to act on, and nothing for the user to see.
            Err(_) if stale => return Ok(GroupEvent::Stale),
            Err(_) if ahead.is_some() => return Ok(GroupEvent::Behind { epoch: ahead.unwrap_or_default() }),
            Err(e) => return Err(E2eeError::refused(format!("MLS message not accepted: {e}"))),
        };
        let sender = processed.sender().clone();
        match processed.into_content() {
            ProcessedMessageContent::StagedCommitMessage(staged) => self.merge_checked(&sender, *staged),
            ProcessedMessageContent::ProposalMessage(queued) => {
                let event = match (queued.proposal(), queued.sender()) {
                    (Proposal::Remove(r), Sender::Member(from)) if r.removed() == *from => {
                        GroupEvent::LeaveRequested { member: from.u32() }
                    }
                    // A member refreshes its own leaf (new encryption keys: post-compromise
                    // security), keeping its identity: the signature key must stay the same.
                    (Proposal::Update(u), Sender::Member(from)) => {
                        let current = self.group.member_at(*from).map(|m| m.signature_key);
                        if current.as_deref() != Some(u.leaf_node().signature_key().as_slice()) {
                            return Err(E2eeError::refused("an update that changes a member's identity key"));
                        }
                        GroupEvent::UpdateRequested { member: from.u32() }
                    }
                    _ => return Err(E2eeError::refused("only a member's own leave or leaf update may be proposed")),
                };
                self.group.store_pending_proposal(self.provider.storage(), *queued).map_err(E2eeError::mls)?;
                Ok(event)
            }
            ProcessedMessageContent::ApplicationMessage(m) => match sender {
                Sender::Member(from) => Ok(GroupEvent::Application { sender: from.u32(), data: m.into_bytes() }),
                _ => Err(E2eeError::refused("an application message from outside the group")),
            },
            ProcessedMessageContent::ExternalJoinProposalMessage(_) => {
                Err(E2eeError::refused("external joins are not allowed: joiners knock"))
            }
            _ => Err(E2eeError::refused("this device's own message came back")),
        }
    }

    /// Checks a commit against the current policy, then merges it.
    fn merge_checked(&mut self, sender: &Sender, staged: StagedCommit) -> Result<GroupEvent, E2eeError> {
        let current = self.policy();
        let Sender::Member(committer) = sender else {
            return Err(E2eeError::refused("a commit from outside the group"));
        };
        let committer_key = self.group.member_at(*committer).map(|m| m.signature_key);
        if committer_key.as_deref() != Some(current.host.as_slice()) {
            return Err(E2eeError::refused("a commit from a member who is not the host"));
        }
        let next = policy_of(staged.group_context().extensions())?;
        let adds = staged.add_proposals().count();
        if adds > 0 && (current.locked || next.locked) {
            return Err(E2eeError::refused("a commit that adds someone while the meeting is locked"));
        }
        let removed: BTreeSet<u32> = staged.remove_proposals().map(|r| r.remove_proposal().removed().u32()).collect();
        if next.host != current.host {
            let ok = self.group.members().any(|m| m.signature_key == next.host && !removed.contains(&m.index.u32()));
            if !ok {
                return Err(E2eeError::refused("a commit that makes a non-member the host"));
            }
        }
        let before = self.member_indices();
        let self_removed = staged.self_removed();
        self.group.merge_staged_commit(&self.provider, staged).map_err(E2eeError::mls)?;
        if self_removed || !self.group.is_active() {
            return Ok(GroupEvent::Removed);
        }
        let after = self.member_indices();
        Ok(GroupEvent::EpochChanged {
            epoch: self.epoch(),
            added: after.difference(&before).copied().collect(),
            removed: before.difference(&after).copied().collect(),
            locked: next.locked,
        })
    }
}

/// Test hooks that skip Trygg's own checks, to play a rogue or buggy member whose commits the
/// *other* members must refuse.
#[cfg(test)]
impl MeetingGroup {
    pub(super) fn rogue_add(&mut self, key_package: &[u8]) -> Admission {
        let kp = KeyPackageIn::tls_deserialize_exact(key_package)
            .unwrap()
            .validate(self.provider.crypto(), ProtocolVersion::Mls10)
            .unwrap();
        let (commit, welcome, _) = self.group.add_members(&self.provider, &self.signer, &[kp]).unwrap();
        self.group.merge_pending_commit(&self.provider).unwrap();
        Admission { commit: bytes(&commit).unwrap(), welcome: bytes(&welcome).unwrap() }
    }

    pub(super) fn rogue_remove(&mut self, member: u32) -> Vec<u8> {
        let (commit, _, _) =
            self.group.remove_members(&self.provider, &self.signer, &[LeafNodeIndex::new(member)]).unwrap();
        self.group.merge_pending_commit(&self.provider).unwrap();
        bytes(&commit).unwrap()
    }
}
