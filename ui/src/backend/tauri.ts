// The backend of the desktop app: Tauri commands (src-tauri/src/command.rs), one event stream,
// and binary channels for pictures (never JSON).
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Backend, Preview, Unsubscribe } from "./backend";
import { backendCall } from "./errors";
import { decodeFrame } from "./frames";
import type { BackendError, MeetingCommand, OpenedLink, Settings, ShareSourceView, UiEvent, VideoFrame } from "./types";
import { problems, shareSources, uiEvent } from "./validate";

/** The one Tauri event name the shell emits (src-tauri/src/event.rs). */
export const EVENT = "trygg://event";

const call = <T>(cmd: string, args?: Record<string, unknown>) => backendCall(() => invoke<T>(cmd, args));

function frameChannel(onFrame: (f: VideoFrame) => void): Channel<ArrayBuffer> {
  return new Channel<ArrayBuffer>((message) => {
    const frame = message instanceof ArrayBuffer ? decodeFrame(message) : null;
    if (frame) onFrame(frame);
  });
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
    const id = await call<number>("start_preview", { camera, microphone, frames: frameChannel(onFrame), levels });
    return { stop: () => call("stop_preview", { id }) };
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
  async watchVideo(member, onFrame, width): Promise<Unsubscribe> {
    const id = await call<number>("watch_video", { member, frames: frameChannel(onFrame), width: width ?? null });
    return () => void call("unwatch_video", { id }).catch(() => undefined);
  },
  async onEvent(listener) {
    return listen<unknown>(EVENT, ({ payload }) => {
      const wrong = problems(uiEvent, payload);
      if (wrong.length) console.warn("ignored a malformed event", wrong);
      else listener(payload as UiEvent);
    });
  },
};
