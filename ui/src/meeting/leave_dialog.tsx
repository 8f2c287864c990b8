// Leaving: a small modal, "Leave" focused so Enter confirms; hosts may end it for everyone.
import { useLayoutEffect, useRef } from "preact/hooks";
import { useI18n } from "../i18n/i18n";

interface Props {
  host: boolean;
  onLeave: () => void;
  onEndForAll: () => void;
  onCancel: () => void;
}

export function LeaveDialog({ host, onLeave, onEndForAll, onCancel }: Props) {
  const { t } = useI18n();
  const leave = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => leave.current?.focus(), []);
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onCancel()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="leave-title" id="leave-dialog">
        <h2 id="leave-title">{t("meeting.leave_title")}</h2>
        {host && <p>{t("meeting.leave_host")}</p>}
        <div class="row">
          <button onClick={onCancel}>{t("meeting.cancel")}</button>
          {host && (
            <button class="danger" id="end-for-all" onClick={onEndForAll}>
              {t("meeting.end_all")}
            </button>
          )}
          <button class="primary danger" id="confirm-leave" ref={leave} onClick={onLeave}>
            {t("meeting.leave")}
          </button>
        </div>
      </div>
    </div>
  );
}
