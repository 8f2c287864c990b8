// A backend that runs the whole UI in a browser: a scripted meeting with synthetic pictures.
// Tests drive it through `window.__fake` (see `FakeControls`): knocks arrive, errors are
// injected, and every command the UI sent is recorded.
import type { Backend, Preview, Unsubscribe } from "./backend";
import type {
  BackendError,
  DeviceList,
  JoinOptions,
  MeetingCommand,
  MeetingEvent,
  OpenedLink,
  PeerStats,
  Settings,
  ServerView,
  UiEvent,
  VideoFrame,
} from "./types";

const FPS = 15;

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

function defaultSettings(): Settings {
  return {
    camera: "camera:fake-front",
    microphone: "mic:fake-mic",
    speaker: "default",
    name: "",
    server: "",
    ice: [],
    turn_user: "",
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
}

/** What tests may do to the fake (window.__fake). */
export interface FakeControls {
  /** Every command the UI sent, oldest first. */
  commands: MeetingCommand[];
  /** Calls of the other methods, by name. */
  calls: string[];
  /** The next call of `method` fails with this error. */
  failNext(method: string, error: BackendError): void;
  /** Someone knocks (host side). */
  knock(member: string, name: string): void;
  /** Our knock is answered (joiner side). */
  answerKnock(admitted: boolean): void;
  /** Any event, as the shell would send it. */
  emit(e: UiEvent): void;
  /** Audio levels (RMS 0..1) per member, sent at once in a stats event (the active speaker). */
  levels(levels: Record<string, number>): void;
}

export function createFakeBackend(): Backend & { controls: FakeControls } {
  let settings = defaultSettings();
  const listeners = new Set<(e: UiEvent) => void>();
  const failures = new Map<string, BackendError>();
  const remotes = new Map<string, Remote>();
  const knocks = new Map<string, string>();
  let me = "";
  let epoch = 0;
  let cameraOff = false;
  let running = false;
  let statsTimer: number | undefined;
  const commands: MeetingCommand[] = [];
  const calls: string[] = [];
  let linkIds = 0;
  let levelOverride: Record<string, number> = {};
  let statsTick: () => void = () => undefined;

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
      link: { rtt_ms: 20 + 8 * Math.sin(t / 3), bytes_sent: t * 190_000, bytes_received: t * 185_000, packets_received: t * 160, packets_lost: 0, local_candidate: "host", remote_candidate: "host" },
      bitrate_in_kbps: 1450 + 80 * Math.sin(t),
      bitrate_out_kbps: 1500 + 60 * Math.cos(t),
      packet_loss_pct: Math.max(0, 0.4 * Math.sin(t / 2)),
      frames_decoded: t * 30,
      decode_errors: 0,
      audio_packets: t * 50,
      audio_level: levelOverride[r.member] ?? 0.01,
      width: 1280,
      height: 720,
      glass_to_glass_ms: null,
      glass_to_glass_samples_ms: [],
    };
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
      emit({ type: "stats", peers: [...remotes.values()].map((r) => peerStats(r, t)), e2ee });
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
    remotes.set(member, { member, name, hue });
    emit({ type: "participant_joined", member, name });
    later(() => {
      emit({ type: "link", member, state: "connected" });
      emit({ type: "video_available", member });
      emit({ type: "first_remote_video", member, ms_since_start: 850 });
    });
  }

  function close(final: MeetingEvent) {
    running = false;
    window.clearInterval(statsTimer);
    remotes.clear();
    knocks.clear();
    emit(final);
    emit({ type: "meeting_closed" });
  }

  function meetingCommand(c: MeetingCommand) {
    switch (c.type) {
      case "admit": {
        const name = knocks.get(c.member);
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
      case "mute_microphone":
      case "request_unmute":
      case "mute":
        return;
    }
  }

  function frames(onFrame: (f: VideoFrame) => void, hue: [number, number], paused: () => boolean): () => void {
    let seq = 0;
    const timer = window.setInterval(() => {
      if (!paused()) onFrame(testPicture(320, 180, seq++, hue));
    }, 1000 / FPS);
    return () => window.clearInterval(timer);
  }

  const controls: FakeControls = {
    commands,
    calls,
    failNext: (method, error) => void failures.set(method, error),
    knock(member, name) {
      knocks.set(member, name);
      emit({ type: "knock_received", member, name });
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
  };

  return {
    controls,
    async devices() {
      await guard("devices");
      return structuredClone(DEVICES);
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
      running = true;
      cameraOff = options.camera_off;
      later(() => enter("host"));
      return { server: { ...SERVER, host: "127.0.0.1", tls: false } };
    },
    async join(_link, options) {
      await guard("join");
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
    async watchVideo(member, onFrame): Promise<Unsubscribe> {
      await guard("watchVideo");
      if (member === "self") return frames(onFrame, [110, 150], () => cameraOff);
      const r = remotes.get(member);
      return r ? frames(onFrame, r.hue, () => false) : () => undefined;
    },
    async onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
