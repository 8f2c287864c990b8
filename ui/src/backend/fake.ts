// A backend that runs the whole UI in a browser: a scripted meeting with synthetic pictures.
// Tests drive it through `window.__fake` (see `FakeControls`): knocks arrive, errors are
// injected, participants share their screens, and every command the UI sent is recorded.
import { i420ToRgba } from "../video/i420_rgba";
import type { Backend, Preview, Unsubscribe } from "./backend";
import { decodeFrame, encodeFrame, FRAME_HEADER, RGBA_MAGIC } from "./frames";
import type {
  BackendError,
  DeviceList,
  JoinOptions,
  KnockInvitation,
  MeetingCommand,
  MeetingEvent,
  OpenedLink,
  PeerStats,
  Settings,
  ServerView,
  ShareEnd,
  ShareSourceView,
  ShareStats,
  UiEvent,
  VideoFrame,
} from "./types";

const FPS = 15;
/** A shared screen: large (scrolls at 100 %) and still, as slides are, at a share's slow pace. */
const SHARE_SIZE = { width: 1600, height: 900 };
const SHARE_FPS = 5;

/** A moving test picture: luma bars that slide with `seq`, chroma from `hue`. */
export function testPicture(width: number, height: number, seq: number, hue: [number, number]): VideoFrame {
  const data = new Uint8Array(width * height * 1.5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = 40 + ((((x + seq * 4) >> 4) + (y >> 5)) % 2) * 150;
  }
  const quarter = (width * height) / 4;
  data.fill(hue[0], width * height, width * height + quarter);
  data.fill(hue[1], width * height + quarter);
  return { width, height, seq, data };
}

/** The picture in RGBA, as the desktop app's web extension hands it to a 2D canvas: through the
 *  same `TRR1` format, read back by the page's own reader. */
export function rgbaPicture(f: VideoFrame): VideoFrame {
  const out = new ArrayBuffer(FRAME_HEADER + f.width * f.height * 4);
  new Uint8Array(out).set(new Uint8Array(encodeFrame(f), 0, FRAME_HEADER));
  new DataView(out).setUint32(0, RGBA_MAGIC, true);
  i420ToRgba(f.data, f.width, f.height, new Uint32Array(out, FRAME_HEADER));
  const back = decodeFrame(out);
  if (!back) throw new Error("an RGBA picture that does not read back");
  return back;
}

/** The still part of a shared slide: white, a dark title bar, and lines of grey "text". */
export function slideBase(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 1.5);
  data.fill(225, 0, width * height);
  data.fill(128, width * height);
  const margin = width >> 4;
  for (let y = 0; y < height; y++) {
    const title = y < height >> 3;
    const text = y > height / 5 && y < height * 0.9 && y % 48 < 18;
    if (!title && !text) continue;
    const end = title ? width : Math.round(width * (0.5 + 0.15 * (((y / 48) | 0) % 3)));
    data.fill(title ? 60 : 120, y * width + (title ? 0 : margin), y * width + end);
  }
  return data;
}

/** A slide as a participant shares it: `slideBase` and a pointer that moves with `seq`. */
export function slidePicture(width: number, height: number, seq: number, base = slideBase(width, height)): VideoFrame {
  const data = base.slice();
  const x = (seq * 38) % (width - 24);
  const y = Math.max(0, Math.min(height >> 1, height - 24));
  for (let row = y; row < y + 24; row++) data.fill(20, row * width + x, row * width + x + 24);
  return { width, height, seq, data };
}

