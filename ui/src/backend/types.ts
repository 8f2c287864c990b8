// The types the shell and the UI exchange. They mirror Rust: `MeetingEvent` (src/meeting/mod.rs,
// serde tag "type"), the shell's commands and events (src-tauri/src/command.rs, event.rs) and the
// settings file (src-tauri/src/settings.rs). `validate.ts` checks JSON against them at run time,
// and the unit test `event_fixture` checks them against JSON that a Rust test writes from every
// Rust variant, so the two sides cannot drift apart silently.

export type Role = "host" | "co_host" | "participant";
export type KnockEnd = "admitted" | "denied" | "expired" | "withdrawn";
export type LeaveReason = "left" | "removed" | "timed_out";
export type LinkState = "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface LinkStats {
  rtt_ms: number | null;
  bytes_sent: number;
  bytes_received: number;
  packets_received: number;
  packets_lost: number;
  local_candidate: string | null;
  remote_candidate: string | null;
  /** What the link's congestion control estimates it carries from us, kbit/s. */
  estimate_kbps: number | null;
  /** How long our packets wait in queues on the way, ms (95th percentile of the last second). */
  queue_delay_ms: number | null;
}

export interface PeerStats {
  member: string;
  name: string;
  state: LinkState | null;
  link: LinkStats;
  bitrate_in_kbps: number;
  bitrate_out_kbps: number;
  packet_loss_pct: number;
  frames_decoded: number;
  decode_errors: number;
  /** Received pictures and audio packets dropped because the decoder was behind. */
  media_dropped: number;
  /** Dropped: from another member's leaf than the one this member announced in the group. */
  media_wrong_sender: number;
  /** Dropped: arrived before this member said in the group who it is. */
  media_unbound: number;
  audio_packets: number;
  /** Their audio's playout: how long it is held against jitter, what was concealed or stretched. */
  audio_playout: AudioPlayoutStats;
  /** The loudest 20 ms of their audio over the last second, RMS 0..1 (the active speaker). */
  audio_level: number;
  width: number;
  height: number;
  glass_to_glass_ms: number | null;
  /** How far the pictures shown in the last second were ahead of their sound (ms, median; negative: behind); null when it cannot be told. */
  lip_sync_ms: number | null;
  /** What they share, while they share (as this device receives it). */
  share?: ShareStats;
  glass_to_glass_samples_ms: number[];
}

/** One participant's audio playout since the start. */
export interface AudioPlayoutStats {
  /** Audio held on purpose (ms): 95 % of packets arrive within it, 20 ms at least. */
  target_ms: number;
  /** How long the audio now playing was held beyond its quickest arrival (ms). */
  delay_ms: number;
  concealed: number;
  fec: number;
  late: number;
  accelerated: number;
  decelerated: number;
  comfort_noise: number;
  flushed: number;
}

/** A screen share's numbers over the last second (ours as sent, or another's as received). */
export interface ShareStats {
  width: number;
  height: number;
  /** Pictures a second: about 5 for still content, up to 15 while it moves. */
  fps: number;
  bitrate_kbps: number;
  /** Pictures since the share started. */
  frames: number;
  /** Keyframes since the share started (ours sent, another's received). */
  keyframes: number;
}

/** Why a screen share ended. */
export type ShareEnd = "stopped" | "source_gone" | "left";

export type ShareKind = "screen" | "window";

/** One screen or window the share picker offers (the shell's `share_sources`). */
export interface ShareSourceView {
  /** What `start_share` takes, e.g. "screen:0" or "window:0x3a00007". */
  id: string;
  kind: ShareKind;
  name: string;
  width: number;
  height: number;
  /** A small picture of it, `data:image/bmp;base64,…`. */
  thumbnail: string | null;
}

export type E2eeState = "end_to_end_encrypted" | "waiting_for_keys";

export interface E2eeStatus {
  state: E2eeState;
  epoch: number | null;
  security_code: string | null;
  frames_encrypted: number;
  frames_decrypted: number;
  dropped_auth_failed: number;
  dropped_replay: number;
  dropped_unknown_kid: number;
  dropped_malformed: number;
}

