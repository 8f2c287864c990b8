//! Rejoining after the server lost the meeting: who recreates it, and when.
//!
//! Every member's client knows the roster (roles and join order). They rank it the same way
//! the server picks a new host: connected members before away ones, then the host, co-hosts,
//! participants, each in join order. The member ranked `k` sends `rejoin` every
//! `rejoin_retry` and, if it still finds no meeting after `k × recreate_stagger`, sends
//! `recreate` itself. So the host recreates at once; if its client is gone too, the next one
//! does three seconds later, and so on. Two recreates racing are harmless: the second, with the
//! same proof, counts as a rejoin.

use std::time::Duration;

use super::{ClientState, CloseReason, RoomClient};
use crate::room::error::{ErrorCode, Refusal};
use crate::room::ids::MemberId;
use crate::room::proto::{ClientMsg, MemberInfo, RosterEntry, ServerMsg};
use crate::room::roles::Role;

impl RoomClient {
    pub(super) fn start_rejoining(&mut self, me: MemberId, role: Role, now: Duration) {
        self.token = None;
        self.state = ClientState::Rejoining { me, role, since: now };
        self.attempt_rejoin(now);
    }

    /// Sends `rejoin`, or `recreate` once it is our turn.
    pub(super) fn attempt_rejoin(&mut self, now: Duration) {
        let ClientState::Rejoining { me, since, .. } = self.state else { return };
        if !self.connected {
            return;
        }
        let rank = succession_rank(&self.members, me);
        let turn = since.saturating_add(self.config.recreate_stagger.saturating_mul(rank));
        // Recreate only naming the run we were in: a recreated meeting is the same group.
        let msg = if let Some(instance) = self.instance.filter(|_| now >= turn) {
            ClientMsg::Recreate {
                instance,
                room: self.room.clone(),
                room_proof: self.proof.clone(),
                me,
                locked: self.locked,
                roster: self
                    .members
                    .iter()
                    .filter(|m| m.id != me)
                    .map(|m| RosterEntry { id: m.id, role: m.role })
                    .collect(),
            }
        } else {
            ClientMsg::Rejoin { room: self.room.clone(), room_proof: self.proof.clone(), me }
        };
        self.send(msg);
        // Wait for the answer before trying again.
        self.next_attempt = None;
    }

    pub(super) fn on_rejoining(&mut self, msg: ServerMsg, now: Duration) -> Result<(), crate::room::ProtocolError> {
        match msg {
            ServerMsg::Joined { .. } => return self.joined(msg),
            // Not recreated yet: try again soon.
            ServerMsg::NoSuchMeeting => self.next_attempt = Some(now.saturating_add(self.config.rejoin_retry)),
            ServerMsg::Error { code, message } => match code {
                ErrorCode::Refusal(Refusal::RateLimited) => {
                    self.next_attempt = Some(now.saturating_add(self.config.rejoin_retry))
                }
                // The recreator did not list us (we joined just before the restart): knock.
                ErrorCode::Refusal(Refusal::UnknownMember) => self.knock_instead(),
                _ => {
                    self.close(CloseReason::Refused { code: code.clone() });
                    self.events.push_back(super::RoomEvent::Error { code, message });
                }
            },
            other => {
                return Err(crate::room::ProtocolError::OutOfOrder { message: other.kind(), state: "while rejoining" });
            }
        }
        Ok(())
    }
}

/// Our place in the succession ([`crate::room::roles::succession`]; 0 = recreate at once). A
/// member missing from the roster ranks last.
pub(super) fn succession_rank(members: &[MemberInfo], me: MemberId) -> u32 {
    let order = crate::room::roles::succession(members.iter().map(MemberInfo::standing));
    let rank = order.iter().position(|&m| m == me).unwrap_or(order.len());
    u32::try_from(rank).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(n: u8, role: Role, present: bool) -> MemberInfo {
        MemberInfo { id: MemberId::from_bytes([n; 8]), role, hand_raised: false, present }
    }

    #[test]
    fn host_is_first_then_co_hosts_then_participants_connected_first() {
        let members = vec![
            info(1, Role::Participant, true),
            info(2, Role::CoHost, true),
            info(3, Role::Host, true),
            info(4, Role::CoHost, false),
            info(5, Role::Participant, true),
        ];
        let rank = |n| succession_rank(&members, MemberId::from_bytes([n; 8]));
        assert_eq!([rank(3), rank(2), rank(1), rank(5), rank(4)], [0, 1, 2, 3, 4]);
        assert_eq!(rank(9), 5, "unknown ranks last");
    }
}