/** A 24-bit bottom-up BMP as a data URL, as the shell sends thumbnails, drawn by `pixel` (RGB). */
export function bmpDataUrl(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): string {
  const row = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + row * height;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4d]);
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, row * height, true);
  view.setUint32(38, 2835, true);
  view.setUint32(42, 2835, true);
  for (let y = 0; y < height; y++) {
    const start = 54 + (height - 1 - y) * row;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      bytes.set([b, g, r], start + x * 3);
    }
  }
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/bmp;base64,${btoa(binary)}`;
}

type Rgb = [number, number, number];

/** A thumbnail of a screen (a desktop with two windows) or of a window (a title bar, text). */
function thumbnail(kind: "screen" | "window", width: number, height: number, tint: Rgb): string {
  const w = 120;
  const h = Math.max(2, Math.round((w * height) / width));
  return bmpDataUrl(w, h, (x, y): Rgb => {
    if (kind === "screen") {
      if (y < 4) return [30, 30, 30];
      const inWindow = (x > 10 && x < 70 && y > 12 && y < h - 20) || (x > 55 && x < 110 && y > 25 && y < h - 8);
      return inWindow ? (y % 6 < 2 ? [90, 90, 90] : [240, 240, 240]) : tint;
    }
    if (y < 10) return tint;
    return y % 8 < 3 && x > 8 && x < w - 20 ? [70, 70, 70] : [250, 250, 250];
  });
}

/** What the fake offers to share: two screens and two windows, with thumbnails. */
export function defaultShareSources(): ShareSourceView[] {
  const source = (id: string, kind: "screen" | "window", name: string, width: number, height: number, tint: Rgb): ShareSourceView => ({
    id,
    kind,
    name,
    width,
    height,
    thumbnail: thumbnail(kind, width, height, tint),
  });
  return [
    source("screen:0", "screen", "Built-in display", 2560, 1600, [40, 90, 160]),
    source("screen:1", "screen", "DELL U2720Q", 3840, 2160, [30, 120, 90]),
    source("window:0x3a00007", "window", "Slides — Quarterly review", 1600, 900, [200, 80, 40]),
    source("window:0x4c0001a", "window", "Terminal", 960, 600, [60, 60, 60]),
  ];
}

/** A made-up pair code (five groups of four digits) from a participant's member id. */
function pairCodeOf(member: string): string {
  let n = 0;
  for (const ch of member) n = (n * 31 + ch.charCodeAt(0)) % 1_000_000_007;
  const digits = String(n).padStart(10, "0").repeat(2);
  return digits.match(/.{4}/g)!.join(" ");
}

/** A participant's key fingerprint, made up from their member id. */
function fingerprintOf(member: string): string {
  const hex = Array.from({ length: 64 }, (_, i) => ((member.charCodeAt(i % member.length) * 31 + i * 7) % 16).toString(16)).join("");
  return hex.match(/.{4}/g)!.join(" ");
}

function defaultSettings(): Settings {
  return {
    // The shell's defaults (src-tauri/src/settings.rs): the system's devices.
    camera: "camera",
    microphone: "mic",
    speaker: "default",
    name: "",
    server: "",
    ice: [],
    turn_user: "",
    audio: { echo_cancellation: true, noise_suppression: true, gain_control: true },
    language: "en",
    window: { width: 1200, height: 800 },
  };
}

const DEVICES: DeviceList = {
  cameras: [
    { id: "fake-front", name: "Front camera", formats: [{ width: 1280, height: 720, fps: 30, pixel_format: "MJPEG" }] },
    { id: "fake-usb", name: "USB camera", formats: [{ width: 640, height: 480, fps: 30, pixel_format: "YUYV" }] },
  ],
  microphones: [
    { id: "fake-mic", name: "Built-in microphone", is_default: true },
    { id: "fake-headset", name: "Headset microphone", is_default: false },
  ],
  speakers: [
    { id: "fake-speakers", name: "Speakers", is_default: true },
    { id: "fake-headphones", name: "Headphones", is_default: false },
  ],
  problems: [],
};

const SERVER: ServerView = { host: "meet.example.org", port: 7443, tls: true, room: "abcdefghijklmnopqrstuvwxyz", pin: null };

interface Remote {
  member: string;
  name: string;
  hue: [number, number];
  fingerprint: string;
}

/** What tests may do to the fake (window.__fake). */
export interface FakeControls {
  /** Every command the UI sent, oldest first. */
  commands: MeetingCommand[];
  /** Video channels the page is subscribed to now. */
  watching(): number;
  /** Calls of the other methods, by name. */
  calls: string[];
  /** The options of each `host` and `join`, in order. */
  joinOptions: JoinOptions[];
  /** The next call of `method` fails with this error. */
  failNext(method: string, error: BackendError): void;
  /** What `devices` answers from now on (null: the usual two of each). */
  devices(list: DeviceList | null): void;
  /** Someone knocks (host side), with what their personal invitation is worth, if any. */
  knock(member: string, name: string, invitation?: KnockInvitation): void;
  /** Our knock is answered (joiner side). */
  answerKnock(admitted: boolean): void;
  /** Any event, as the shell would send it. */
  emit(e: UiEvent): void;
  /** Audio levels (RMS 0..1) per member, sent at once in a stats event (the active speaker). */
  levels(levels: Record<string, number>): void;
  /** What `shareSources` answers from now on: a list, a failure, or (null) the usual two
   *  screens and two windows. */
  shareSources(answer: ShareSourceView[] | BackendError | null): void;
  /** A participant starts sharing their screen; its pictures come on "share:" + member. */
  remoteShare(member: string): void;
  /** A participant's share ends. */
  remoteShareStop(member: string, reason?: ShareEnd): void;
  /** The window we share closes (or the screen goes away): our share stops by itself. */
  shareSourceGone(): void;
  /** The next share does not start: the meeting answers with this error, as when the system's
   *  sharing dialog is cancelled. */
  refuseNextShare(error: BackendError): void;
}

export function createFakeBackend(): Backend & { controls: FakeControls } {
  let settings = defaultSettings();
  const listeners = new Set<(e: UiEvent) => void>();
  const failures = new Map<string, BackendError>();
  let devices: DeviceList | null = null;
  const remotes = new Map<string, Remote>();
  const knocks = new Map<string, { name: string; invitation?: KnockInvitation }>();
  let me = "";
  let epoch = 0;
  let cameraOff = false;
  let running = false;
  let statsTimer: number | undefined;
  const commands: MeetingCommand[] = [];
  const calls: string[] = [];
  const joinOptions: JoinOptions[] = [];
  let linkIds = 0;
  let levelOverride: Record<string, number> = {};
  let statsTick: () => void = () => undefined;
  let shareAnswer: ShareSourceView[] | BackendError | null = null;
  let sharing: ShareSourceView | null = null;
  let shareRefusal: BackendError | null = null;
  const remoteShares = new Set<string>();

  const emit = (e: UiEvent) => listeners.forEach((l) => l(e));
  const later = (f: () => void, ms = 30) => window.setTimeout(f, ms);

  async function guard(method: string) {
    calls.push(method);
    const failure = failures.get(method);
    if (failure) {
      failures.delete(method);
      throw failure;
    }
  }

  function rekey() {
    epoch += 1;
    const code = Array.from({ length: 6 }, (_, i) => String((epoch * 7919 + i * 1237) % 10000).padStart(4, "0")).join(" ");
    emit({ type: "security_code", epoch, code, members: remotes.size + 1 });
  }

  function peerStats(r: Remote, t: number): PeerStats {
    return {
      member: r.member,
      name: r.name,
      state: "connected",
      link: { rtt_ms: 20 + 8 * Math.sin(t / 3), bytes_sent: t * 190_000, bytes_received: t * 185_000, packets_received: t * 160, packets_lost: 0, local_candidate: "host", remote_candidate: "host", estimate_kbps: 2100 + 100 * Math.sin(t / 5), queue_delay_ms: 3 + 2 * Math.sin(t / 4) },
      bitrate_in_kbps: 1450 + 80 * Math.sin(t),
      bitrate_out_kbps: 1500 + 60 * Math.cos(t),
      packet_loss_pct: Math.max(0, 0.4 * Math.sin(t / 2)),
      frames_decoded: t * 30,
      decode_errors: 0,
      media_dropped: 0,
      media_wrong_sender: 0,
      media_unbound: 0,
      audio_packets: t * 50,
      audio_playout: { target_ms: 20, delay_ms: 24, concealed: 0, fec: 0, late: 0, accelerated: 0, decelerated: 0, comfort_noise: 0, flushed: 0 },
      audio_level: levelOverride[r.member] ?? 0.01,
      width: 1280,
      height: 720,
      glass_to_glass_ms: null,
      lip_sync_ms: null,
      ...(remoteShares.has(r.member) ? { share: { ...SHARE_SIZE, fps: SHARE_FPS, bitrate_kbps: 120 + 15 * Math.sin(t), frames: t * SHARE_FPS, keyframes: 1 } } : {}),
      glass_to_glass_samples_ms: [],
    };
  }

  function shareOut(t: number): ShareStats | null {
    return sharing ? { width: sharing.width, height: sharing.height, fps: 15, bitrate_kbps: 900 + 50 * Math.cos(t), frames: t * 15, keyframes: 1 } : null;
  }

  function startStats() {
    let t = 0;
    statsTick = () => {
      t += 1;
      const e2ee = {
        state: "end_to_end_encrypted" as const,
        epoch,
        security_code: null,
        frames_encrypted: t * 80,
        frames_decrypted: t * 80 * remotes.size,
        dropped_auth_failed: 0,
        dropped_replay: 0,
        dropped_unknown_kid: 0,
        dropped_malformed: 0,
      };
      const out = shareOut(t);
      emit({ type: "stats", peers: [...remotes.values()].map((r) => peerStats(r, t)), ...(out ? { share_out: out } : {}), e2ee });
    };
    statsTimer = window.setInterval(statsTick, 1000);
  }

  function enter(role: "host" | "participant") {
    me = role === "host" ? "me0000000000000a" : "me0000000000000b";
    if (role === "host") emit({ type: "created", me });
    else emit({ type: "admitted", me });
    emit({ type: "joined", me, role });
    if (role === "participant") addRemote("host000000000001", "Kari Nordmann");
    rekey();
    startStats();
  }

  function addRemote(member: string, name: string) {
    const hue: [number, number] = remotes.size % 2 ? [90, 200] : [200, 90];
    const fingerprint = fingerprintOf(member);
    remotes.set(member, { member, name, hue, fingerprint });
    emit({ type: "participant_joined", member, name });
    later(() => {
      emit({ type: "link", member, state: "connected" });
      emit({ type: "video_available", member });
      emit({ type: "first_remote_video", member, ms_since_start: 850 });
      emit({ type: "peer_identity", member, name, fingerprint, pair_code: pairCodeOf(member), status: "unverified" });
    });
  }

  function close(final: MeetingEvent) {
    running = false;
    window.clearInterval(statsTimer);
    remotes.clear();
    knocks.clear();
    sharing = null;
    remoteShares.clear();
    emit(final);
    emit({ type: "meeting_closed" });
  }

  function meetingCommand(c: MeetingCommand) {
    switch (c.type) {
      case "admit": {
        const name = knocks.get(c.member)?.name;
        if (name === undefined) return;
        knocks.delete(c.member);
        emit({ type: "knock_gone", member: c.member, reason: "admitted" });
        addRemote(c.member, name);
        return later(rekey, 60);
      }
      case "deny":
        knocks.delete(c.member);
        return emit({ type: "knock_gone", member: c.member, reason: "denied" });
      case "lock":
        return emit({ type: "locked", locked: c.locked });
      case "remove":
        remotes.delete(c.member);
        if (remoteShares.delete(c.member)) emit({ type: "share_stopped", member: c.member, reason: "left" });
        emit({ type: "participant_left", member: c.member, reason: "removed" });
        return later(rekey, 60);
      case "set_role":
        return emit({ type: "role_changed", member: c.member, role: c.role });
      case "raise_hand":
        return emit({ type: "hand_raised", member: me, raised: c.raised });
      case "mute_camera":
        cameraOff = c.muted;
        return;
      case "end_for_all":
        return close({ type: "ended" });
      case "leave":
        return close({ type: "left" });
      case "start_share": {
        const source = shareList().find((s) => s.id === c.source);
        if (!source) return emit({ type: "error", code: "media.device_not_found", message: `the screen could not be shared: no ${c.source}` });
        if (shareRefusal) {
          const { code, message } = shareRefusal;
          shareRefusal = null;
          return later(() => emit({ type: "error", code, message: `the screen could not be shared: ${message}` }));
        }
        if (sharing) emit({ type: "share_stopped", member: me, reason: "stopped" });
        sharing = source;
        return later(() => emit({ type: "share_started", member: me, source: `${source.kind} "${source.name}"` }));
      }
      case "stop_share":
        if (!sharing) return;
        sharing = null;
        return emit({ type: "share_stopped", member: me, reason: "stopped" });
      case "revoke_invitation":
        for (const [member, k] of knocks) {
          if (k.invitation?.status !== "invited" || k.invitation.id !== c.id) continue;
          k.invitation = { ...k.invitation, status: "revoked" };
          emit({ type: "knock_received", member, name: k.name, invitation: k.invitation });
        }
        return;
      case "verify": {
        const r = remotes.get(c.member);
        if (!r) return emit({ type: "error", code: "trust.unknown_member", message: `no identity key known for ${c.member}` });
        return emit({
          type: "peer_identity",
          member: r.member,
          name: r.name,
          fingerprint: r.fingerprint,
          pair_code: pairCodeOf(r.member),
          status: "verified",
        });
      }
      case "mute_microphone":
      case "request_unmute":
      case "mute":
        return;
    }
  }

  let watching = 0;

  function frames(onFrame: (f: VideoFrame) => void, hue: [number, number], paused: () => boolean): () => void {
    let seq = 0;
    const timer = window.setInterval(() => {
      if (!paused()) onFrame(testPicture(320, 180, seq++, hue));
    }, 1000 / FPS);
    return () => window.clearInterval(timer);
  }

  function shareList(): ShareSourceView[] {
    return Array.isArray(shareAnswer) ? shareAnswer : defaultShareSources();
  }

  /** A participant's shared screen: still slides with a moving pointer, while they share. */
  function shareFrames(member: string, onFrame: (f: VideoFrame) => void): () => void {
    let seq = 0;
    const base = slideBase(SHARE_SIZE.width, SHARE_SIZE.height);
    const timer = window.setInterval(() => {
      if (remoteShares.has(member)) onFrame(slidePicture(SHARE_SIZE.width, SHARE_SIZE.height, seq++, base));
    }, 1000 / SHARE_FPS);
    return () => window.clearInterval(timer);
  }

  const controls: FakeControls = {
    commands,
    watching: () => watching,
    calls,
    joinOptions,
    failNext: (method, error) => void failures.set(method, error),
    devices: (list) => void (devices = list),
    knock(member, name, invitation) {
      knocks.set(member, { name, invitation });
      emit(invitation ? { type: "knock_received", member, name, invitation } : { type: "knock_received", member, name });
    },
    answerKnock(admitted) {
      if (admitted) enter("participant");
      else close({ type: "denied" });
    },
    emit,
    levels(levels) {
      levelOverride = levels;
      statsTick();
    },
    shareSources(answer) {
      shareAnswer = answer;
    },
    refuseNextShare(error) {
      shareRefusal = error;
    },
    remoteShare(member) {
      if (!remotes.has(member) || remoteShares.has(member)) return;
      remoteShares.add(member);
      // As the shell does: the pictures' channel first, then who shares.
      emit({ type: "share_available", member });
      emit({ type: "share_started", member });
    },
    remoteShareStop(member, reason = "stopped") {
      if (remoteShares.delete(member)) emit({ type: "share_stopped", member, reason });
    },
    shareSourceGone() {
      if (!sharing) return;
      sharing = null;
      emit({ type: "share_stopped", member: me, reason: "source_gone" });
      emit({ type: "error", code: "share.source_gone", message: "sharing stopped: the shared window or screen is gone" });
    },
  };

  return {
    controls,
    async devices() {
      await guard("devices");
      return structuredClone(devices ?? DEVICES);
    },
    async settings() {
      await guard("settings");
      return structuredClone(settings);
    },
    async saveSettings(s) {
      await guard("saveSettings");
      settings = structuredClone(s);
    },
    async setTurnPassword() {
      await guard("setTurnPassword");
    },
    async identity() {
      await guard("identity");
      return { fingerprint: "3f9a5c0e7b1d24f8a6c3e9b07d5f1a2c4e6b8d0f1a3c5e7f9b2d4f6a8c0e1b3d" };
    },
    async openLink(input) {
      await guard("openLink");
      const text = input.trim();
      const id = ++linkIds;
      const common = { id, kind: "url", warnings: [], title: null };
      if (/^https:\/\/([a-z0-9-]+\.)*zoom\.us\//.test(text)) {
        return { ...common, action: { type: "open_vendor", vendor: "zoom", url: text, host: "zoom.us" } };
      }
      if (/^(trygg:\/\/|https:\/\/[^/]+\/j\/)/.test(text) || /^[a-z2-7]{26}$/.test(text)) {
        return { ...common, action: { type: "join_trygg", server: SERVER, personal: false } };
      }
      return {
        ...common,
        action: { type: "none", code: "links.no_meeting_found", reason: "no meeting link found" },
      } satisfies OpenedLink;
    },
    async mark() {},
    async takeOpenedLinks() {
      await guard("takeOpenedLinks");
      return [];
    },
    async startPreview(camera, _microphone, onFrame, onLevel): Promise<Preview> {
      await guard("startPreview");
      const stopFrames = camera === "none" ? () => undefined : frames(onFrame, [110, 150], () => false);
      let t = 0;
      const meter = window.setInterval(() => onLevel(Math.abs(Math.sin((t += 0.35))) * 0.8), 50);
      return {
        async stop() {
          stopFrames();
          window.clearInterval(meter);
        },
      };
    },
    async host(options: JoinOptions) {
      await guard("host");
      joinOptions.push(structuredClone(options));
      running = true;
      cameraOff = options.camera_off;
      later(() => enter("host"));
      return { server: { ...SERVER, host: "127.0.0.1", tls: false } };
    },
    async join(_link, options) {
      await guard("join");
      joinOptions.push(structuredClone(options));
      running = true;
      cameraOff = options.camera_off;
      later(() => emit({ type: "knock" }));
      later(() => emit({ type: "in_lobby" }), 60);
    },
    async command(c) {
      await guard(`command:${c.type}`);
      if (!running) throw { code: "shell.no_meeting", message: "no meeting is running" } satisfies BackendError;
      commands.push(c);
      meetingCommand(c);
    },
    async copyInviteLink() {
      await guard("copyInviteLink");
    },
    async shareSources() {
      await guard("shareSources");
      if (shareAnswer && !Array.isArray(shareAnswer)) throw shareAnswer;
      return structuredClone(shareList());
    },
    async watchVideo(member, give, _width, rgba): Promise<Unsubscribe> {
      await guard("watchVideo");
      const onFrame = rgba ? (f: VideoFrame) => give(rgbaPicture(f)) : give;
      const r = remotes.get(member);
      const stop =
        member === "self"
          ? frames(onFrame, [110, 150], () => cameraOff)
          : member.startsWith("share:")
            ? shareFrames(member.slice("share:".length), onFrame)
            : r
              ? frames(onFrame, r.hue, () => false)
              : () => undefined;
      watching++;
      let stopped = false;
      return () => {
        if (!stopped) watching--;
        stopped = true;
        stop();
      };
    },
    async onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