/**
 * What a knock's personal invitation is worth (Rust `KnockInvitation`): `invited` (made for this
 * meeting by its host or a co-host, for `invitee`), `revoked`, `copied` (a real invitation taken
 * out of someone else's knock: the knocker does not hold it), `other_meeting`, `other_signer`
 * (signed by someone who does not host this meeting) or `forged`.
 */
export interface KnockInvitation {
  status: "invited" | "revoked" | "copied" | "other_meeting" | "other_signer" | "forged";
  invitee?: string;
  id?: string;
  signer?: string;
}

/** What this device knows of a participant's identity key (Rust `trust::IdentityStatus`). */
export type IdentityStatus = "verified" | "unverified" | "key_changed";

/** Everything that happens in a meeting (Rust `MeetingEvent`, less the video channel). */
export type MeetingEvent =
  | { type: "created"; me: string }
  | { type: "knock" }
  | { type: "in_lobby" }
  | { type: "admitted"; me: string }
  | { type: "joined"; me: string; role: Role }
  | { type: "knock_received"; member: string; name: string; invitation?: KnockInvitation }
  | { type: "knock_gone"; member: string; reason: KnockEnd }
  | { type: "participant_joined"; member: string; name: string }
  | { type: "participant_named"; member: string; name: string }
  | {
      type: "peer_identity";
      member: string;
      name: string;
      fingerprint: string;
      /** The code we and they read to each other to verify each other (the same on both screens). */
      pair_code: string;
      status: IdentityStatus;
      previous_fingerprint?: string;
      warning?: string;
    }
  | { type: "participant_away"; member: string }
  | { type: "participant_back"; member: string }
  | { type: "participant_left"; member: string; reason: LeaveReason }
  | { type: "link"; member: string; state: LinkState }
  | { type: "first_remote_video"; member: string; ms_since_start: number }
  | { type: "first_remote_audio"; member: string; ms_since_start: number }
  | { type: "stats"; peers: PeerStats[]; share_out?: ShareStats; e2ee: E2eeStatus }
  | { type: "role_changed"; member: string; role: Role }
  | { type: "locked"; locked: boolean }
  | { type: "hand_raised"; member: string; raised: boolean }
  | { type: "muted_by_host" }
  | { type: "unmute_requested" }
  | { type: "security_code"; epoch: number; code: string; members: number }
  | { type: "reconnecting" }
  | { type: "resumed"; after_restart: boolean }
  | { type: "denied" }
  | { type: "no_such_meeting" }
  | { type: "room_locked" }
  | { type: "removed" }
  /** The server took us out, and no host or co-host asked for it in the encrypted group. */
  | { type: "removed_by_server" }
  | { type: "ended" }
  | { type: "left" }
  | { type: "error"; code: string; message: string }
  /** Someone started sharing: `member` is us (and `source` names what) when we did. */
  | { type: "share_started"; member: string; source?: string }
  | { type: "share_stopped"; member: string; reason: ShareEnd };

/** What the shell adds to the meeting's own events. */
export type ShellEvent =
  /** A participant's pictures can be watched (`Backend.watchVideo`). */
  | { type: "video_available"; member: string }
  /** A participant's screen share can be watched (`Backend.watchVideo` with "share:" + member). */
  | { type: "share_available"; member: string }
  /** A link reached the app: a deep link, a second launch, or an opened .ics file. */
  | { type: "link_opened"; opened: OpenedLink }
  /** The pre-join preview stopped: its camera or microphone failed (e.g. was unplugged). */
  | { type: "preview_error"; code: string; message: string }
  /** The meeting task ended (after `left`, `ended`, `removed` or a failure). */
  | { type: "meeting_closed" };

export type UiEvent = MeetingEvent | ShellEvent;

