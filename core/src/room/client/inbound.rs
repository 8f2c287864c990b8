//! The client's answers to server messages, one handler per state.

use std::time::Duration;

use super::{ClientState, CloseReason, RoomClient, RoomEvent};
use crate::room::error::{ErrorCode, ProtocolError, Refusal};
use crate::room::ids::MemberId;
use crate::room::proto::{self, ClientMsg, JoinKind, ServerMsg, Signal};
use crate::room::roles::Role;

impl RoomClient {
    /// One frame from the server. A malformed or unexpected message is an error and changes
    /// nothing; messages that arrive after the client closed are ignored.
    pub fn handle_message(&mut self, bytes: &[u8], now: Duration) -> Result<(), ProtocolError> {
        let msg = proto::decode_server(bytes, self.config.max_message_size)?;
        if self.state.is_closed() || !self.connected {
            return Ok(());
        }
        self.last_heard = now;
        match msg {
            ServerMsg::Ping => {
                self.send(ClientMsg::Pong);
                return Ok(());
            }
            ServerMsg::Pong => return Ok(()),
            // In any state: they come just before `joined`, whichever way we get in.
            ServerMsg::IceServers { servers } => {
                let servers = crate::room::turn::accept(servers)?;
                self.events.push_back(RoomEvent::IceServers { servers });
                return Ok(());
            }
            _ => {}
        }
        match self.state.clone() {
            ClientState::Creating => self.on_creating(msg),
            ClientState::Looking | ClientState::Knocking => self.on_knocking(msg, now),
            ClientState::InLobby { .. } => self.on_lobby(msg),
            ClientState::InMeeting { me, .. } => self.on_meeting(me, msg),
            ClientState::Resuming { me, role } => self.on_resuming(me, role, msg, now),
            ClientState::Rejoining { .. } => self.on_rejoining(msg, now),
            ClientState::Sealing { .. } => Err(out_of_order(&msg, "while sealing the knock")),
            ClientState::Connecting { .. } | ClientState::Reconnecting { .. } | ClientState::Closed(_) => {
                Err(out_of_order(&msg, "before the client sent anything"))
            }
        }
    }

    fn on_creating(&mut self, msg: ServerMsg) -> Result<(), ProtocolError> {
        match msg {
            ServerMsg::Joined { how: JoinKind::Created, .. } => self.joined(msg),
            ServerMsg::Error { code, message } => {
                if code == ErrorCode::Refusal(Refusal::MeetingExists) {
                    // Someone started it already (or our own earlier create went through and its
                    // answer was lost): knock like everyone else.
                    self.send_knock();
                } else {
                    self.refused(code.clone());
                }
                self.events.push_back(RoomEvent::Error { code, message });
                Ok(())
            }
            other => Err(out_of_order(&other, "after create")),
        }
    }

    /// After `look` (Looking) or `knock` (Knocking): the answers to both but `running` and
    /// `in_lobby`, which belong to one each.
    fn on_knocking(&mut self, msg: ServerMsg, now: Duration) -> Result<(), ProtocolError> {
        let looking = self.state == ClientState::Looking;
        match msg {
            ServerMsg::Running { instance } if looking => {
                self.instance = Some(instance);
                self.state = ClientState::Sealing { instance };
                self.events.push_back(RoomEvent::SealKnock { instance });
            }
            // We were in the lobby before our connection dropped: the server may have restarted
            // and the members not recreated the meeting yet.
            ServerMsg::NoSuchMeeting if self.reknock_until.is_some_and(|t| now < t) => {
                self.next_attempt = Some(now.saturating_add(self.config.rejoin_retry));
            }
            ServerMsg::InLobby { me } if !looking => {
                self.state = ClientState::InLobby { me };
                self.events.push_back(RoomEvent::InLobby { me });
            }
            ServerMsg::NoSuchMeeting if self.is_host_link => self.send_create(),
            ServerMsg::NoSuchMeeting => self.finish(CloseReason::NoSuchMeeting, RoomEvent::NoSuchMeeting),
            ServerMsg::RoomLocked => self.finish(CloseReason::RoomLocked, RoomEvent::RoomLocked),
            ServerMsg::Error { code, message } => {
                self.refused(code.clone());
                self.events.push_back(RoomEvent::Error { code, message });
            }
            other => return Err(out_of_order(&other, "after knock")),
        }
        Ok(())
    }

    fn on_lobby(&mut self, msg: ServerMsg) -> Result<(), ProtocolError> {
        match msg {
            ServerMsg::Joined { how: JoinKind::Admitted, .. } => return self.joined(msg),
            ServerMsg::Denied => self.finish(CloseReason::Denied, RoomEvent::Denied),
            ServerMsg::KnockExpired => self.finish(CloseReason::KnockExpired, RoomEvent::KnockExpired),
            ServerMsg::Ended => self.finish(CloseReason::Ended, RoomEvent::Ended),
            other => return Err(out_of_order(&other, "in the lobby")),
        }
        Ok(())
    }

    fn on_resuming(&mut self, me: MemberId, role: Role, msg: ServerMsg, now: Duration) -> Result<(), ProtocolError> {
        match msg {
            ServerMsg::Joined { how: JoinKind::Resumed, .. } => self.joined(msg),
            ServerMsg::ResumeFailed => {
                self.start_rejoining(me, role, now);
                Ok(())
            }
            other => Err(out_of_order(&other, "after resume")),
        }
    }

