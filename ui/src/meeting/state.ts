// What the UI knows about the meeting: a pure fold of the backend's events.
import type { BackendError, E2eeStatus, IdentityStatus, KnockInvitation, LinkState, PeerStats, Role, ShareStats, UiEvent } from "../backend/types";

export interface Participant {
  member: string;
  name: string;
  role: Role;
  away: boolean;
  hand: boolean;
  link: LinkState | null;
  video: boolean;
  /** Their identity key, once the meeting's group vouches for it. */
  identity?: { fingerprint: string; pairCode: string; status: IdentityStatus; warning?: string };
}

export interface Knock {
  member: string;
  name: string;
  /** What their personal invitation is worth, when their knock carried one. */
  invitation?: KnockInvitation;
}

/** Why the meeting is over for us. */
export type Ending =
  | "left"
  | "ended"
  | "removed"
  | "removed_by_server"
  | "denied"
  | "no_such_meeting"
  | "room_locked";

export type Phase = "connecting" | "lobby" | "in_meeting" | "over";

export interface SecurityCode {
  epoch: number;
  code: string;
  members: number;
}

/** One second of numbers, for the quality graph. */
export interface StatsSample {
  peers: PeerStats[];
  /** Our own screen share as sent, while we share. */
  shareOut?: ShareStats;
}

/** Our own screen share, while it runs. */
export interface OwnShare {
  /** What the meeting says we share (e.g. `screen "Built-in display"`), when it says. */
  source: string | null;
}

/** A participant's screen share. */
export interface RemoteShare {
  member: string;
  /** Its pictures can be watched (`watchVideo("share:" + member)`). */
  available: boolean;
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
  sharing: OwnShare | null;
  /** We asked to share and the meeting has not answered yet. */
  shareStarting: boolean;
  /** Other participants' shares, the newest last (the stage shows the newest). */
  shares: RemoteShare[];
  /** Why our share did not start, or stopped without us asking ("share.source_gone"). */
  shareProblem: BackendError | null;
}

/** The notices the user can dismiss. */
export type Dismissable = "mutedByHost" | "unmuteRequested" | "errors" | "shareProblem";

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
  sharing: null,
  shareStarting: false,
  shares: [],
  shareProblem: null,
};

/** What the stopped share of ours says when its window closed or its screen went away. */
export const SOURCE_GONE: BackendError = { code: "share.source_gone", message: "the shared window or screen is gone" };

function update(s: MeetingState, member: string, f: (p: Participant) => Partial<Participant>): MeetingState {
  return { ...s, participants: s.participants.map((p) => (p.member === member ? { ...p, ...f(p) } : p)) };
}

function over(s: MeetingState, ending: Ending): MeetingState {
  return { ...s, phase: "over", ending: s.ending ?? ending, knocks: [], reconnecting: false, sharing: null, shareStarting: false, shares: [] };
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
    case "knock_received": {
      // The same knock again: what its invitation is worth changed (it was revoked).
      const knock: Knock = e.invitation ? { member: e.member, name: e.name, invitation: e.invitation } : { member: e.member, name: e.name };
      return s.knocks.some((k) => k.member === e.member)
        ? { ...s, knocks: s.knocks.map((k) => (k.member === e.member ? knock : k)) }
        : { ...s, knocks: [...s.knocks, knock] };
    }
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
        identity: { fingerprint: e.fingerprint, pairCode: e.pair_code, status: e.status, warning: e.warning },
      }));
    case "participant_away":
      return update(s, e.member, () => ({ away: true }));
    case "participant_back":
      return update(s, e.member, () => ({ away: false }));
    case "participant_left":
      return { ...s, participants: s.participants.filter((p) => p.member !== e.member), shares: s.shares.filter((x) => x.member !== e.member) };
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
        history: [...s.history, { peers: e.peers, shareOut: e.share_out }].slice(-HISTORY),
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
    case "removed_by_server":
    case "ended":
    case "left":
      return over(s, e.type);
    case "meeting_closed":
      return s.phase === "over" ? s : over(s, "left");
    case "error": {
      const error = { code: e.code, message: e.message };
      // A share's own failures, and a device failure while our share starts, belong to the share.
      if (e.code.startsWith("share.") || (s.shareStarting && e.code.startsWith("media."))) {
        return { ...s, shareStarting: false, shareProblem: error };
      }
      return { ...s, errors: [...s.errors, error].slice(-5) };
    }
    case "share_started":
      if (e.member === s.me) return { ...s, sharing: { source: e.source ?? null }, shareStarting: false, shareProblem: null };
      return { ...s, shares: [...s.shares.filter((x) => x.member !== e.member), { member: e.member, available: sharesOf(s, e.member)?.available ?? false }] };
    case "share_available":
      if (e.member === s.me) return s;
      return sharesOf(s, e.member)
        ? { ...s, shares: s.shares.map((x) => (x.member === e.member ? { ...x, available: true } : x)) }
        : { ...s, shares: [...s.shares, { member: e.member, available: true }] };
    case "share_stopped":
      if (e.member === s.me) {
        const gone = e.reason === "source_gone" && s.shareProblem?.code !== SOURCE_GONE.code;
        return { ...s, sharing: null, shareStarting: false, shareProblem: gone ? SOURCE_GONE : s.shareProblem };
      }
      return { ...s, shares: s.shares.filter((x) => x.member !== e.member) };
    case "first_remote_video":
    case "first_remote_audio":
    case "link_opened":
    case "preview_error":
      return s;
  }
}

function sharesOf(s: MeetingState, member: string): RemoteShare | undefined {
  return s.shares.find((x) => x.member === member);
}

/** Clears the notices the user has seen (the share's notice also forgets a start still awaited). */
export function dismiss(s: MeetingState, what: Dismissable): MeetingState {
  if (what === "errors") return { ...s, errors: [] };
  if (what === "shareProblem") return { ...s, shareProblem: null, shareStarting: false };
  return { ...s, [what]: false };
}

/** We sent `start_share`: until the meeting answers, a device failure is the share's. */
export function shareRequested(s: MeetingState): MeetingState {
  return { ...s, shareStarting: true, shareProblem: null };
}

/** The participant's share the stage shows: the newest. */
export function shownShare(s: Pick<MeetingState, "shares">): RemoteShare | null {
  return s.shares.at(-1) ?? null;
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
