// After the meeting: why it is over for us and where to go next.
import type { Key } from "../i18n/i18n";
import { useI18n } from "../i18n/i18n";
import type { Ending } from "../meeting/state";

interface Props {
  ending: Ending;
  onHome: () => void;
  onRejoin: (() => void) | null;
}

export function Ended({ ending, onHome, onRejoin }: Props) {
  const { t } = useI18n();
  return (
    <main class="screen ended" aria-labelledby="ended-title">
      <h1 id="ended-title" data-ending={ending}>
        {t(`ended.${ending}` as Key)}
      </h1>
      <div class="row">
        <button class="primary" id="go-home" onClick={onHome} autofocus>
          {t("ended.home")}
        </button>
        {onRejoin && (
          <button id="rejoin" onClick={onRejoin}>
            {t("ended.rejoin")}
          </button>
        )}
      </div>
    </main>
  );
}
