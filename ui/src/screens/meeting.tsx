// The meeting: the grid (or a screen share with a filmstrip), the control bar, one side panel at a
// time, notices, shortcuts, and sharing our own screen.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { BackendError, MeetingCommand, ShareSourceView } from "../backend/types";
import { toBackendError } from "../backend/errors";
import { useBackend } from "../components/context";
import { ErrorNotice } from "../components/error_notice";
import { LockIcon } from "../components/icons";
import { useI18n, type Key } from "../i18n/i18n";
import { Controls } from "../meeting/controls";
import { Grid } from "../meeting/grid";
import { LeaveDialog } from "../meeting/leave_dialog";
import { PeoplePanel } from "../meeting/people_panel";
import { QualityIndicator, QualityPanel } from "../meeting/quality";
import { SecurityPanel } from "../meeting/security_panel";
import { NO_SOURCES, shareReasonKey, sharingLabel } from "../meeting/share";
import { ShareBanner } from "../meeting/share_banner";
import { SharePicker } from "../meeting/share_picker";
import { ShareStage } from "../meeting/share_stage";
import { activeSpeaker, shownShare, type Dismissable, type MeetingState } from "../meeting/state";
import { SHORTCUTS, shortcutFor } from "../shortcuts";

type Panel = "people" | "security" | "quality";

interface Props {
  state: MeetingState;
  myName: string;
  startMuted: boolean;
  startCameraOff: boolean;
  onDismiss: (what: Dismissable) => void;
  /** We are about to send `start_share`. */
  onShareRequested: () => void;
}

