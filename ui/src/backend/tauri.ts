// The backend of the desktop app: Tauri commands (src-tauri/src/command.rs), one event stream,
// and binary channels for pictures (never JSON).
import { Channel, convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Backend, Preview, Unsubscribe } from "./backend";
import { backendCall } from "./errors";
import { decodeFrame } from "./frames";
import type { BackendError, MeetingCommand, OpenedLink, Settings, ShareSourceView, UiEvent, VideoFrame } from "./types";
import { problems, shareSources, uiEvent } from "./validate";

/** The one Tauri event name the shell emits (src-tauri/src/event.rs). */
export const EVENT = "trygg://event";

const call = <T>(cmd: string, args?: Record<string, unknown>) => backendCall(() => invoke<T>(cmd, args));

/** What one pull got: a picture (the first `length` bytes of `buffer`), "nothing yet" (ask
 *  again), or the watch has stopped. */
type Pulled = { buffer: ArrayBuffer; length: number } | "nothing" | "gone";

/** Trygg's web extension in WebKitGTK (src-tauri/webext): one message per picture, answered with
 *  a status (0 picture, 1 nothing yet, 2 gone, 3 not served) and the picture, copied into `into`
 *  when it fits (the buffer given back is then `into`'s), else into a new buffer. */
type Pull = (id: number, into: Uint8Array | null, done: (status: number, buffer: ArrayBuffer | null, length: number) => void) => void;
interface PictureExtension {
  pull: Pull;
  /** The same, the picture converted to RGBA on its way (frames.ts, "TRR1"). */
  pullRgba?: Pull;
  /** This page has stopped pulling the watch: the extension lets go of its shared memory. */
  release?: (id: number) => void;
}

/** Pulls in a row the app did not serve through the extension; at `GIVE_UP`, fetch from then on. */
let extensionFailures = 0;
const GIVE_UP = 3;

function extension(): PictureExtension | null {
  const ext = (globalThis as { __tryggPictures?: PictureExtension }).__tryggPictures;
  return ext && typeof ext.pull === "function" && extensionFailures < GIVE_UP ? ext : null;
}

/** One pull through the extension into `into` if the picture fits, or null when the app does
 *  not serve it that way (this pull then goes through the scheme). The callback comes from the
 *  extension, outside the page's own tasks; WebKit runs the awaiting code right after it. */
function pullThroughExtension(ext: PictureExtension, id: number, into: ArrayBuffer | null, rgba: boolean): Promise<Pulled | null> {
  const pull = rgba && typeof ext.pullRgba === "function" ? ext.pullRgba : ext.pull;
  return new Promise((resolve) =>
    pull(id, into && new Uint8Array(into), (status, buffer, length) => {
      if (status !== 3) extensionFailures = 0;
      if (status === 0 && buffer) resolve({ buffer, length });
      else if (status === 0 || status === 1) resolve("nothing");
      else if (status === 2) resolve("gone");
      else {
        if (++extensionFailures === GIVE_UP) console.warn("the app does not answer through the web extension; fetching pictures instead");
        resolve(null);
      }
    }),
  );
}

/** One pull from the shell's `trygg-frames:` scheme. */
async function pullThroughScheme(url: string): Promise<Pulled> {
  const r = await fetch(url, { cache: "no-store" });
  if (r.status !== 200) return "gone";
  const body = await r.arrayBuffer();
  return body.byteLength ? { buffer: body, length: body.byteLength } : "nothing";
}

/** Pulls a watch's pictures (src-tauri/src/video.rs): each pull waits for the next picture, and
 *  the next goes out once this one is in, so the page is never sent more than it takes. On
 *  Linux the pulls go through Trygg's web extension, one message per picture
 *  (src-tauri/src/pictures.rs); elsewhere, or without it, through the `trygg-frames:` scheme. */
