// The share picker: the screens and windows that can be shared, as thumbnails with their names and
// sizes, and the one sentence everyone should read before sharing. Nothing is chosen for the user:
// "Share" waits for a choice (a double click shares at once).
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { ShareSourceView } from "../backend/types";
import { Modal } from "../components/modal";
import { useI18n } from "../i18n/i18n";
import { groupSources, isPortalChoice, sizeLabel } from "./share";

interface Props {
  /** What can be shared; null while the shell looks. */
  sources: ShareSourceView[] | null;
  onShare: (source: ShareSourceView) => void;
  onCancel: () => void;
}

export function SharePicker({ sources, onShare, onCancel }: Props) {
  const { t } = useI18n();
  const [chosen, setChosen] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  // Once the list is here, the keyboard starts on its first screen.
  const loaded = sources !== null;
  useLayoutEffect(() => {
    if (loaded) form.current?.querySelector<HTMLInputElement>("input[type=radio]")?.focus();
  }, [loaded]);
  const picked = sources?.find((s) => s.id === chosen) ?? null;
  const { screens, windows } = groupSources(sources ?? []);
  return (
    <Modal id="share-picker" class="share-picker" labelledby="share-title" describedby="share-guidance" onClose={onCancel}>
      <form
        ref={form}
        onSubmit={(e) => {
          e.preventDefault();
          if (picked) onShare(picked);
        }}
      >
        <h2 id="share-title">{t("share.title")}</h2>
        <p id="share-guidance" class="guidance">
          {t("share.guidance")}
        </p>
        {sources === null ? (
          <p class="hint" aria-busy="true" id="share-loading">
            {t("share.loading")}
          </p>
        ) : (
          <div class="source-groups">
            <SourceGroup id="share-screens" title={t("share.screens")} sources={screens} chosen={chosen} onChoose={setChosen} onShare={onShare} />
            <SourceGroup id="share-windows" title={t("share.windows")} sources={windows} chosen={chosen} onChoose={setChosen} onShare={onShare} />
          </div>
        )}
        <div class="row end">
          <button type="button" id="share-cancel" onClick={onCancel}>
            {t("meeting.cancel")}
          </button>
          <button type="submit" class="primary" id="share-start" disabled={!picked}>
            {t("share.start")}
          </button>
        </div>
      </form>
    </Modal>
  );
}

interface GroupProps {
  id: string;
  title: string;
  sources: ShareSourceView[];
  chosen: string | null;
  onChoose: (id: string) => void;
  onShare: (source: ShareSourceView) => void;
}

function SourceGroup({ id, title, sources, chosen, onChoose, onShare }: GroupProps) {
  const { t } = useI18n();
  if (sources.length === 0) return null;
  return (
    <fieldset class="source-group" id={id}>
      <legend>{title}</legend>
      <div class="sources">
        {sources.map((s) => (
          <label class={chosen === s.id ? "source chosen" : "source"} data-source={s.id} key={s.id} onDblClick={() => onShare(s)}>
            <input type="radio" class="visually-hidden" name={id} value={s.id} checked={chosen === s.id} onChange={() => onChoose(s.id)} />
            {s.thumbnail ? (
              <img class="thumb" src={s.thumbnail} alt="" />
            ) : (
              <span class="thumb none" aria-hidden="true">
                {t(isPortalChoice(s) ? "share.portal.preview" : "share.no_thumbnail")}
              </span>
            )}
            <span class="name">{isPortalChoice(s) ? t(s.id === "window" ? "share.portal.window" : "share.portal.screen") : s.name}</span>
            {s.width > 0 && <span class="size">{sizeLabel(s.width, s.height)}</span>}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
