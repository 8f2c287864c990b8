//! The core's notices as the shells see them: each [`Notice`] is the [`MeetingEvent`] of the
//! same name (the runtime adds the events only it knows: media, statistics, shares, identities).

use trygg_core::meeting::Notice;

use super::MeetingEvent;

impl From<Notice> for MeetingEvent {
    fn from(n: Notice) -> Self {
        match n {
            Notice::Created { me } => Self::Created { me },
            Notice::Knocking => Self::Knocking,
            Notice::InLobby => Self::InLobby,
            Notice::Admitted { me } => Self::Admitted { me },
            Notice::Joined { me, role } => Self::Joined { me, role },
            Notice::Resumed { after_restart } => Self::Resumed { after_restart },
            Notice::Reconnecting => Self::Reconnecting,
            Notice::Knock { member, name, invitation } => {
                Self::Knock { member, name, invitation: invitation.map(Into::into) }
            }
            Notice::KnockGone { member, reason } => Self::KnockGone { member, reason },
            Notice::ParticipantJoined { member, name } => Self::ParticipantJoined { member, name },
            Notice::ParticipantNamed { member, name } => Self::ParticipantNamed { member, name },
            Notice::ParticipantAway { member } => Self::ParticipantAway { member },
            Notice::ParticipantBack { member } => Self::ParticipantBack { member },
            Notice::ParticipantLeft { member, reason } => Self::ParticipantLeft { member, reason },
            Notice::Link { member, state } => Self::Link { member, state },
            Notice::RoleChanged { member, role } => Self::RoleChanged { member, role },
            Notice::Locked { locked } => Self::Locked { locked },
            Notice::HandRaised { member, raised } => Self::HandRaised { member, raised },
            Notice::MutedByHost => Self::MutedByHost,
            Notice::UnmuteRequested => Self::UnmuteRequested,
            Notice::SecurityCode { epoch, code, members } => Self::SecurityCode { epoch, code, members },
            Notice::Error { code, message } => Self::Error { code, message },
            Notice::Left => Self::Left,
            Notice::Ended => Self::Ended,
            Notice::Removed => Self::Removed,
            Notice::RemovedByServer => Self::RemovedByServer,
            Notice::Denied => Self::Denied,
            Notice::NoSuchMeeting => Self::NoSuchMeeting,
            Notice::RoomLocked => Self::RoomLocked,
        }
    }
}