/** What the UI may ask of the meeting (Rust `MeetingCommand` through the shell's `UiCommand`). */
export type MeetingCommand =
  | { type: "admit"; member: string }
  | { type: "deny"; member: string }
  | { type: "lock"; locked: boolean }
  | { type: "remove"; member: string }
  | { type: "set_role"; member: string; role: Role }
  | { type: "request_unmute"; member: string }
  | { type: "mute"; member: string }
  | { type: "raise_hand"; raised: boolean }
  | { type: "mute_microphone"; muted: boolean }
  | { type: "mute_camera"; muted: boolean }
  /** Share a screen or window (an id from `Backend.shareSources`); replaces our running share. */
  | { type: "start_share"; source: string }
  | { type: "stop_share" }
  /** We compared the security code with this participant: remember their key as verified. */
  | { type: "verify"; member: string }
  /** Revoke a personal invitation (host): its id, as the knock showed it. */
  | { type: "revoke_invitation"; id: string }
  | { type: "end_for_all" }
  | { type: "leave" };

/** Every failure the shell reports: a stable code and a sentence (for logs; the UI has its own). */
export interface BackendError {
  code: string;
  message: string;
}

export interface VideoFormat {
  width: number;
  height: number;
  fps: number;
  pixel_format: string;
}
export interface CameraDevice {
  id: string;
  name: string;
  formats: VideoFormat[];
}
export interface AudioDevice {
  id: string;
  name: string;
  is_default: boolean;
}
export interface DeviceList {
  cameras: CameraDevice[];
  microphones: AudioDevice[];
  speakers: AudioDevice[];
  problems: string[];
}

export type Language = "en" | "nb" | "sv";

/** The settings file (no secrets: the TURN password lives in the keychain). */
export interface Settings {
  /** "camera", "camera:ID", "synthetic" or "none". */
  camera: string;
  /** "mic", "mic:ID", "synthetic" or "none". */
  microphone: string;
  /** "default", a speaker id, or "none". */
  speaker: string;
  name: string;
  /** HOST:PORT of a meeting server; empty: Trygg runs one on this machine. */
  server: string;
  /** STUN/TURN URLs, one per entry. */
  ice: string[];
  turn_user: string;
  /** What is done to the microphone before it is sent (all on by default). */
  audio: AudioProcessing;
  language: Language;
  window: { width: number; height: number };
}

export interface AudioProcessing {
  echo_cancellation: boolean;
  noise_suppression: boolean;
  gain_control: boolean;
}

export interface Identity {
  /** Hex SHA-256 of this device's identity key. */
  fingerprint: string;
}

/** Where a Trygg link points: never the secret (the shell keeps it). */
export interface ServerView {
  host: string;
  port: number;
  tls: boolean;
  room: string;
  pin: number[] | null;
}

export interface LinkWarning {
  type: string;
  blocks: boolean;
  message: string;
}

/** What the links parser made of an input; `id` names the parsed link the shell keeps. */
export type LinkAction =
  | { type: "join_trygg"; server: ServerView; personal: boolean }
  | { type: "dial_sip"; uri: string; bridge_available: boolean }
  | { type: "dial_phone"; number: string; dtmf?: string; bridge_available: boolean }
  | { type: "open_vendor"; vendor: string; url: string; host: string; sip_gateway?: string }
  | { type: "none"; code: string; reason: string };

export interface OpenedLink {
  id: number;
  /** "url", "text" or "ics". */
  kind: string;
  action: LinkAction;
  warnings: LinkWarning[];
  /** The event title of an invite, when it has one. */
  title: string | null;
}

/** What the pre-join screen chose. */
export interface JoinOptions {
  name: string;
  camera: string;
  microphone: string;
  speaker: string;
  camera_off: boolean;
  microphone_off: boolean;
}

/** What the host is told after starting: enough to tell people where, never the secret. */
export interface HostedMeeting {
  server: ServerView;
}

/** One decoded picture, tightly packed I420 (Y, then U, then V). */
export interface VideoFrame {
  width: number;
  height: number;
  seq: number;
  /** When the picture was decoded (or captured), µs since the Unix epoch, low 32 bits. */
  timeUs?: number;
  /** "rgba": `data` holds four bytes a pixel, R first (what the 2D canvas draws); otherwise I420. */
  format?: "rgba";
  data: Uint8Array;
}
