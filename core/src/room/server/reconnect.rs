//! Getting a seat back: `resume` after a dropped connection, `recreate` and `rejoin` after the
//! server lost everything (a restart).
//!
//! **Resume** (server still running): the member presents its member id and the latest resume
//! token from `joined`. Within the grace period it gets its seat, role and raised hand back and a
//! new token; the others get `member_back`. If the old connection still looks open (half-open
//! TCP), it is closed with `room.replaced`. Otherwise: `resume_failed`.
//!
//! **Recreate / rejoin** (server restarted, all state lost): resume fails, so the members'
//! clients agree on one of them (the host, or the next in succession after a delay) to send
//! `recreate` with the room proof and the roster it knew. The meeting starts again with the
//! recreator as host and the roster's members as away seats (a listed host is demoted to
//! co-host). Each of them sends `rejoin` with its old member id and the room proof, and takes
//! its seat if the proof matches and it was listed; seats not taken within the grace period
//! expire like any away member. A second `recreate` with the same proof counts as a rejoin.
//!
//! Why a stranger cannot hijack a meeting by racing the recreate: without the link it cannot
//! compute the room proof, so the real members' rejoins do not match its meeting and they never
//! join it (the real recreator gets `room.proof_mismatch` and the meeting fails loudly instead of
//! being taken over). A meeting id that leaked without its link can thus be denied service after
//! a restart, not taken; see `docs/protocol.md`.

use std::time::Duration;

use super::room::{Member, Presence, Room, fresh_token};
use super::{RoomServer, Seat};
use crate::room::error::Refusal;
use crate::room::ids::{ConnId, MeetingInstance, MemberId, ResumeToken, RoomId, RoomProof};
use crate::room::proto::{CloseCode, JoinKind, LeaveReason, RosterEntry, ServerMsg};
use crate::room::roles::Role;

impl RoomServer {
    /// `resume`: seat back by token.
    pub(super) fn resume(&mut self, conn: ConnId, room_id: RoomId, me: MemberId, token: ResumeToken) {
        let valid = self
            .rooms
            .get(&room_id)
            .and_then(|r| r.member(me))
            .and_then(|m| m.token.as_ref())
            .is_some_and(|t| *t == token);
        if !valid {
            return self.send(conn, &ServerMsg::ResumeFailed);
        }
        self.take_seat(conn, &room_id, me, JoinKind::Resumed);
    }

    /// `rejoin`: seat back by member id and proof, after a recreate.
    pub(super) fn rejoin(&mut self, conn: ConnId, room_id: RoomId, proof: RoomProof, me: MemberId) {
        let Some(room) = self.rooms.get(&room_id).filter(|r| r.proof == proof) else {
            return self.send(conn, &ServerMsg::NoSuchMeeting);
        };
        match room.member(me) {
            Some(m) if m.conn().is_none() => self.take_seat(conn, &room_id, me, JoinKind::Rejoined),
            // Not listed, or the seat is taken: knowing a member id is not enough to take over a
            // connected member's seat.
            _ => self.refuse(conn, Refusal::UnknownMember),
        }
    }

    /// `recreate`: start the meeting again with the roster the sender knew.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn recreate(
        &mut self,
        conn: ConnId,
        room_id: RoomId,
        proof: RoomProof,
        me: MemberId,
        locked: bool,
        roster: Vec<RosterEntry>,
        instance: MeetingInstance,
        now: Duration,
    ) {
        if !self.charge_knock(conn, now) {
            return self.refuse(conn, Refusal::RateLimited);
        }
        if !room_id.is_bound_to(&proof) {
            return self.refuse(conn, Refusal::ProofMismatch);
        }
        match self.rooms.get(&room_id) {
            Some(room) if room.proof == proof => return self.rejoin(conn, room_id, proof, me),
            Some(_) => return self.refuse(conn, Refusal::ProofMismatch),
            None => {}
        }
        let mut room = Room { proof, instance, locked, members: Vec::new(), lobby: Vec::new() };
        room.members.push(Member {
            id: me,
            role: Role::Host,
            hand_raised: false,
            presence: Presence::Away { since: now },
            token: None,
        });
        for entry in roster {
            if room.members.len() >= self.config.max_members {
                break;
            }
            if room.member(entry.id).is_some() {
                continue;
            }
            let role = if entry.role == Role::Host { Role::CoHost } else { entry.role };
            room.members.push(Member {
                id: entry.id,
                role,
                hand_raised: false,
                presence: Presence::Away { since: now },
                token: None,
            });
        }
        self.rooms.insert(room_id.clone(), room);
        self.take_seat(conn, &room_id, me, JoinKind::Recreated);
    }

    /// Seats `conn` as member `me`: new token, `joined`, `member_back` to the others.
    fn take_seat(&mut self, conn: ConnId, room_id: &RoomId, me: MemberId, how: JoinKind) {
        let token = fresh_token(&mut self.rng);
        let Some(m) = self.rooms.get_mut(room_id).and_then(|r| r.member_mut(me)) else { return };
        let old = m.conn();
        m.presence = Presence::Here(conn);
        m.token = Some(token.clone());
        if let Some(old) = old.filter(|&c| c != conn) {
            // The old connection is half-open: close it without making the member away.
            self.seat(old, Seat::Fresh);
            self.conns.remove(&old);
            self.out.push_back(super::ServerOutput::Close {
                conn: old,
                code: CloseCode::Replaced,
                reason: "resumed on another connection",
            });
        }
        self.seat(conn, Seat::Member { room: room_id.clone(), me });
        self.send_joined(conn, room_id, me, how, token);
        if old.is_none() && how != JoinKind::Recreated {
            self.broadcast(room_id, Some(me), &ServerMsg::MemberBack { member: me });
        }
    }

    /// Away members whose grace period is over have left.
    pub(super) fn expire_away_members(&mut self, now: Duration) {
        let grace = self.config.resume_grace;
        let expired: Vec<(RoomId, MemberId)> = self
            .rooms
            .iter()
            .flat_map(|(room_id, room)| {
                room.members
                    .iter()
                    .filter(|m| matches!(m.presence, Presence::Away { since } if now.saturating_sub(since) >= grace))
                    .map(move |m| (room_id.clone(), m.id))
            })
            .collect();
        for (room_id, id) in expired {
            self.depart(&room_id, id, LeaveReason::TimedOut);
        }
    }
}
