// Home: start a meeting, join one by link or code, open the settings.
import { useState } from "preact/hooks";
import type { BackendError, OpenedLink } from "../backend/types";
import { ErrorNotice } from "../components/error_notice";
import { useI18n } from "../i18n/i18n";

interface Props {
  onStart: () => void;
  onOpen: (input: string) => Promise<void>;
  onSettings: () => void;
  /** A link that was read but cannot be joined (another vendor, SIP, nothing). */
  notJoinable: OpenedLink | null;
  error: BackendError | null;
  onDismiss: () => void;
}

export function Home({ onStart, onOpen, onSettings, notJoinable, error, onDismiss }: Props) {
  const { t } = useI18n();
  const [input, setInput] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!input.trim() || busy) return;
    setBusy(true);
    try {
      await onOpen(input);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="screen home" aria-labelledby="home-title">
      <header>
        <h1 id="home-title">Trygg</h1>
        <p class="tagline">{t("home.tagline")}</p>
      </header>
      {error && <ErrorNotice error={error} onDismiss={onDismiss} />}
      {notJoinable && <LinkNotice opened={notJoinable} />}
      <section class="card">
        <button class="primary big" id="new-meeting" onClick={onStart}>
          {t("home.new")}
        </button>
      </section>
      <section class="card" aria-labelledby="join-heading">
        <h2 id="join-heading">{t("home.join_heading")}</h2>
        <form onSubmit={submit} class="row">
          <label for="join-input" class="visually-hidden">
            {t("home.join_label")}
          </label>
          <input
            id="join-input"
            type="text"
            autocomplete="off"
            spellcheck={false}
            placeholder={t("home.join_placeholder")}
            aria-label={t("home.join_label")}
            value={input}
            onInput={(e) => setInput(e.currentTarget.value)}
          />
          <button type="submit" id="join-button" disabled={busy || !input.trim()}>
            {t("home.join")}
          </button>
        </form>
      </section>
      <nav>
        <button id="open-settings" onClick={onSettings}>
          {t("home.settings")}
        </button>
      </nav>
    </main>
  );
}

function LinkNotice({ opened }: { opened: OpenedLink }) {
  const { t } = useI18n();
  const a = opened.action;
  const blocking = opened.warnings.filter((w) => w.blocks);
  let text: string;
  switch (a.type) {
    case "open_vendor":
      text = t("home.vendor", { vendor: a.vendor, host: a.host });
      break;
    case "dial_sip":
      text = t("home.sip", { target: a.uri });
      break;
    case "dial_phone":
      text = t("home.sip", { target: a.number });
      break;
    case "none":
      return <ErrorNotice error={{ code: a.code, message: a.reason }} />;
    case "join_trygg":
      return null;
  }
  return (
    <div class="notice info" role="status" id="link-notice">
      <p>{text}</p>
      {blocking.map((w) => (
        <p class="warning">{w.message}</p>
      ))}
    </div>
  );
}
