// Pre-join: see yourself, hear your level, pick devices and name, then start or knock.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { BackendError, DeviceList, JoinOptions, ServerView, Settings } from "../backend/types";
import { toBackendError } from "../backend/errors";
import { useBackend } from "../components/context";
import { ErrorNotice } from "../components/error_notice";
import { type DeviceKind, fitChoices } from "../devices";
import { useI18n } from "../i18n/i18n";
import { FrameHub } from "../video/frame_hub";
import { VideoView } from "../video/video_view";

interface Props {
  entry: "host" | "join";
  /** Where a joined meeting is (null: a new meeting, on the configured server or this computer). */
  server: ServerView | null;
  settings: Settings;
  onSubmit: (options: JoinOptions) => Promise<void>;
  onBack: () => void;
}

export function PreJoin({ entry, server, settings, onSubmit, onBack }: Props) {
  const { t } = useI18n();
  const backend = useBackend();
  const [devices, setDevices] = useState<DeviceList | null>(null);
  const [camera, setCamera] = useState(settings.camera);
  const [microphone, setMicrophone] = useState(settings.microphone);
  const [speaker, setSpeaker] = useState(settings.speaker);
  const [name, setName] = useState(settings.name);
  const [cameraOff, setCameraOff] = useState(false);
  const [micOff, setMicOff] = useState(false);
  const [missing, setMissing] = useState<DeviceKind[]>([]);
  const [level, setLevel] = useState(0);
  const [previewError, setPreviewError] = useState<BackendError | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [nameMissing, setNameMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const hub = useMemo(() => new FrameHub(), []);

  useEffect(() => {
    let unsubscribe: (() => void) | null = null;
    let gone = false;
    backend
      .onEvent((e) => e.type === "preview_error" && setPreviewError({ code: e.code, message: e.message }))
      .then((u) => (gone ? u() : (unsubscribe = u)));
    return () => {
      gone = true;
      unsubscribe?.();
    };
  }, [backend]);

  useEffect(() => {
    backend.devices().then((list) => {
      setDevices(list);
      // The settings' devices (for a new user: the system's) may not be on this computer.
      const fitted = fitChoices({ camera, microphone, speaker }, list);
      setCamera(fitted.camera);
      setMicrophone(fitted.microphone);
      setSpeaker(fitted.speaker);
      setMissing(fitted.missing);
    }, (e) => setPreviewError(toBackendError(e)));
  }, [backend]);

  useEffect(() => {
    let stop: (() => Promise<void>) | null = null;
    let gone = false;
    setPreviewError(null);
    backend
      .startPreview(cameraOff ? "none" : camera, microphone, hub.publish, setLevel)
      .then((p) => {
        if (gone) void p.stop();
        else stop = () => p.stop();
      })
      .catch((e) => setPreviewError(toBackendError(e)));
    return () => {
      gone = true;
      setLevel(0);
      void stop?.();
    };
  }, [backend, camera, microphone, cameraOff, hub, attempt]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) {
      setNameMissing(true);
      document.getElementById("name")?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSubmit({ name: name.trim(), camera, microphone, speaker, camera_off: cameraOff, microphone_off: micOff });
    } catch (err) {
      setError(toBackendError(err));
      setBusy(false);
    }
  };

  const heading = entry === "host" ? t("prejoin.heading_host") : t("prejoin.heading_join");
  return (
    <main class="screen prejoin" aria-labelledby="prejoin-title">
      <h1 id="prejoin-title">{heading}</h1>
      <p class="where">{server ? t("prejoin.where", { host: `${server.host}:${server.port}` }) : t("prejoin.where_local")}</p>
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      <div class="prejoin-grid">
        <section class="preview" aria-label={t("prejoin.preview")}>
          {cameraOff || camera === "none" ? (
            <div class="video placeholder">{t("prejoin.preview_off")}</div>
          ) : (
            <VideoView subscribe={hub.subscribe} label={t("prejoin.preview")} mirror />
          )}
          <div
            class="meter"
            id="mic-meter"
            role="meter"
            aria-label={t("prejoin.level")}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(level * 100)}
          >
            <div class="meter-fill" style={{ width: `${Math.round(level * 100)}%` }} />
          </div>
          {previewError && <ErrorNotice error={previewError} onRetry={() => setAttempt((n) => n + 1)} />}
          {missing.length > 0 && (
            <ul id="devices-missing" class="hint">
              {missing.map((kind) => (
                <li data-kind={kind}>{t(`prejoin.missing_${kind}`)}</li>
              ))}
            </ul>
          )}
        </section>
        <form class="options" onSubmit={submit}>
          <label for="camera">{t("prejoin.camera")}</label>
          <select id="camera" value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
            {!!devices?.cameras.length && <option value="camera">{t("prejoin.default")}</option>}
            {devices?.cameras.map((c) => <option value={`camera:${c.id}`}>{c.name}</option>)}
            <option value="synthetic">{t("prejoin.test_pattern")}</option>
            <option value="none">{t("prejoin.none")}</option>
          </select>
          <label for="microphone">{t("prejoin.microphone")}</label>
          <select id="microphone" value={microphone} onChange={(e) => setMicrophone(e.currentTarget.value)}>
            {!!devices?.microphones.length && <option value="mic">{t("prejoin.default")}</option>}
            {devices?.microphones.map((m) => <option value={`mic:${m.id}`}>{m.name}</option>)}
            <option value="synthetic">{t("prejoin.test_tone")}</option>
            <option value="none">{t("prejoin.none")}</option>
          </select>
          <label for="speaker">{t("prejoin.speaker")}</label>
          <select id="speaker" value={speaker} onChange={(e) => setSpeaker(e.currentTarget.value)}>
            <option value="default">{t("prejoin.default")}</option>
            {devices?.speakers.map((s) => <option value={s.id}>{s.name}</option>)}
            <option value="none">{t("prejoin.none")}</option>
          </select>
          <label for="name">{t("prejoin.name")}</label>
          <input
            id="name"
            type="text"
            autocomplete="name"
            maxLength={64}
            value={name}
            aria-describedby="name-hint"
            aria-invalid={nameMissing}
            onInput={(e) => {
              setName(e.currentTarget.value);
              setNameMissing(false);
            }}
          />
          <p id="name-hint" class={nameMissing ? "hint invalid" : "hint"}>
            {nameMissing ? t("prejoin.name_required") : t("prejoin.name_hint")}
          </p>
          <label class="check">
            <input id="mic-off" type="checkbox" checked={micOff} onChange={(e) => setMicOff(e.currentTarget.checked)} />
            {t("prejoin.mic_off")}
          </label>
          <label class="check">
            <input id="camera-off" type="checkbox" checked={cameraOff} onChange={(e) => setCameraOff(e.currentTarget.checked)} />
            {t("prejoin.camera_off")}
          </label>
          <div class="row">
            <button type="button" onClick={onBack}>
              {t("prejoin.back")}
            </button>
            <button type="submit" class="primary" id="enter-meeting" disabled={busy}>
              {entry === "host" ? t("prejoin.start") : t("prejoin.join")}
            </button>
          </div>
        </form>
      </div>
    </main>
  );
}
