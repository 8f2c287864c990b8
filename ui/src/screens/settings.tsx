// Settings: devices, server and TURN, this device's identity, language.
import { useEffect, useState } from "preact/hooks";
import type { BackendError, DeviceList, Identity, Language, Settings } from "../backend/types";
import { toBackendError } from "../backend/errors";
import { useBackend } from "../components/context";
import { ErrorNotice } from "../components/error_notice";
import { LANGUAGES, useI18n, type Key } from "../i18n/i18n";

interface Props {
  settings: Settings;
  onSaved: (s: Settings) => void;
  onBack: () => void;
}

export function SettingsScreen({ settings, onSaved, onBack }: Props) {
  const { t } = useI18n();
  const backend = useBackend();
  const [draft, setDraft] = useState<Settings>(settings);
  const [devices, setDevices] = useState<DeviceList | null>(null);
  const [identity, setIdentity] = useState<Identity | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [saved, setSaved] = useState(false);
  const [password, setPassword] = useState("");
  const [passwordSaved, setPasswordSaved] = useState(false);

  useEffect(() => {
    backend.devices().then(setDevices, (e) => setError(toBackendError(e)));
    backend.identity().then(setIdentity, (e) => setError(toBackendError(e)));
  }, [backend]);

  const set = <K extends keyof Settings>(key: K, value: Settings[K]) => {
    setSaved(false);
    setDraft((d) => ({ ...d, [key]: value }));
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await backend.saveSettings(draft);
      setSaved(true);
      onSaved(draft);
    } catch (err) {
      setError(toBackendError(err));
    }
  };

  const savePassword = async () => {
    setError(null);
    try {
      await backend.setTurnPassword(password);
      setPassword("");
      setPasswordSaved(true);
    } catch (err) {
      setError(toBackendError(err));
    }
  };

  return (
    <main class="screen settings" aria-labelledby="settings-title">
      <h1 id="settings-title">{t("settings.heading")}</h1>
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      {saved && (
        <p class="notice ok" role="status" id="settings-saved">
          {t("settings.saved")}
        </p>
      )}
      <form onSubmit={save}>
        <fieldset>
          <legend>{t("settings.devices")}</legend>
          <label for="s-camera">{t("prejoin.camera")}</label>
          <select id="s-camera" value={draft.camera} onChange={(e) => set("camera", e.currentTarget.value)}>
            <option value="camera">{t("prejoin.default")}</option>
            {devices?.cameras.map((c) => <option value={`camera:${c.id}`}>{c.name}</option>)}
            <option value="synthetic">{t("prejoin.test_pattern")}</option>
            <option value="none">{t("prejoin.none")}</option>
          </select>
          <label for="s-microphone">{t("prejoin.microphone")}</label>
          <select id="s-microphone" value={draft.microphone} onChange={(e) => set("microphone", e.currentTarget.value)}>
            <option value="mic">{t("prejoin.default")}</option>
            {devices?.microphones.map((m) => <option value={`mic:${m.id}`}>{m.name}</option>)}
            <option value="synthetic">{t("prejoin.test_tone")}</option>
            <option value="none">{t("prejoin.none")}</option>
          </select>
          <label for="s-speaker">{t("prejoin.speaker")}</label>
          <select id="s-speaker" value={draft.speaker} onChange={(e) => set("speaker", e.currentTarget.value)}>
            <option value="default">{t("prejoin.default")}</option>
            {devices?.speakers.map((s) => <option value={s.id}>{s.name}</option>)}
            <option value="none">{t("prejoin.none")}</option>
          </select>
          {devices?.problems.map((p) => <p class="hint">{p}</p>)}
        </fieldset>
        <fieldset>
          <legend>{t("settings.audio")}</legend>
          {(["echo_cancellation", "noise_suppression", "gain_control"] as const).map((stage) => (
            <label class="check">
              <input
                id={`s-${stage.replace(/_/g, "-")}`}
                type="checkbox"
                checked={draft.audio[stage]}
                onChange={(e) => set("audio", { ...draft.audio, [stage]: e.currentTarget.checked })}
              />
              {t(`settings.${stage}`)}
            </label>
          ))}
          <p class="hint">{t("settings.audio_hint")}</p>
        </fieldset>
        <fieldset>
          <legend>{t("settings.network")}</legend>
          <label for="s-server">{t("settings.server")}</label>
          <input id="s-server" type="text" value={draft.server} aria-describedby="s-server-hint" onInput={(e) => set("server", e.currentTarget.value.trim())} />
          <p id="s-server-hint" class="hint">
            {t("settings.server_hint")}
          </p>
          <label for="s-ice">{t("settings.ice")}</label>
          <textarea
            id="s-ice"
            rows={3}
            aria-describedby="s-ice-hint"
            value={draft.ice.join("\n")}
            onInput={(e) => set("ice", e.currentTarget.value.split("\n").map((l) => l.trim()).filter(Boolean))}
          />
          <p id="s-ice-hint" class="hint">
            {t("settings.ice_hint")}
          </p>
          <label for="s-turn-user">{t("settings.turn_user")}</label>
          <input id="s-turn-user" type="text" autocomplete="off" value={draft.turn_user} onInput={(e) => set("turn_user", e.currentTarget.value)} />
          <label for="s-turn-password">{t("settings.turn_password")}</label>
          <div class="row">
            <input
              id="s-turn-password"
              type="password"
              autocomplete="new-password"
              value={password}
              aria-describedby="s-turn-note"
              onInput={(e) => {
                setPassword(e.currentTarget.value);
                setPasswordSaved(false);
              }}
            />
            <button type="button" id="s-turn-password-save" disabled={!password} onClick={savePassword}>
              {t("settings.turn_password_save")}
            </button>
          </div>
          <p class="hint" id="s-turn-note" role={passwordSaved ? "status" : undefined}>
            {passwordSaved ? t("settings.turn_password_saved") : t("settings.turn_note")}
          </p>
        </fieldset>
        <fieldset>
          <legend>{t("settings.identity")}</legend>
          <p>{t("settings.fingerprint")}</p>
          <code id="fingerprint" class="fingerprint" aria-describedby="fingerprint-hint">
            {identity ? identity.fingerprint.match(/.{1,4}/g)?.join(" ") : "…"}
          </code>
          <p id="fingerprint-hint" class="hint">
            {t("settings.fingerprint_hint")}
          </p>
        </fieldset>
        <fieldset>
          <legend>{t("settings.language")}</legend>
          <label for="s-language" class="visually-hidden">
            {t("settings.language")}
          </label>
          <select id="s-language" value={draft.language} onChange={(e) => set("language", e.currentTarget.value as Language)}>
            {LANGUAGES.map((l) => (
              <option value={l} lang={l}>
                {t(`lang.${l}` as Key)}
              </option>
            ))}
          </select>
        </fieldset>
        <div class="row">
          <button type="button" onClick={onBack} id="settings-back">
            {t("settings.back")}
          </button>
          <button type="submit" class="primary" id="settings-save">
            {t("settings.save")}
          </button>
        </div>
      </form>
    </main>
  );
}
