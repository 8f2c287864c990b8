// What the UI knows about the meeting: a pure fold of the backend's events.
import type { BackendError, E2eeStatus, IdentityStatus, LinkState, PeerStats, Role, UiEvent } from "../backend/types";

export interface Participant {
  member: string;
  name: string;
  role: Role;
  away: boolean;
  hand: boolean;
  link: LinkState | null;
  video: boolean;
  /** Their identity key, once the meeting's group vouches for it. */
  identity?: { fingerprint: string; status: IdentityStatus; warning?: string };
}

export interface Knock {
  member: string;
  name: string;
}

/** Why the meeting is over for us. */
export type Ending = "left" | "ended" | "removed" | "denied" | "no_such_meeting" | "room_locked";

export type Phase = "connecting" | "lobby" | "in_meeting" | "over";

export interface SecurityCode {
  epoch: number;
  code: string;
  members: number;
}

/** One second of numbers, for the quality graph. */
export interface StatsSample {
  peers: PeerStats[];
}

export const HISTORY = 60;

export interface MeetingState {
  phase: Phase;
  me: string | null;
  role: Role | null;
  participants: Participant[];
  knocks: Knock[];
  locked: boolean;
  handRaised: boolean;
  security: SecurityCode | null;
  e2ee: E2eeStatus | null;
  history: StatsSample[];
  levels: Record<string, number>;
  reconnecting: boolean;
  mutedByHost: boolean;
  unmuteRequested: boolean;
  ending: Ending | null;
  errors: BackendError[];
}

export const initialMeeting: MeetingState = {
  phase: "connecting",
  me: null,
  role: null,
  participants: [],
  knocks: [],
  locked: false,
  handRaised: false,
  security: null,
  e2ee: null,
  history: [],
  levels: {},
  reconnecting: false,
  mutedByHost: false,
  unmuteRequested: false,
  ending: null,
  errors: [],
};

function update(s: MeetingState, member: string, f: (p: Participant) => Partial<Participant>): MeetingState {
  return { ...s, participants: s.participants.map((p) => (p.member === member ? { ...p, ...f(p) } : p)) };
}

function over(s: MeetingState, ending: Ending): MeetingState {
  return { ...s, phase: "over", ending: s.ending ?? ending, knocks: [], reconnecting: false };
}

export function reduce(s: MeetingState, e: UiEvent): MeetingState {
  switch (e.type) {
    case "created":
    case "admitted":
      return { ...s, me: e.me };
    case "knock":
      return { ...s, phase: "connecting" };
    case "in_lobby":
      return { ...s, phase: "lobby" };
    case "joined":
      return { ...s, phase: "in_meeting", me: e.me, role: e.role };
    case "knock_received":
      return s.knocks.some((k) => k.member === e.member) ? s : { ...s, knocks: [...s.knocks, { member: e.member, name: e.name }] };
    case "knock_gone":
      return { ...s, knocks: s.knocks.filter((k) => k.member !== e.member) };
    case "participant_joined": {
      if (s.participants.some((p) => p.member === e.member)) return update(s, e.member, () => ({ name: e.name || undefined, away: false }));
      const p: Participant = { member: e.member, name: e.name, role: "participant", away: false, hand: false, link: null, video: false };
      return { ...s, participants: [...s.participants, p] };
    }
    case "participant_named":
      return update(s, e.member, () => ({ name: e.name }));
    case "peer_identity":
      return update(s, e.member, () => ({
        identity: { fingerprint: e.fingerprint, status: e.status, warning: e.warning },
      }));
    case "participant_away":
      return update(s, e.member, () => ({ away: true }));
    case "participant_back":
      return update(s, e.member, () => ({ away: false }));
    case "participant_left":
      return { ...s, participants: s.participants.filter((p) => p.member !== e.member) };
    case "link":
      return update(s, e.member, () => ({ link: e.state }));
    case "video_available":
      return update(s, e.member, () => ({ video: true }));
    case "role_changed":
      return e.member === s.me ? { ...s, role: e.role } : update(s, e.member, () => ({ role: e.role }));
    case "locked":
      return { ...s, locked: e.locked };
    case "hand_raised":
      return e.member === s.me ? { ...s, handRaised: e.raised } : update(s, e.member, () => ({ hand: e.raised }));
    case "muted_by_host":
      return { ...s, mutedByHost: true };
    case "unmute_requested":
      return { ...s, unmuteRequested: true };
    case "security_code":
      return { ...s, security: { epoch: e.epoch, code: e.code, members: e.members } };
    case "stats":
      return {
        ...s,
        e2ee: e.e2ee,
        history: [...s.history, { peers: e.peers }].slice(-HISTORY),
        levels: Object.fromEntries(e.peers.map((p) => [p.member, loudness(p.audio_level)])),
      };
    case "reconnecting":
      return { ...s, reconnecting: true };
    case "resumed":
      return { ...s, reconnecting: false };
    case "denied":
    case "no_such_meeting":
    case "room_locked":
    case "removed":
    case "ended":
    case "left":
      return over(s, e.type);
    case "meeting_closed":
      return s.phase === "over" ? s : over(s, "left");
    case "error":
      return { ...s, errors: [...s.errors, { code: e.code, message: e.message }].slice(-5) };
    case "first_remote_video":
    case "first_remote_audio":
    case "link_opened":
    case "preview_error":
      return s;
  }
}

/** Clears the notices the user has seen. */
export function dismiss(s: MeetingState, what: "mutedByHost" | "unmuteRequested" | "errors"): MeetingState {
  return what === "errors" ? { ...s, errors: [] } : { ...s, [what]: false };
}

/** An RMS level (0..1) on the meter's scale: 60 dB, silence 0, full scale 1. */
export function loudness(rms: number): number {
  return rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
}

/** The member who speaks loudest now, if anyone clearly speaks (louder than -30 dBFS). */
export function activeSpeaker(levels: Record<string, number>, threshold = 0.5): string | null {
  let best: string | null = null;
  let loudest = threshold;
  for (const [member, level] of Object.entries(levels)) {
    if (level > loudest) {
      loudest = level;
      best = member;
    }
  }
  return best;
}

export type Quality = "good" | "fair" | "poor" | "unknown";

/** The connection quality the indicator shows: the worst peer of the last sample. */
export function quality(history: StatsSample[]): Quality {
  const last = history.at(-1);
  if (!last || last.peers.length === 0) return "unknown";
  let worst: Quality = "good";
  for (const p of last.peers) {
    const rtt = p.link.rtt_ms ?? 0;
    if (p.state === "failed" || p.state === "disconnected" || p.packet_loss_pct >= 5 || rtt >= 400) return "poor";
    if (p.packet_loss_pct >= 1 || rtt >= 150) worst = "fair";
  }
  return worst;
}

export function canModerate(role: Role | null): boolean {
  return role === "host" || role === "co_host";
}
