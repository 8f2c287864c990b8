// Waiting in the lobby (joiner): what is happening, what the encryption state is, a way out.
import type { BackendError, ServerView } from "../backend/types";
import { ErrorNotice } from "../components/error_notice";
import { useI18n } from "../i18n/i18n";
import type { Phase } from "../meeting/state";

interface Props {
  entry: "host" | "join";
  phase: Phase;
  server: ServerView | null;
  errors: BackendError[];
  onDismiss: () => void;
  onLeave: () => void;
}

export function Lobby({ entry, phase, server, errors, onDismiss, onLeave }: Props) {
  const { t } = useI18n();
  return (
    <main class="screen lobby" aria-labelledby="lobby-title" aria-busy="true">
      <h1 id="lobby-title">{entry === "host" ? t("lobby.starting") : t("lobby.heading")}</h1>
      {entry === "join" && (
        <p role="status" id="lobby-status" data-phase={phase}>
          {phase === "lobby" ? t("lobby.body") : t("lobby.knocking")}
        </p>
      )}
      {errors.map((e) => (
        <ErrorNotice error={e} onDismiss={onDismiss} />
      ))}
      {server && <p class="where">{t("prejoin.where", { host: `${server.host}:${server.port}` })}</p>}
      <section class="card security-state" aria-label={t("security.e2ee")}>
        <span class="badge waiting">{t("meeting.e2ee_waiting")}</span>
        <p>{t("lobby.security")}</p>
      </section>
      <button onClick={onLeave} id="leave-lobby">
        {t("lobby.cancel")}
      </button>
    </main>
  );
}
