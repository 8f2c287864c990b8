//! What the server passes from one member to another without acting on it: signals (SDP, ICE,
//! E2EE handshakes, profiles), mute-requests and ask-to-unmute, raised hands.
//!
//! Relays go only between present members of the same meeting: a knocker, a removed member or a
//! connection of another meeting cannot send or receive one. A relay to a member that is away
//! is refused (`room.unknown_member`), not queued: the sender's runtime renegotiates once the
//! member is back.

use super::RoomServer;
use crate::room::error::Refusal;
use crate::room::ids::{MemberId, RoomId};
use crate::room::proto::{ServerMsg, Signal};
use crate::room::roles::{Action, Role};

impl RoomServer {
    /// `signal`: to one present member of the same meeting.
    pub(super) fn signal(
        &mut self,
        room_id: &RoomId,
        me: MemberId,
        to: MemberId,
        payload: Signal,
    ) -> Result<(), Refusal> {
        let conn = self.present_other(room_id, me, to)?;
        self.send(conn, &ServerMsg::Signal { from: me, payload });
        Ok(())
    }

    /// `mute` and `request_unmute`: host controls over a present member.
    pub(super) fn moderate(
        &mut self,
        room_id: &RoomId,
        me: MemberId,
        role: Role,
        id: MemberId,
        msg: ServerMsg,
    ) -> Result<(), Refusal> {
        let target = self.target_role(room_id, me, id)?;
        if !role.may(Action::Moderate(target)) {
            return Err(Refusal::NotAllowed);
        }
        let conn = self.present_other(room_id, me, id)?;
        self.send(conn, &msg);
        Ok(())
    }

    /// `raise_hand`: one's own hand, shown to everyone (the sender included, as confirmation).
    pub(super) fn raise_hand(&mut self, room_id: &RoomId, me: MemberId, raised: bool) -> Result<(), Refusal> {
        let m = self.rooms.get_mut(room_id).and_then(|r| r.member_mut(me)).ok_or(Refusal::UnknownMember)?;
        m.hand_raised = raised;
        self.broadcast(room_id, None, &ServerMsg::Hand { member: me, raised });
        Ok(())
    }

    fn present_other(&self, room_id: &RoomId, me: MemberId, id: MemberId) -> Result<crate::room::ids::ConnId, Refusal> {
        if id == me {
            return Err(Refusal::UnknownMember);
        }
        self.rooms.get(room_id).and_then(|r| r.member(id)).and_then(|m| m.conn()).ok_or(Refusal::UnknownMember)
    }
}
