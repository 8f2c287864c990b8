// Run-time checks of the JSON the shell sends, written as typed schemas: the compiler holds each
// schema to its TypeScript type (the phantom parameter is invariant), and the unit test
// `event_fixture` holds the TypeScript types to the JSON Rust writes from every `MeetingEvent`.
import type {
  AudioPlayoutStats,
  E2eeStatus,
  KnockEnd,
  KnockInvitation,
  LeaveReason,
  LinkAction,
  LinkState,
  LinkStats,
  LinkWarning,
  MeetingCommand,
  MeetingEvent,
  OpenedLink,
  PeerStats,
  Role,
  ServerView,
  Settings,
  ShareEnd,
  ShareSourceView,
  ShareStats,
  UiEvent,
} from "./types";

export interface Schema<T> {
  /** Appends what is wrong with `v` to `out`; `strict` also refuses fields the type lacks. */
  check(v: unknown, path: string, strict: boolean, out: string[]): void;
  /** Phantom, invariant in T. */
  readonly _type?: (t: T) => T;
}

const leaf = <T>(what: string, ok: (v: unknown) => boolean): Schema<T> => ({
  check(v, path, _strict, out) {
    if (!ok(v)) out.push(`${path}: expected ${what}, got ${JSON.stringify(v)}`);
  },
});

export const str = leaf<string>("a string", (v) => typeof v === "string");
export const num = leaf<number>("a number", (v) => typeof v === "number" && Number.isFinite(v));
export const bool = leaf<boolean>("a boolean", (v) => typeof v === "boolean");

export function oneOf<const T extends string>(...values: T[]): Schema<T> {
  return leaf<T>(`one of ${values.join(", ")}`, (v) => values.includes(v as T));
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return { check: (v, path, strict, out) => (v === null ? undefined : s.check(v, path, strict, out)) };
}

export function optional<T>(s: Schema<T>): Schema<T | undefined> {
  return { check: (v, path, strict, out) => (v === undefined ? undefined : s.check(v, path, strict, out)) };
}

export function arrayOf<T>(s: Schema<T>): Schema<T[]> {
  return {
    check(v, path, strict, out) {
      if (!Array.isArray(v)) return void out.push(`${path}: expected an array`);
      v.forEach((x, i) => s.check(x, `${path}[${i}]`, strict, out));
    },
  };
}

type Fields<T> = { [K in keyof T]-?: Schema<T[K]> };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkFields(fields: Record<string, Schema<unknown>>, v: unknown, path: string, strict: boolean, out: string[]) {
  if (!isRecord(v)) return void out.push(`${path}: expected an object`);
  for (const [k, s] of Object.entries(fields)) s.check(v[k], `${path}.${k}`, strict, out);
  if (strict) for (const k of Object.keys(v)) if (!(k in fields) && k !== "type") out.push(`${path}.${k}: not in the TypeScript type`);
}

export function obj<T>(fields: Fields<T>): Schema<T> {
  return { check: (v, path, strict, out) => checkFields(fields as Record<string, Schema<unknown>>, v, path, strict, out) };
}

type Variant<U extends { type: string }, K extends U["type"]> = Omit<Extract<U, { type: K }>, "type">;
export type Variants<U extends { type: string }> = { [K in U["type"]]: Fields<Variant<U, K>> };

/** A union tagged by "type", one field table per variant. */
export function tagged<U extends { type: string }>(variants: Variants<U>): Schema<U> {
  const table = variants as Record<string, Record<string, Schema<unknown>>>;
  return {
    check(v, path, strict, out) {
      if (!isRecord(v) || typeof v.type !== "string") return void out.push(`${path}: expected an object with a "type"`);
      const fields = table[v.type];
      if (!fields) return void out.push(`${path}.type: unknown "${v.type}"`);
      checkFields(fields, v, `${path}<${v.type}>`, strict, out);
    },
  };
}

const role = oneOf<Role>("host", "co_host", "participant");
const knockEnd = oneOf<KnockEnd>("admitted", "denied", "expired", "withdrawn");
const leaveReason = oneOf<LeaveReason>("left", "removed", "timed_out");
const linkState = oneOf<LinkState>("connecting", "connected", "disconnected", "failed", "closed");
const shareEnd = oneOf<ShareEnd>("stopped", "source_gone", "left");

const linkStats = obj<LinkStats>({
  rtt_ms: nullable(num),
  bytes_sent: num,
  bytes_received: num,
  packets_received: num,
  packets_lost: num,
  local_candidate: nullable(str),
  remote_candidate: nullable(str),
  estimate_kbps: nullable(num),
  queue_delay_ms: nullable(num),
});

const shareStats = obj<ShareStats>({ width: num, height: num, fps: num, bitrate_kbps: num, frames: num, keyframes: num });

const audioPlayoutStats = obj<AudioPlayoutStats>({
  target_ms: num,
  delay_ms: num,
  concealed: num,
  fec: num,
  late: num,
  accelerated: num,
  decelerated: num,
  comfort_noise: num,
  flushed: num,
});

const peerStats = obj<PeerStats>({
  member: str,
  name: str,
  state: nullable(linkState),
  link: linkStats,
  bitrate_in_kbps: num,
  bitrate_out_kbps: num,
  packet_loss_pct: num,
  frames_decoded: num,
  decode_errors: num,
  media_dropped: num,
  media_wrong_sender: num,
  media_unbound: num,
  audio_packets: num,
  audio_playout: audioPlayoutStats,
  audio_level: num,
  width: num,
  height: num,
  glass_to_glass_ms: nullable(num),
  lip_sync_ms: nullable(num),
  share: optional(shareStats),
  glass_to_glass_samples_ms: arrayOf(num),
});

