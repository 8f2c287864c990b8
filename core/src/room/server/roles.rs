//! Host controls that change who is in the meeting and who runs it: lock, remove, roles,
//! hand-over, end for all. Permissions come from [`crate::room::roles::Role::may`].

use super::RoomServer;
use crate::room::error::Refusal;
use crate::room::ids::{MemberId, RoomId};
use crate::room::proto::{LeaveReason, ServerMsg};
use crate::room::roles::{Action, Role};

impl RoomServer {
    /// `lock`: a locked meeting takes no new knocks and admits no waiting ones.
    pub(super) fn lock(&mut self, room_id: &RoomId, role: Role, locked: bool) -> Result<(), Refusal> {
        if !role.may(Action::Lock) {
            return Err(Refusal::NotAllowed);
        }
        let room = self.rooms.get_mut(room_id).ok_or(Refusal::UnknownMember)?;
        room.locked = locked;
        self.broadcast(room_id, None, &ServerMsg::Locked { locked });
        Ok(())
    }

    /// `remove`: the member is told, everyone else sees it leave, and nothing reaches it anymore.
    pub(super) fn remove(&mut self, room_id: &RoomId, me: MemberId, role: Role, id: MemberId) -> Result<(), Refusal> {
        let target = self.target_role(room_id, me, id)?;
        if !role.may(Action::Moderate(target)) {
            return Err(Refusal::NotAllowed);
        }
        if let Some(conn) = self.rooms.get(room_id).and_then(|r| r.member(id)).and_then(|m| m.conn()) {
            self.send(conn, &ServerMsg::Removed);
        }
        self.depart(room_id, id, LeaveReason::Removed);
        Ok(())
    }

    /// `set_role`: host only. Making someone host hands the role over; the old host becomes a
    /// co-host.
    pub(super) fn set_role(
        &mut self,
        room_id: &RoomId,
        me: MemberId,
        role: Role,
        id: MemberId,
        new: Role,
    ) -> Result<(), Refusal> {
        self.target_role(room_id, me, id)?;
        if !role.may(Action::SetRole) {
            return Err(Refusal::NotAllowed);
        }
        if new == Role::Host {
            self.change_role(room_id, me, Role::CoHost);
        }
        self.change_role(room_id, id, new);
        Ok(())
    }

    /// `end_for_all`: everyone gets `ended` and the meeting is forgotten.
    pub(super) fn end_for_all(&mut self, room_id: &RoomId, role: Role) -> Result<(), Refusal> {
        if !role.may(Action::EndForAll) {
            return Err(Refusal::NotAllowed);
        }
        self.end_room(room_id);
        Ok(())
    }

    /// After the host left for good: the successor ([`super::room::Room::successor`]) becomes host.
    pub(super) fn hand_over(&mut self, room_id: &RoomId) {
        let Some(room) = self.rooms.get(room_id) else { return };
        if room.members.iter().any(|m| m.role == Role::Host) {
            return;
        }
        if let Some(next) = room.successor() {
            self.change_role(room_id, next, Role::Host);
        }
    }

    /// The role of another member of the sender's room (present or away).
    pub(super) fn target_role(&self, room_id: &RoomId, me: MemberId, id: MemberId) -> Result<Role, Refusal> {
        if id == me {
            return Err(Refusal::NotAllowed);
        }
        self.rooms.get(room_id).and_then(|r| r.member(id)).map(|m| m.role).ok_or(Refusal::UnknownMember)
    }

    /// Sets a role, tells everyone, and shows the lobby to a member who can now see it.
    fn change_role(&mut self, room_id: &RoomId, id: MemberId, new: Role) {
        let Some(m) = self.rooms.get_mut(room_id).and_then(|r| r.member_mut(id)) else { return };
        let old = m.role;
        m.role = new;
        let conn = m.conn();
        self.broadcast(room_id, None, &ServerMsg::RoleChanged { member: id, role: new });
        if let Some(conn) = conn.filter(|_| new.sees_lobby() && !old.sees_lobby()) {
            self.send_lobby(room_id, conn);
        }
    }
}