    fn on_meeting(&mut self, me: MemberId, msg: ServerMsg) -> Result<(), ProtocolError> {
        let event = match msg {
            ServerMsg::Knock { member, sealed_profile } => {
                if !self.lobby.contains(&member) {
                    self.lobby.push(member);
                }
                RoomEvent::Knock { member, sealed_profile }
            }
            ServerMsg::KnockWithdrawn { member, reason } => {
                self.lobby.retain(|&k| k != member);
                RoomEvent::KnockWithdrawn { member, reason }
            }
            ServerMsg::MemberJoined { member, sealed_profile } => {
                match self.members.iter_mut().find(|m| m.id == member.id) {
                    Some(m) => *m = member,
                    None => self.members.push(member),
                }
                if sealed_profile.is_some() {
                    let data = self.profile.clone();
                    self.send(ClientMsg::Signal { to: member.id, payload: Signal::Profile { data } });
                }
                RoomEvent::MemberJoined { member, sealed_profile }
            }
            ServerMsg::MemberAway { member } => {
                self.set_present(member, false);
                RoomEvent::MemberAway { member }
            }
            ServerMsg::MemberBack { member } => {
                self.set_present(member, true);
                RoomEvent::MemberBack { member }
            }
            ServerMsg::MemberLeft { member, reason } => {
                self.members.retain(|m| m.id != member);
                RoomEvent::MemberLeft { member, reason }
            }
            ServerMsg::RoleChanged { member, role } => {
                if let Some(m) = self.members.iter_mut().find(|m| m.id == member) {
                    m.role = role;
                }
                if member == me {
                    self.state = ClientState::InMeeting { me, role };
                    if !role.sees_lobby() {
                        self.lobby.clear();
                    }
                }
                if role == Role::Host {
                    self.events.push_back(RoomEvent::RoleChanged { member, role });
                    RoomEvent::HostChanged { host: member }
                } else {
                    RoomEvent::RoleChanged { member, role }
                }
            }
            ServerMsg::Locked { locked } => {
                self.locked = locked;
                RoomEvent::Locked(locked)
            }
            ServerMsg::Hand { member, raised } => {
                if let Some(m) = self.members.iter_mut().find(|m| m.id == member) {
                    m.hand_raised = raised;
                }
                RoomEvent::HandRaised { member, raised }
            }
            ServerMsg::MuteRequested { by } => RoomEvent::MuteRequested { by },
            ServerMsg::UnmuteRequested { by } => RoomEvent::UnmuteRequested { by },
            ServerMsg::Signal { from, payload: Signal::Profile { data } } => {
                RoomEvent::MemberProfile { member: from, sealed_profile: data }
            }
            ServerMsg::Signal { from, payload } => RoomEvent::Signal { from, payload },
            ServerMsg::Error { code, message } => RoomEvent::Error { code, message },
            ServerMsg::Removed => {
                self.close(CloseReason::Removed);
                RoomEvent::Removed
            }
            ServerMsg::Ended => {
                self.close(CloseReason::Ended);
                RoomEvent::Ended
            }
            other => return Err(out_of_order(&other, "in the meeting")),
        };
        self.events.push_back(event);
        Ok(())
    }

    /// `joined`, in whichever state expected it: take the seat and say how we got it.
    pub(super) fn joined(&mut self, msg: ServerMsg) -> Result<(), ProtocolError> {
        let ServerMsg::Joined { how, me, role, resume_token, locked, members } = msg else {
            return Err(out_of_order(&msg, "here"));
        };
        if how == JoinKind::Created {
            // The meeting is the run we drew.
            self.instance = self.own_instance;
        }
        self.state = ClientState::InMeeting { me, role };
        self.token = Some(resume_token);
        self.locked = locked;
        self.lobby.clear();
        self.next_attempt = None;
        self.reknock_until = None;
        self.members = members.clone();
        let event = match how {
            JoinKind::Created => RoomEvent::Created { me },
            JoinKind::Admitted => RoomEvent::Admitted { me, role, members, locked },
            JoinKind::Resumed => RoomEvent::Resumed { me, role, members, locked, after_restart: false },
            JoinKind::Rejoined | JoinKind::Recreated => {
                RoomEvent::Resumed { me, role, members, locked, after_restart: true }
            }
        };
        self.events.push_back(event);
        Ok(())
    }

    fn set_present(&mut self, member: MemberId, present: bool) {
        if let Some(m) = self.members.iter_mut().find(|m| m.id == member) {
            m.present = present;
        }
    }

    /// A refusal that ends the attempt (room full, rate limited, ...).
    fn refused(&mut self, code: crate::room::error::ErrorCode) {
        self.close(CloseReason::Refused { code });
    }

    fn finish(&mut self, reason: CloseReason, event: RoomEvent) {
        self.close(reason);
        self.events.push_back(event);
    }

    /// A knock after the rejoin found we were not listed.
    pub(super) fn knock_instead(&mut self) {
        self.members.clear();
        self.token = None;
        self.send_knock();
    }
}

fn out_of_order(msg: &ServerMsg, state: &'static str) -> ProtocolError {
    ProtocolError::OutOfOrder { message: msg.kind(), state }
}
