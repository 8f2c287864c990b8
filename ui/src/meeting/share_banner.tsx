// While we share: a banner that says so, in words, with a one-click way to stop, and a coloured
// frame around the whole window so it is never forgotten.
import { useI18n } from "../i18n/i18n";

interface Props {
  /** "You are sharing …". */
  label: string;
  onStop: () => void;
}

export function ShareBanner({ label, onStop }: Props) {
  const { t } = useI18n();
  return (
    <>
      <div class="share-frame" id="share-frame" aria-hidden="true" />
      <div class="share-banner" id="share-banner" role="status">
        <span class="what">{label}</span>
        <button class="primary danger" id="stop-share" onClick={onStop}>
          {t("share.stop")}
        </button>
      </div>
    </>
  );
}