const e2eeStatus = obj<E2eeStatus>({
  state: oneOf("end_to_end_encrypted", "waiting_for_keys"),
  epoch: nullable(num),
  security_code: nullable(str),
  frames_encrypted: num,
  frames_decrypted: num,
  dropped_auth_failed: num,
  dropped_replay: num,
  dropped_unknown_kid: num,
  dropped_malformed: num,
});

const knockInvitation = obj<KnockInvitation>({
  status: oneOf("invited", "revoked", "copied", "other_meeting", "other_signer", "forged"),
  invitee: optional(str),
  id: optional(str),
  signer: optional(str),
});

export const meetingEventVariants: Variants<MeetingEvent> = {
  created: { me: str },
  knock: {},
  in_lobby: {},
  admitted: { me: str },
  joined: { me: str, role },
  knock_received: { member: str, name: str, invitation: optional(knockInvitation) },
  knock_gone: { member: str, reason: knockEnd },
  participant_joined: { member: str, name: str },
  participant_named: { member: str, name: str },
  peer_identity: {
    member: str,
    name: str,
    fingerprint: str,
    pair_code: str,
    status: oneOf("verified", "unverified", "key_changed"),
    previous_fingerprint: optional(str),
    warning: optional(str),
  },
  participant_away: { member: str },
  participant_back: { member: str },
  participant_left: { member: str, reason: leaveReason },
  link: { member: str, state: linkState },
  first_remote_video: { member: str, ms_since_start: num },
  first_remote_audio: { member: str, ms_since_start: num },
  stats: { peers: arrayOf(peerStats), share_out: optional(shareStats), e2ee: e2eeStatus },
  role_changed: { member: str, role },
  locked: { locked: bool },
  hand_raised: { member: str, raised: bool },
  muted_by_host: {},
  unmute_requested: {},
  security_code: { epoch: num, code: str, members: num },
  reconnecting: {},
  resumed: { after_restart: bool },
  denied: {},
  no_such_meeting: {},
  room_locked: {},
  removed: {},
  removed_by_server: {},
  ended: {},
  left: {},
  error: { code: str, message: str },
  share_started: { member: str, source: optional(str) },
  share_stopped: { member: str, reason: shareEnd },
};

export const meetingEvent = tagged<MeetingEvent>(meetingEventVariants);

export const meetingCommandVariants: Variants<MeetingCommand> = {
  admit: { member: str },
  deny: { member: str },
  lock: { locked: bool },
  remove: { member: str },
  set_role: { member: str, role },
  request_unmute: { member: str },
  mute: { member: str },
  raise_hand: { raised: bool },
  mute_microphone: { muted: bool },
  mute_camera: { muted: bool },
  start_share: { source: str },
  stop_share: {},
  verify: { member: str },
  revoke_invitation: { id: str },
  end_for_all: {},
  leave: {},
};

export const meetingCommand = tagged<MeetingCommand>(meetingCommandVariants);

const serverView = obj<ServerView>({ host: str, port: num, tls: bool, room: str, pin: nullable(arrayOf(num)) });

const linkAction = tagged<LinkAction>({
  join_trygg: { server: serverView, personal: bool },
  dial_sip: { uri: str, bridge_available: bool },
  dial_phone: { number: str, dtmf: optional(str), bridge_available: bool },
  open_vendor: { vendor: str, url: str, host: str, sip_gateway: optional(str) },
  none: { code: str, reason: str },
});

export const openedLink = obj<OpenedLink>({
  id: num,
  kind: str,
  action: linkAction,
  warnings: arrayOf(obj<LinkWarning>({ type: str, blocks: bool, message: str })),
  title: nullable(str),
});

export const uiEvent = tagged<UiEvent>({
  ...meetingEventVariants,
  video_available: { member: str },
  share_available: { member: str },
  link_opened: { opened: openedLink },
  preview_error: { code: str, message: str },
  meeting_closed: {},
});

/** A thumbnail must be an inline BMP: the page loads no picture from anywhere else. */
const bmpDataUrl = leaf<string>("a data:image/bmp;base64 URL", (v) => typeof v === "string" && /^data:image\/bmp;base64,[A-Za-z0-9+/]+={0,2}$/.test(v));

export const shareSource = obj<ShareSourceView>({
  id: str,
  kind: oneOf("screen", "window"),
  name: str,
  width: num,
  height: num,
  thumbnail: nullable(bmpDataUrl),
});

/** What `share_sources` returns. */
export const shareSources = arrayOf(shareSource);

/** What is wrong with `v` as a `T` (empty: nothing). */
export function problems<T>(schema: Schema<T>, v: unknown, strict = false): string[] {
  const out: string[] = [];
  schema.check(v, "$", strict, out);
  return out;
}

export function is<T>(schema: Schema<T>, v: unknown): v is T {
  return problems(schema, v).length === 0;
}

export const settings = obj<Settings>({
  camera: str,
  microphone: str,
  speaker: str,
  name: str,
  server: str,
  ice: arrayOf(str),
  turn_user: str,
  audio: obj<Settings["audio"]>({ echo_cancellation: bool, noise_suppression: bool, gain_control: bool }),
  language: oneOf("en", "nb", "sv"),
  window: obj<Settings["window"]>({ width: num, height: num }),
});
