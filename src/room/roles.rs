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

#[cfg(test)]
mod tests {
    use super::*;

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
