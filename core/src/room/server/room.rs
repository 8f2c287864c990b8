//! One meeting as the server holds it: members in the order they joined, the lobby, the lock,
//! and the room proof. Nothing else: no names, no profiles (a knock's sealed profile is held
//! only while the knock waits), no addresses.

use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use crate::room::ids::{Blob, ConnId, MeetingInstance, MemberId, ResumeToken, RoomProof};
use crate::room::proto::MemberInfo;
use crate::room::roles::{self, Role, Standing};

/// Where a member's connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Presence {
    /// Connected on this connection.
    Here(ConnId),
    /// Connection gone since then; the seat is kept for the grace period.
    Away { since: Duration },
}

#[derive(Debug)]
pub(super) struct Member {
    pub id: MemberId,
    pub role: Role,
    pub hand_raised: bool,
    pub presence: Presence,
    /// None for a seat reserved by a recreate that was not taken back yet.
    pub token: Option<ResumeToken>,
}

impl Member {
    pub fn conn(&self) -> Option<ConnId> {
        match self.presence {
            Presence::Here(c) => Some(c),
            Presence::Away { .. } => None,
        }
    }

    pub fn info(&self) -> MemberInfo {
        MemberInfo { id: self.id, role: self.role, hand_raised: self.hand_raised, present: self.conn().is_some() }
    }
}

/// A knock waiting in the lobby.
#[derive(Debug)]
pub(super) struct Knock {
    pub id: MemberId,
    pub conn: ConnId,
    pub sealed_profile: Blob,
    pub since: Duration,
}

#[derive(Debug)]
pub(super) struct Room {
    pub proof: RoomProof,
    /// This run of the meeting, as its host (or recreator) said.
    pub instance: MeetingInstance,
    pub locked: bool,
    /// In join order: the order of host hand-over and of succession after a restart.
    pub members: Vec<Member>,
    /// In knock order.
    pub lobby: Vec<Knock>,
}

impl Room {
    pub fn member(&self, id: MemberId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    pub fn member_mut(&mut self, id: MemberId) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    pub fn knock(&self, id: MemberId) -> Option<&Knock> {
        self.lobby.iter().find(|k| k.id == id)
    }

    pub fn take_knock(&mut self, id: MemberId) -> Option<Knock> {
        let i = self.lobby.iter().position(|k| k.id == id)?;
        Some(self.lobby.remove(i))
    }

    pub fn infos(&self) -> Vec<MemberInfo> {
        self.members.iter().map(Member::info).collect()
    }

    /// Connections of present members, except one.
    pub fn present_conns(&self, except: Option<MemberId>) -> Vec<ConnId> {
        self.members.iter().filter(|m| Some(m.id) != except).filter_map(Member::conn).collect()
    }

    /// Connections of present hosts and co-hosts.
    pub fn lobby_watchers(&self) -> Vec<ConnId> {
        self.members.iter().filter(|m| m.role.sees_lobby()).filter_map(Member::conn).collect()
    }

    /// A member id not used by a member or knock of this room.
    pub fn fresh_id(&self, rng: &mut ChaCha20Rng) -> MemberId {
        loop {
            let id = MemberId::from_bytes(rng.next_u64().to_be_bytes());
            if self.member(id).is_none() && self.knock(id).is_none() {
                return id;
            }
        }
    }

    /// The member who becomes host when there is none ([`roles::successor`]).
    pub fn successor(&self) -> Option<MemberId> {
        roles::successor(self.standings(), None)
    }

    /// The members as host succession sees them, in join order.
    fn standings(&self) -> impl Iterator<Item = Standing> + '_ {
        self.members.iter().map(|m| Standing { id: m.id, role: m.role, present: m.conn().is_some() })
    }
}

pub(super) fn fresh_token(rng: &mut ChaCha20Rng) -> ResumeToken {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    ResumeToken::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use rand_core::SeedableRng;

    use super::*;

    fn member(n: u8, role: Role, present: bool) -> Member {
        let presence =
            if present { Presence::Here(ConnId(n.into())) } else { Presence::Away { since: Duration::ZERO } };
        Member { id: MemberId::from_bytes([n; 8]), role, hand_raised: false, presence, token: None }
    }

    fn room(members: Vec<Member>) -> Room {
        Room {
            proof: RoomProof::new(vec![0; 16]).expect("valid"),
            instance: MeetingInstance::from_bytes([0; 16]),
            locked: false,
            members,
            lobby: vec![],
        }
    }

    #[test]
    fn successor_prefers_present_co_hosts_then_present_participants_in_join_order() {
        let r = room(vec![
            member(1, Role::Participant, true),
            member(2, Role::CoHost, false),
            member(3, Role::CoHost, true),
            member(4, Role::CoHost, true),
        ]);
        assert_eq!(r.successor(), Some(MemberId::from_bytes([3; 8])));
        let r = room(vec![
            member(2, Role::CoHost, false),
            member(5, Role::Participant, true),
            member(6, Role::Participant, true),
        ]);
        assert_eq!(r.successor(), Some(MemberId::from_bytes([5; 8])), "a present participant before an away co-host");
        let r = room(vec![member(7, Role::Participant, false), member(8, Role::CoHost, false)]);
        assert_eq!(r.successor(), Some(MemberId::from_bytes([8; 8])), "all away: co-host first");
        assert_eq!(room(vec![]).successor(), None);
    }

    #[test]
    fn fresh_ids_are_unique_in_the_room_and_deterministic_per_seed() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let mut r = room(vec![]);
        for _ in 0..50 {
            let id = r.fresh_id(&mut rng);
            assert!(r.member(id).is_none());
            r.members.push(Member {
                id,
                role: Role::Participant,
                hand_raised: false,
                presence: Presence::Here(ConnId(0)),
                token: None,
            });
        }
        let first = room(vec![]).fresh_id(&mut ChaCha20Rng::from_seed([1; 32]));
        assert_eq!(first, r.members[0].id);
    }
}
