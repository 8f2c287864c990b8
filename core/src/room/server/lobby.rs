//! The lobby: knocks wait here until a host or co-host admits or denies them, the knocker leaves,
//! or they expire. A knocker hears nothing of the meeting but its own fate.
//!
//! Lock: a locked meeting refuses new knocks (`room_locked`), and knocks already waiting can be
//! denied but not admitted (`room.locked`) until it is unlocked: "locked" means no one new gets
//! in, whoever knocked first. They keep waiting (and may expire) rather than being turned away,
//! so that a host who locks for a minute does not lose the queue.

use std::time::Duration;

use super::room::{Knock, Member, Presence, fresh_token};
use super::{RoomServer, Seat};
use crate::room::error::Refusal;
use crate::room::ids::{Blob, ConnId, MemberId, RoomId, RoomProof};
use crate::room::proto::{JoinKind, KnockEnd, ServerMsg};
use crate::room::roles::{Action, Role};

impl RoomServer {
    /// `look`: which run of the meeting a knock must be sealed for. Answered as a knock would be
    /// (a wrong proof looks like a missing meeting) and charged like one — the knock that follows
    /// on the same connection is then free, so looking does not halve how many may knock from one
    /// address (an office behind one NAT); nothing else is kept.
    pub(super) fn look(&mut self, conn: ConnId, room_id: RoomId, proof: RoomProof, now: Duration) {
        if !self.charge_knock(conn, now) {
            return self.refuse(conn, Refusal::RateLimited);
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.knock_paid = true;
        }
        let Some(room) = self.rooms.get(&room_id).filter(|r| r.proof == proof) else {
            return self.send(conn, &ServerMsg::NoSuchMeeting);
        };
        if room.locked {
            return self.send(conn, &ServerMsg::RoomLocked);
        }
        let instance = room.instance;
        self.send(conn, &ServerMsg::Running { instance });
    }

    /// `knock`: wait in the lobby of a running meeting.
    pub(super) fn knock(
        &mut self,
        conn: ConnId,
        room_id: RoomId,
        proof: RoomProof,
        sealed_profile: Blob,
        now: Duration,
    ) {
        let paid = self.conns.get_mut(&conn).is_some_and(|c| std::mem::take(&mut c.knock_paid));
        if !paid && !self.charge_knock(conn, now) {
            return self.refuse(conn, Refusal::RateLimited);
        }
        let max_members = self.config.max_members;
        let max_lobby = self.config.max_lobby;
        // A wrong proof looks exactly like a missing meeting: the server does not confirm that a
        // room id is in use to someone who does not hold the link.
        let Some(room) = self.rooms.get_mut(&room_id).filter(|r| r.proof == proof) else {
            return self.send(conn, &ServerMsg::NoSuchMeeting);
        };
        if room.locked {
            return self.send(conn, &ServerMsg::RoomLocked);
        }
        if room.lobby.len() >= max_lobby || room.members.len() >= max_members {
            return self.refuse(conn, Refusal::RoomFull);
        }
        let id = room.fresh_id(&mut self.rng);
        room.lobby.push(Knock { id, conn, sealed_profile: sealed_profile.clone(), since: now });
        let watchers = room.lobby_watchers();
        self.seat(conn, Seat::Lobby { room: room_id, me: id });
        self.send(conn, &ServerMsg::InLobby { me: id });
        self.send_all(watchers, &ServerMsg::Knock { member: id, sealed_profile });
    }

