// What the meeting opens when the devices chosen (in the settings, or their defaults: the
// system's camera, microphone and speaker) are not on this computer: the system default for a
// device that is gone, nothing for a kind with no device at all, said on the pre-join screen.
// Without this a computer with no camera could not join with the settings a new user has.
import type { DeviceList } from "./backend/types";

export type DeviceKind = "camera" | "microphone" | "speaker";

export interface Choices {
  camera: string;
  microphone: string;
  speaker: string;
}

export interface Fitted extends Choices {
  /** The kinds with no device at all, in this order: joined without them. */
  missing: DeviceKind[];
}

/** One device choice against the devices there: `prefix` is "camera" or "mic" (the system
 *  default, or `prefix:ID`); anything else (a test source, a file, none) stays as it is. */
function fit(choice: string, prefix: string, ids: string[]): [string, boolean] {
  if (choice !== prefix && !choice.startsWith(`${prefix}:`)) return [choice, false];
  if (ids.length === 0) return ["none", true];
  if (choice === prefix || ids.includes(choice.slice(prefix.length + 1))) return [choice, false];
  return [prefix, false];
}

export function fitChoices(choices: Choices, devices: DeviceList): Fitted {
  const [camera, noCamera] = fit(choices.camera, "camera", devices.cameras.map((c) => c.id));
  const [microphone, noMic] = fit(choices.microphone, "mic", devices.microphones.map((m) => m.id));
  let speaker = choices.speaker;
  const noSpeaker = speaker !== "none" && devices.speakers.length === 0;
  if (noSpeaker) speaker = "none";
  else if (speaker !== "none" && speaker !== "default" && !devices.speakers.some((s) => s.id === speaker)) speaker = "default";
  const missing = ([["camera", noCamera], ["microphone", noMic], ["speaker", noSpeaker]] as const)
    .filter(([, gone]) => gone)
    .map(([kind]) => kind);
  return { camera, microphone, speaker, missing };
}
