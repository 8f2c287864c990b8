// A backend error as a person reads it: what happened and what to do, with the code for support.
import type { BackendError } from "../backend/types";
import { errorKey, useI18n } from "../i18n/i18n";

interface Props {
  error: BackendError;
  onRetry?: () => void;
  onDismiss?: () => void;
}

export function ErrorNotice({ error, onRetry, onDismiss }: Props) {
  const { t } = useI18n();
  return (
    <div class="notice error" role="alert" data-code={error.code}>
      <strong>{t("error.title")}</strong>
      <p class="sentence">{t(errorKey(error))}</p>
      <p class="code">{t("error.details", { code: error.code })}</p>
      <div class="actions">
        {onRetry && <button onClick={onRetry}>{t("error.retry")}</button>}
        {onDismiss && <button onClick={onDismiss}>{t("meeting.dismiss")}</button>}
      </div>
    </div>
  );
}