export function Meeting({ state, myName, startMuted, startCameraOff, onDismiss, onShareRequested }: Props) {
  const { t } = useI18n();
  const backend = useBackend();
  const [micMuted, setMicMuted] = useState(startMuted);
  const [cameraOff, setCameraOff] = useState(startCameraOff);
  const [panel, setPanel] = useState<Panel | null>(null);
  const [leaving, setLeaving] = useState(false);
  const [help, setHelp] = useState(false);
  const [failure, setFailure] = useState<BackendError | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  // Sharing our screen: what can be shared (null while the shell looks), why nothing can, the
  // picker, and what we picked (for the banner).
  const [sources, setSources] = useState<ShareSourceView[] | null>(null);
  const [shareBlocked, setShareBlocked] = useState<BackendError | null>(null);
  const [blockedNotice, setBlockedNotice] = useState(false);
  const [picker, setPicker] = useState(false);
  const [picked, setPicked] = useState<ShareSourceView | null>(null);
  const lookups = useRef(0);

  const send = (c: MeetingCommand) => {
    backend.command(c).catch((e) => setFailure(toBackendError(e)));
  };
  const toggleMic = () => {
    send({ type: "mute_microphone", muted: !micMuted });
    setMicMuted(!micMuted);
  };
  const toggleCamera = () => {
    send({ type: "mute_camera", muted: !cameraOff });
    setCameraOff(!cameraOff);
  };
  const toggleHand = () => send({ type: "raise_hand", raised: !state.handRaised });
  const togglePanel = (p: Panel) => setPanel((cur) => (cur === p ? null : p));

  /** Asks the shell what can be shared; resolves to the list, null when nothing can be, or
   *  undefined when a newer look has answered instead. */
  const lookForSources = async (): Promise<ShareSourceView[] | null | undefined> => {
    const mine = ++lookups.current;
    let list: ShareSourceView[] | null = null;
    let blocked: BackendError | null;
    try {
      list = await backend.shareSources();
      blocked = list.length ? null : NO_SOURCES;
    } catch (e) {
      blocked = toBackendError(e);
    }
    if (mine !== lookups.current) return undefined;
    setShareBlocked(blocked);
    setSources(blocked ? [] : list);
    return blocked ? null : list;
  };
  // Whether sharing is possible at all shows on the button from the start.
  useEffect(() => void lookForSources(), [backend]);

  const openPicker = () => {
    if (shareBlocked) {
      // Blocked: say why, and look again (a display may have appeared since).
      setBlockedNotice(true);
      void lookForSources().then((list) => {
        if (!list) return;
        setBlockedNotice(false);
        setPicker(true);
      });
      return;
    }
    setBlockedNotice(false);
    setSources(null);
    setPicker(true);
    void lookForSources().then((list) => {
      if (list !== null) return;
      setPicker(false);
      setBlockedNotice(true);
    });
  };
  const startShare = (source: ShareSourceView) => {
    setPicker(false);
    setPicked(source);
    onShareRequested();
    backend.command({ type: "start_share", source: source.id }).catch((e) => {
      setFailure(toBackendError(e));
      onDismiss("shareProblem");
    });
  };
  const stopShare = () => send({ type: "stop_share" });
  const toggleShare = () => {
    if (state.sharing) return stopShare();
    if (picker) return setPicker(false);
    openPicker();
  };

  useEffect(() => {
    if (state.mutedByHost) setMicMuted(true);
  }, [state.mutedByHost]);

  // One listener for the screen's life; it reads the latest state through a ref, so a key
  // pressed right after a render never meets a stale handler.
  const onKey = useRef<(e: KeyboardEvent) => void>(() => undefined);
  onKey.current = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    const typing = !!target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    const action = shortcutFor(e, typing);
    if (!action) return;
    e.preventDefault();
    switch (action) {
      case "mic":
        return toggleMic();
      case "camera":
        return toggleCamera();
      case "hand":
        return toggleHand();
      case "share":
        return toggleShare();
      case "people":
        return togglePanel("people");
      case "leave":
        return setLeaving(true);
      case "help":
        return setHelp(true);
      case "close":
        if (picker) return setPicker(false);
        if (leaving) return setLeaving(false);
        if (help) return setHelp(false);
        return setPanel(null);
    }
  };
  useLayoutEffect(() => {
    const listener = (e: KeyboardEvent) => onKey.current(e);
    document.addEventListener("keydown", listener);
    return () => document.removeEventListener("keydown", listener);
  }, []);

  const copyLink = () =>
    backend.copyInviteLink().then(
      () => {
        setToast(t("meeting.link_copied"));
        window.setTimeout(() => setToast(null), 4000);
      },
      (e) => setFailure(toBackendError(e)),
    );

  const e2eeOn = state.e2ee ? state.e2ee.state === "end_to_end_encrypted" : state.security !== null;
  const host = state.role === "host";
  const newestKnock = state.knocks.at(-1);
  const shown = shownShare(state);
  const sharer = shown ? state.participants.find((p) => p.member === shown.member)?.name || t("share.someone") : "";
  const blockedReason = shareBlocked ? t(shareReasonKey(shareBlocked, "share.unavailable")) : null;

  return (
    <main class="screen meeting" aria-label={t("meeting.grid")}>
      <header class="meeting-bar">
        <span id="e2ee-badge" class={e2eeOn ? "badge on" : "badge waiting"} role="status">
          {e2eeOn && <LockIcon />}
          {e2eeOn ? t("meeting.e2ee_on") : t("meeting.e2ee_waiting")}
        </span>
        <QualityIndicator history={state.history} open={panel === "quality"} onToggle={() => togglePanel("quality")} />
        {host && (
          <button id="copy-link" onClick={copyLink}>
            {t("meeting.copy_link")}
          </button>
        )}
        <button id="show-shortcuts" aria-label={t("keys.help")} onClick={() => setHelp(true)}>
          ?
        </button>
      </header>
      {state.sharing && <ShareBanner label={sharingLabel(t, state.sharing, picked)} onStop={stopShare} />}
      <div class="notices" aria-live="polite">
        {state.reconnecting && <p class="notice warn" id="reconnecting">{t("meeting.reconnecting")}</p>}
        {toast && (
          <p class="notice ok" role="status" onClick={() => setToast(null)}>
            {toast}
          </p>
        )}
        {newestKnock && panel !== "people" && (
          <p class="notice info" id="knock-notice">
            {t("meeting.knock_notice", { name: newestKnock.name })} <button onClick={() => setPanel("people")}>{t("meeting.participants")}</button>
          </p>
        )}
        {state.mutedByHost && (
          <p class="notice warn" role="alert">
            {t("meeting.muted_by_host")} <button onClick={() => onDismiss("mutedByHost")}>{t("meeting.dismiss")}</button>
          </p>
        )}
        {state.unmuteRequested && (
          <p class="notice info" role="alert" id="unmute-request">
            {t("meeting.unmute_requested")}{" "}
            <button
              onClick={() => {
                if (micMuted) toggleMic();
                onDismiss("unmuteRequested");
              }}
            >
              {t("meeting.unmute")}
            </button>{" "}
            <button onClick={() => onDismiss("unmuteRequested")}>{t("meeting.dismiss")}</button>
          </p>
        )}
        {state.shareProblem && (
          <p class="notice warn" role="alert" id="share-problem" data-code={state.shareProblem.code}>
            {t(shareReasonKey(state.shareProblem, "share.failed"))} <button onClick={() => onDismiss("shareProblem")}>{t("meeting.dismiss")}</button>
          </p>
        )}
        {blockedNotice && blockedReason && (
          <p class="notice warn" role="alert" id="share-unavailable" data-code={shareBlocked?.code}>
            {blockedReason} <button onClick={() => setBlockedNotice(false)}>{t("meeting.dismiss")}</button>
          </p>
        )}
        {failure && <ErrorNotice error={failure} onDismiss={() => setFailure(null)} />}
        {state.errors.map((e) => (
          <ErrorNotice error={e} onDismiss={() => onDismiss("errors")} />
        ))}
      </div>
      <div class="stage">
        {shown && <ShareStage key={shown.member} member={shown.member} name={sharer} available={shown.available} />}
        <Grid
          me={state.me}
          myName={myName}
          cameraOff={cameraOff}
          micMuted={micMuted}
          handRaised={state.handRaised}
          participants={state.participants}
          speaker={activeSpeaker(state.levels)}
          strip={shown !== null}
        />
        {state.participants.length === 0 && host && <p class="hint alone">{t("meeting.alone")}</p>}
        {panel && (
          <aside id="side-panel" class="side-panel" aria-label={t(panel === "people" ? "meeting.participants" : panel === "security" ? "meeting.security" : "quality.heading")}>
            <button class="close" aria-label={t("meeting.close")} onClick={() => setPanel(null)}>
              ×
            </button>
            {panel === "people" && <PeoplePanel role={state.role} myName={myName} participants={state.participants} knocks={state.knocks} locked={state.locked} send={send} />}
            {panel === "security" && (
              <SecurityPanel e2ee={state.e2ee} security={state.security} participants={state.participants} onVerify={(member) => send({ type: "verify", member })} />
            )}
            {panel === "quality" && <QualityPanel history={state.history} />}
          </aside>
        )}
      </div>
      <Controls
        micMuted={micMuted}
        cameraOff={cameraOff}
        handRaised={state.handRaised}
        sharing={state.sharing !== null}
        shareBlocked={blockedReason}
        panel={panel}
        knocks={state.knocks.length}
        onMic={toggleMic}
        onCamera={toggleCamera}
        onHand={toggleHand}
        onShare={toggleShare}
        onPanel={togglePanel}
        onLeave={() => setLeaving(true)}
      />
      {leaving && (
        <LeaveDialog
          host={host}
          onCancel={() => setLeaving(false)}
          onLeave={() => {
            setLeaving(false);
            send({ type: "leave" });
          }}
          onEndForAll={() => {
            setLeaving(false);
            send({ type: "end_for_all" });
          }}
        />
      )}
      {picker && <SharePicker sources={sources} onShare={startShare} onCancel={() => setPicker(false)} />}
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
    </main>
  );
}

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="keys-title" id="shortcut-help">
        <h2 id="keys-title">{t("keys.heading")}</h2>
        <p>{t("keys.intro")}</p>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr>
                <td>{t(`keys.${s.action}` as Key)}</td>
                <td>
                  {s.keys.map((k) => (
                    <kbd>{k}</kbd>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button autofocus onClick={onClose}>
          {t("meeting.close")}
        </button>
      </div>
    </div>
  );
}