async function pullFrames(id: number, onFrame: (f: VideoFrame) => void, stopped: () => boolean, rgba = false): Promise<void> {
  try {
    await pullEach(id, onFrame, stopped, rgba);
  } finally {
    // After the last answer: nothing of this watch is in flight that could map its memory again.
    (globalThis as { __tryggPictures?: PictureExtension }).__tryggPictures?.release?.(id);
  }
}

/** The pulls of `pullFrames`, until the watch is gone or stopped. */
async function pullEach(id: number, onFrame: (f: VideoFrame) => void, stopped: () => boolean, rgba: boolean): Promise<void> {
  const url = convertFileSrc(String(id), "trygg-frames");
  // Two buffers, taken in turn, for the extension to fill: a picture is drawn (copied out of its
  // buffer) before the pull after next reuses that buffer, and the page gets no new memory for
  // each picture.
  const buffers: (ArrayBuffer | null)[] = [null, null];
  let turn = 0;
  let failures = 0;
  while (!stopped()) {
    // Which road pulls take, for the desktop tests and figures.
    const ext = extension();
    const road = ext ? "extension" : "scheme";
    if (document.documentElement.dataset.pictures !== road) document.documentElement.dataset.pictures = road;
    let got: Pulled;
    try {
      got = (ext && (await pullThroughExtension(ext, id, buffers[turn], rgba))) || (await pullThroughScheme(url));
      failures = 0;
    } catch (e) {
      if (++failures >= 10) {
        console.warn("video pictures stopped", e);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if (got === "gone") return;
    if (got === "nothing") continue;
    // The buffer is kept for reuse; the turn passes only to a picture handed on, so the other
    // buffer keeps the picture that may still be waiting to be drawn.
    buffers[turn] = got.buffer;
    const frame = stopped() ? null : decodeFrame(got.buffer, got.length);
    if (frame) {
      turn ^= 1;
      onFrame(frame);
    }
  }
}

export function isTauri(): boolean {
  return "__TAURI_INTERNALS__" in window;
}

export const tauriBackend: Backend = {
  devices: () => call("devices"),
  settings: () => call("settings"),
  saveSettings: (settings: Settings) => call("save_settings", { settings }),
  setTurnPassword: (password: string) => call("set_turn_password", { password }),
  identity: () => call("identity"),
  openLink: (input: string) => call("open_link", { input }),
  takeOpenedLinks: () => call<OpenedLink[]>("take_opened_links"),
  async startPreview(camera, microphone, onFrame, onLevel): Promise<Preview> {
    const levels = new Channel<number>((l) => onLevel(typeof l === "number" ? l : 0));
    const started = await call<{ id: number; frames: number | null }>("start_preview", { camera, microphone, levels });
    let stopped = false;
    if (started.frames !== null) void pullFrames(started.frames, onFrame, () => stopped);
    return {
      stop: () => {
        stopped = true;
        return call("stop_preview", { id: started.id });
      },
    };
  },
  host: (options) => call("host", { options }),
  join: (link, options) => call("join", { link, options }),
  command: (command: MeetingCommand) => call("command", { command }),
  copyInviteLink: () => call("copy_invite_link"),
  mark: (moment) => call("mark", { moment }),
  async shareSources(): Promise<ShareSourceView[]> {
    const sources = await call<unknown>("share_sources");
    const wrong = problems(shareSources, sources);
    if (wrong.length) throw { code: "shell.malformed", message: wrong.slice(0, 3).join("; ") } satisfies BackendError;
    return sources as ShareSourceView[];
  },
  async watchVideo(member, onFrame, width, rgba): Promise<Unsubscribe> {
    const id = await call<number>("watch_video", { member, width: width ?? null });
    let stopped = false;
    void pullFrames(id, onFrame, () => stopped, rgba ?? false);
    return () => {
      stopped = true;
      void call("unwatch_video", { id }).catch(() => undefined);
    };
  },
  async onEvent(listener) {
    return listen<unknown>(EVENT, ({ payload }) => {
      const wrong = problems(uiEvent, payload);
      if (wrong.length) console.warn("ignored a malformed event", wrong);
      else listener(payload as UiEvent);
    });
  },
};
