// The one interface between the UI and whatever runs the meeting: the Tauri shell (tauri.ts) or
// the fake (fake.ts) that lets the UI run, and be tested, in a plain browser.
import type {
  DeviceList,
  HostedMeeting,
  Identity,
  JoinOptions,
  MeetingCommand,
  OpenedLink,
  Settings,
  ShareSourceView,
  UiEvent,
  VideoFrame,
} from "./types";

export type Unsubscribe = () => void;

/** A running camera preview and microphone meter (pre-join screen). */
export interface Preview {
  stop(): Promise<void>;
}

export interface Backend {
  /** Cameras, microphones and speakers. */
  devices(): Promise<DeviceList>;
  settings(): Promise<Settings>;
  /** Saves the settings file (atomically; the shell refuses anything that looks like a secret). */
  saveSettings(settings: Settings): Promise<void>;
  /** Stores the TURN password in the system keychain; it is never read back into the page. */
  setTurnPassword(password: string): Promise<void>;
  /** This device's identity, for the settings screen. */
  identity(): Promise<Identity>;
  /** Reads a pasted link, meeting code or invite text; the shell keeps the secret. */
  openLink(input: string): Promise<OpenedLink>;
  /** Camera pictures and microphone levels (0..1) for the pre-join screen. */
  startPreview(
    camera: string,
    microphone: string,
    onFrame: (f: VideoFrame) => void,
    onLevel: (level: number) => void,
  ): Promise<Preview>;
  /** Starts a new meeting as its host. */
  host(options: JoinOptions): Promise<HostedMeeting>;
  /** Knocks on the meeting of a link `openLink` returned. */
  join(link: number, options: JoinOptions): Promise<void>;
  /** One command to the running meeting. */
  command(command: MeetingCommand): Promise<void>;
  /** Puts the meeting's invite link on the clipboard (the webview never holds it). */
  copyInviteLink(): Promise<void>;
  /** The screens and windows that can be shared, with thumbnails; rejects with why none can
   *  (e.g. "media.no_device": no display, "media.unsupported": a Wayland session without portal). */
  shareSources(): Promise<ShareSourceView[]>;
  /** Pictures of one participant ("self" for our own camera, "share:" + member for their screen share). */
  /** A picture's `data` may be reused for the picture after next of the same watch: draw it
   *  (or copy it) before then, as the video surfaces do on the next animation frame. `width`:
   *  the device pixels they fill (the shell sends them no larger than that needs). `rgba`: the
   *  caller draws on the CPU and takes pictures already in RGBA where the shell can give them so
   *  (`VideoFrame.format`); either format may come. */
  watchVideo(member: string, onFrame: (f: VideoFrame) => void, width?: number, rgba?: boolean): Promise<Unsubscribe>;
  /** A moment the desktop figures time ("home": the home screen is on screen; "prejoin": a
   *  link's pre-join screen is). The shell notes it only when asked to (`TRYGG_MARKS`). */
  mark(moment: "home" | "prejoin"): Promise<void>;
  /** Links that reached the app before the UI listened (cold start by a deep link or .ics). */
  takeOpenedLinks(): Promise<OpenedLink[]>;
  /** Every meeting and shell event. */
  onEvent(listener: (e: UiEvent) => void): Promise<Unsubscribe>;
}
