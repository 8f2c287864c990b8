//! The joiner's side before admission: a KeyPackage out, a Welcome in.

use openmls::prelude::{
    KeyPackage, KeyPackageIn, Lifetime, MlsGroupJoinConfig, MlsMessageBodyIn, MlsMessageIn, ProtocolVersion,
    StagedWelcome,
};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider as _;
use tls_codec::{Deserialize as _, Serialize as _};

use super::group::MeetingGroup;
use super::{CIPHERSUITE, capabilities, wire_format};
use crate::e2ee::E2eeError;
use crate::e2ee::identity::DeviceIdentity;

/// How long a KeyPackage (and so a knock) stays valid: a knock waits in the lobby for minutes,
/// so a day is plenty, and a knock kept by a server for a later meeting of the same link is
/// refused once it is older than that (openmls checks the lifetime against the system clock,
/// its own use of time).
pub const KEY_PACKAGE_LIFETIME_SECS: u64 = 24 * 60 * 60;

/// A device waiting to be admitted. It holds the KeyPackage's private keys (in its provider)
/// until the Welcome arrives; drop it to give up (nothing is left behind).
pub struct Joiner {
    provider: OpenMlsRustCrypto,
    signer: SignatureKeyPair,
    key_package: Vec<u8>,
}

impl std::fmt::Debug for Joiner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joiner").field("key_package_len", &self.key_package.len()).finish_non_exhaustive()
    }
}

impl Joiner {
    /// Makes a fresh KeyPackage signed by `identity`.
    pub fn new(identity: &DeviceIdentity) -> Result<Self, E2eeError> {
        let provider = OpenMlsRustCrypto::default();
        let signer = identity.signer();
        // Marked "last resort" so that staging a Welcome does not delete its keys: a Welcome that
        // is then refused (not from the group's host) leaves the joiner able to take the real one.
        let bundle = KeyPackage::builder()
            .leaf_node_capabilities(capabilities())
            .key_package_lifetime(Lifetime::new(KEY_PACKAGE_LIFETIME_SECS))
            .mark_as_last_resort()
            .build(CIPHERSUITE, &provider, &signer, identity.credential())
            .map_err(E2eeError::mls)?;
        let key_package = bundle.key_package().tls_serialize_detached().map_err(E2eeError::mls)?;
        Ok(Self { provider, signer, key_package })
    }

    /// The KeyPackage (TLS-encoded) to put in the knock.
    pub fn key_package(&self) -> &[u8] {
        &self.key_package
    }

    /// Joins with the Welcome the host sent. Refuses Welcomes of groups without a meeting
    /// policy, or not sent by the policy's host.
    pub fn join(self, welcome: &[u8]) -> Result<MeetingGroup, E2eeError> {
        self.try_join(welcome, None).map_err(|(_, e)| e)
    }

    /// Like [`Joiner::join`], but a Welcome refused before it could use this KeyPackage's keys
    /// (not a Welcome, not for this KeyPackage, not a meeting's, not into `expected_group`, the
    /// run we knocked on) gives the joiner back, still waiting for the host's real Welcome: what
    /// a server slips in cannot end a join.
    pub fn try_join(
        self,
        welcome: &[u8],
        expected_group: Option<[u8; 16]>,
    ) -> Result<MeetingGroup, (Option<Box<Self>>, E2eeError)> {
        let msg = match MlsMessageIn::tls_deserialize_exact(welcome) {
            Ok(msg) => msg,
            Err(e) => return Err((Some(Box::new(self)), E2eeError::malformed("Welcome", e.to_string()))),
        };
        let MlsMessageBodyIn::Welcome(welcome) = msg.extract() else {
            return Err((Some(Box::new(self)), E2eeError::malformed("Welcome", "not a Welcome message")));
        };
        let config = MlsGroupJoinConfig::builder()
            .use_ratchet_tree_extension(true)
            .wire_format_policy(wire_format())
            .max_past_epochs(super::MAX_PAST_EPOCHS)
            .build();
        let staged = match StagedWelcome::new_from_welcome(&self.provider, &config, welcome, None) {
            Ok(staged) => staged,
            Err(e) => {
                return Err((Some(Box::new(self)), E2eeError::refused(format!("cannot join with this Welcome: {e}"))));
            }
        };
        if expected_group.is_some_and(|id| staged.group_context().group_id().as_slice() != id) {
            return Err((
                Some(Box::new(self)),
                E2eeError::refused("the Welcome is for another group than the meeting we knocked on"),
            ));
        }
        // Only the host the group's policy names may add: check before the group is taken.
        let sender = staged.welcome_sender_index();
        let host = super::group::policy_of(staged.group_context().extensions())
            .ok()
            .and_then(|p| staged.members().find(|m| *m.signature_key == *p.host).map(|m| m.index));
        if host != Some(sender) {
            return Err((Some(Box::new(self)), E2eeError::refused("the Welcome was not sent by the meeting's host")));
        }
        let group = staged.into_group(&self.provider).map_err(|e| (None, E2eeError::mls(e)))?;
        MeetingGroup::from_parts(self.provider, group, self.signer).map_err(|e| (None, e))
    }
}

/// Checks a KeyPackage from a knock as the host will when it admits it: its signatures, and that
/// its lifetime has not run out (a knock kept and replayed later is refused here).
pub fn check_key_package(key_package: &[u8]) -> Result<(), E2eeError> {
    let kp = KeyPackageIn::tls_deserialize_exact(key_package)
        .map_err(|e| E2eeError::malformed("KeyPackage", e.to_string()))?;
    let provider = OpenMlsRustCrypto::default();
    kp.validate(provider.crypto(), ProtocolVersion::Mls10).map_err(|e| {
        E2eeError::refused(format!("the knock's KeyPackage is not valid (expired, or not signed): {e}"))
    })?;
    Ok(())
}

/// The identity (signature) key inside a KeyPackage, as [`super::MemberInfo::identity_key`]
/// gives it once that member is in the group: how a member id the room knows is matched to an
/// MLS leaf. Not verified here; the host verifies every KeyPackage it admits.
pub fn key_package_identity(key_package: &[u8]) -> Result<Vec<u8>, E2eeError> {
    let kp = openmls::prelude::KeyPackageIn::tls_deserialize_exact(key_package)
        .map_err(|e| E2eeError::malformed("KeyPackage", e.to_string()))?;
    Ok(kp.unverified_credential().signature_key.as_slice().to_vec())
}
