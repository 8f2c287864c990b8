// The control bar: microphone, camera, hand, screen share, panels, leave.
import { useI18n } from "../i18n/i18n";

interface Props {
  micMuted: boolean;
  cameraOff: boolean;
  handRaised: boolean;
  sharing: boolean;
  /** Why sharing is not possible now (a sentence), or null. */
  shareBlocked: string | null;
  panel: "people" | "security" | "quality" | null;
  knocks: number;
  onMic: () => void;
  onCamera: () => void;
  onHand: () => void;
  onShare: () => void;
  onPanel: (p: "people" | "security") => void;
  onLeave: () => void;
}

export function Controls(p: Props) {
  const { t } = useI18n();
  // A share can always be stopped; only starting one can be blocked.
  const blocked = p.sharing ? null : p.shareBlocked;
  return (
    <div class="controls" role="toolbar" aria-label={t("meeting.controls")}>
      <button id="toggle-mic" aria-pressed={p.micMuted} class={p.micMuted ? "off" : ""} onClick={p.onMic} title="Alt+A / Ctrl+Shift+M">
        {p.micMuted ? t("meeting.mic_unmute") : t("meeting.mic_mute")}
      </button>
      <button id="toggle-camera" aria-pressed={p.cameraOff} class={p.cameraOff ? "off" : ""} onClick={p.onCamera} title="Alt+V / Ctrl+Shift+O">
        {p.cameraOff ? t("meeting.cam_on") : t("meeting.cam_off")}
      </button>
      <button id="toggle-hand" aria-pressed={p.handRaised} onClick={p.onHand} title="Alt+Y / Ctrl+Shift+K">
        {p.handRaised ? t("meeting.hand_lower") : t("meeting.hand_raise")}
      </button>
      {/* Blocked, it stays focusable (aria-disabled), so its reason can be heard and read. */}
      <button
        id="toggle-share"
        aria-pressed={p.sharing}
        aria-disabled={blocked ? "true" : undefined}
        aria-description={blocked ?? undefined}
        class={p.sharing ? "sharing" : ""}
        onClick={p.onShare}
        title={blocked ?? "Alt+S / Ctrl+Shift+E"}
      >
        {p.sharing ? t("share.stop") : t("meeting.share")}
      </button>
      <button id="toggle-people" aria-expanded={p.panel === "people"} aria-controls="side-panel" onClick={() => p.onPanel("people")} title="Alt+U">
        {t("meeting.participants")}
        {p.knocks > 0 && <span class="count" aria-label={t("people.lobby", { n: p.knocks })}>{p.knocks}</span>}
      </button>
      <button id="toggle-security" aria-expanded={p.panel === "security"} aria-controls="side-panel" onClick={() => p.onPanel("security")}>
        {t("meeting.security")}
      </button>
      <button id="leave" class="danger" onClick={p.onLeave} title="Alt+Q / Ctrl+Shift+H">
        {t("meeting.leave")}
      </button>
    </div>
  );
}
