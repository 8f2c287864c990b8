//! Roles and what each may do. One table, used by the server to decide and by the client to
//! grey out what the UI should not offer.
//!
//! | action                                   | host | co-host            | participant |
//! |------------------------------------------|------|--------------------|-------------|
//! | admit / deny a knock                     | yes  | yes                | no          |
//! | lock / unlock                            | yes  | yes                | no          |
//! | mute-request, ask-to-unmute, remove      | anyone else | participants only | no   |
//! | set a role (incl. hand the host over)    | yes  | no                 | no          |
//! | end the meeting for all                  | yes  | no                 | no          |
//! | raise / lower one's own hand, leave, signal | yes | yes             | yes         |
//!
//! Co-hosts may not change roles at all: "not make hosts" is the rule we were given, and letting
//! co-hosts promote others to co-host would let two co-hosts entrench each other against the
//! host. The host can grant the role instead.

use serde::{Deserialize, Serialize};

use super::ids::MemberId;

/// A member's role in a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the meeting. Exactly one per meeting while it has members.
    Host,
    /// Helps run it: lobby, lock, and host controls over participants.
    CoHost,
    /// Everyone else.
    Participant,
}

/// A command that needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Admit or deny a knock.
    Lobby,
    /// Lock or unlock the meeting.
    Lock,
    /// Mute-request, ask-to-unmute or remove a member with the given role.
    Moderate(Role),
    /// Change a member's role.
    SetRole,
    /// End the meeting for everyone.
    EndForAll,
}

impl Role {
    /// Whether a member with this role may take the action.
    pub fn may(self, action: Action) -> bool {
        match (self, action) {
            (Role::Host, Action::Moderate(target)) => target != Role::Host,
            (Role::Host, _) => true,
            (Role::CoHost, Action::Lobby | Action::Lock) => true,
            (Role::CoHost, Action::Moderate(target)) => target == Role::Participant,
            (Role::CoHost, Action::SetRole | Action::EndForAll) => false,
            (Role::Participant, _) => false,
        }
    }

    /// Hosts and co-hosts see the lobby.
    pub fn sees_lobby(self) -> bool {
        self.may(Action::Lobby)
    }

    /// The wire name (`"host"`, `"co_host"`, `"participant"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::CoHost => "co_host",
            Role::Participant => "participant",
        }
    }
}

/// A member as host succession sees them: who, their role, and whether they are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The member.
    pub id: MemberId,
    /// Their role.
    pub role: Role,
    /// False while their connection is gone.
    pub present: bool,
}

/// The one succession rule, used by the server (who becomes host when the host is gone), by the
/// client (who recreates a restarted server's room first) and by the meeting (to whom a leaving
/// host hands the group's host role): the host, then co-hosts, then participants; connected
/// members before away ones; join order among equals. `members` are in join order.
pub fn succession(members: impl IntoIterator<Item = Standing>) -> Vec<MemberId> {
    let rank = |r: Role| match r {
        Role::Host => 0,
        Role::CoHost => 1,
        Role::Participant => 2,
    };
    let mut order: Vec<Standing> = members.into_iter().collect();
    // A stable sort keeps join order among equals.
    order.sort_by_key(|m| (!m.present, rank(m.role)));
    order.into_iter().map(|m| m.id).collect()
}

/// Who becomes host when `leaving` (the host, or nobody any more) goes: the first in
/// [`succession`] of everyone else.
pub fn successor(members: impl IntoIterator<Item = Standing>, leaving: Option<MemberId>) -> Option<MemberId> {
    succession(members.into_iter().filter(|m| Some(m.id) != leaving)).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(n: u8, role: Role, present: bool) -> Standing {
        Standing { id: MemberId::from_bytes([n; 8]), role, present }
    }

    #[test]
    fn succession_is_host_co_hosts_participants_connected_first_in_join_order() {
        let members = [
            standing(1, Role::Participant, true),
            standing(2, Role::CoHost, false),
            standing(3, Role::Host, true),
            standing(4, Role::CoHost, true),
            standing(5, Role::Participant, true),
            standing(6, Role::Host, false),
        ];
        let ids: Vec<u8> = succession(members).iter().map(|m| m.to_bytes()[0]).collect();
        assert_eq!(ids, [3, 4, 1, 5, 6, 2]);
        let next = |leaving: u8| successor(members, Some(MemberId::from_bytes([leaving; 8]))).map(|m| m.to_bytes()[0]);
        assert_eq!(next(3), Some(4), "the host leaves: the connected co-host");
        assert_eq!(next(9), Some(3));
        assert_eq!(successor([standing(1, Role::Host, true)], Some(MemberId::from_bytes([1; 8]))), None);
        // Everyone else away: an away co-host still follows (the room never stays without a host).
        let away =
            [standing(1, Role::Host, true), standing(2, Role::Participant, false), standing(3, Role::CoHost, false)];
        assert_eq!(successor(away, Some(MemberId::from_bytes([1; 8]))), Some(MemberId::from_bytes([3; 8])));
    }

    #[test]
    fn host_may_everything_but_moderate_a_host() {
        for a in [Action::Lobby, Action::Lock, Action::SetRole, Action::EndForAll] {
            assert!(Role::Host.may(a), "{a:?}");
        }
        assert!(Role::Host.may(Action::Moderate(Role::CoHost)));
        assert!(Role::Host.may(Action::Moderate(Role::Participant)));
        assert!(!Role::Host.may(Action::Moderate(Role::Host)));
    }

    #[test]
    fn co_host_runs_the_lobby_and_participants_only() {
        assert!(Role::CoHost.may(Action::Lobby) && Role::CoHost.may(Action::Lock));
        assert!(Role::CoHost.may(Action::Moderate(Role::Participant)));
        assert!(!Role::CoHost.may(Action::Moderate(Role::Host)));
        assert!(!Role::CoHost.may(Action::Moderate(Role::CoHost)));
        assert!(!Role::CoHost.may(Action::SetRole));
        assert!(!Role::CoHost.may(Action::EndForAll));
    }

    #[test]
    fn participant_may_no_host_control() {
        for a in [Action::Lobby, Action::Lock, Action::SetRole, Action::EndForAll, Action::Moderate(Role::Participant)]
        {
            assert!(!Role::Participant.may(a), "{a:?}");
        }
        assert!(!Role::Participant.sees_lobby());
    }

    #[test]
    fn wire_names_match_serde() {
        for r in [Role::Host, Role::CoHost, Role::Participant] {
            assert_eq!(serde_json::to_string(&r).expect("serializes"), format!("\"{}\"", r.as_str()));
        }
    }
}