    /// `admit`: the knock becomes a participant.
    pub(super) fn admit(&mut self, room_id: &RoomId, role: Role, id: MemberId) -> Result<(), Refusal> {
        if !role.may(Action::Lobby) {
            return Err(Refusal::NotAllowed);
        }
        let max_members = self.config.max_members;
        let room = self.rooms.get_mut(room_id).ok_or(Refusal::UnknownMember)?;
        if room.knock(id).is_none() {
            return Err(Refusal::UnknownMember);
        }
        if room.locked {
            return Err(Refusal::Locked);
        }
        if room.members.len() >= max_members {
            return Err(Refusal::RoomFull);
        }
        let knock = room.take_knock(id).expect("invariant: the knock was found just above");
        let token = fresh_token(&mut self.rng);
        let member = Member {
            id,
            role: Role::Participant,
            hand_raised: false,
            presence: Presence::Here(knock.conn),
            token: Some(token.clone()),
        };
        let info = member.info();
        room.members.push(member);
        let watchers = room.lobby_watchers();
        self.seat(knock.conn, Seat::Member { room: room_id.clone(), me: id });
        self.send_joined(knock.conn, room_id, id, JoinKind::Admitted, token);
        self.broadcast(
            room_id,
            Some(id),
            &ServerMsg::MemberJoined { member: info, sealed_profile: Some(knock.sealed_profile) },
        );
        self.send_all(watchers, &ServerMsg::KnockWithdrawn { member: id, reason: KnockEnd::Admitted });
        Ok(())
    }

    /// `deny`: the knocker is told and its connection is fresh again.
    pub(super) fn deny(&mut self, room_id: &RoomId, role: Role, id: MemberId) -> Result<(), Refusal> {
        if !role.may(Action::Lobby) {
            return Err(Refusal::NotAllowed);
        }
        let room = self.rooms.get_mut(room_id).ok_or(Refusal::UnknownMember)?;
        let knock = room.take_knock(id).ok_or(Refusal::UnknownMember)?;
        self.end_knock(room_id, knock, KnockEnd::Denied);
        Ok(())
    }

    /// The knocker left or its connection is gone.
    pub(super) fn withdraw_knock(&mut self, room_id: &RoomId, id: MemberId) {
        if let Some(knock) = self.rooms.get_mut(room_id).and_then(|r| r.take_knock(id)) {
            self.end_knock(room_id, knock, KnockEnd::Withdrawn);
        }
    }

    pub(super) fn expire_knocks(&mut self, now: Duration) {
        let expiry = self.config.knock_expiry;
        let mut expired = Vec::new();
        for (room_id, room) in &mut self.rooms {
            while let Some(i) = room.lobby.iter().position(|k| now.saturating_sub(k.since) >= expiry) {
                expired.push((room_id.clone(), room.lobby.remove(i)));
            }
        }
        for (room_id, knock) in expired {
            self.end_knock(&room_id, knock, KnockEnd::Expired);
        }
    }

    /// A knock that was taken out of the lobby (not admitted): tell the knocker (unless it left)
    /// and the hosts.
    fn end_knock(&mut self, room_id: &RoomId, knock: Knock, reason: KnockEnd) {
        let to_knocker = match reason {
            KnockEnd::Denied => Some(ServerMsg::Denied),
            KnockEnd::Expired => Some(ServerMsg::KnockExpired),
            KnockEnd::Withdrawn | KnockEnd::Admitted => None,
        };
        if self.conns.get(&knock.conn).is_some_and(|c| c.seat == Seat::Lobby { room: room_id.clone(), me: knock.id }) {
            self.seat(knock.conn, Seat::Fresh);
            if let Some(msg) = to_knocker {
                self.send(knock.conn, &msg);
            }
        }
        let watchers = self.rooms.get(room_id).map(|r| r.lobby_watchers()).unwrap_or_default();
        self.send_all(watchers, &ServerMsg::KnockWithdrawn { member: knock.id, reason });
    }

    /// Every waiting knock, to a connection that just started seeing the lobby.
    pub(super) fn send_lobby(&mut self, room_id: &RoomId, conn: ConnId) {
        let Some(room) = self.rooms.get(room_id) else { return };
        let knocks: Vec<ServerMsg> = room
            .lobby
            .iter()
            .map(|k| ServerMsg::Knock { member: k.id, sealed_profile: k.sealed_profile.clone() })
            .collect();
        for msg in knocks {
            self.send(conn, &msg);
        }
    }
}
