// A participant's screen share, large on the stage: who shares, its size, and "Fit" (the whole
// picture in the space there is) or "100 %" (one picture pixel on one screen pixel, scrollable),
// drawn by the same YUV renderer as the cameras.
import { useCallback, useState } from "preact/hooks";
import type { VideoFrame } from "../backend/types";
import { useBackend } from "../components/context";
import { useI18n } from "../i18n/i18n";
import { VideoView } from "../video/video_view";
import { sizeLabel } from "./share";

interface Props {
  member: string;
  name: string;
  /** Its pictures can be watched yet. */
  available: boolean;
}

type Zoom = "fit" | "actual";

export function ShareStage({ member, name, available }: Props) {
  const { t } = useI18n();
  const backend = useBackend();
  const [zoom, setZoom] = useState<Zoom>("fit");
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const subscribe = useCallback(
    (onFrame: (f: VideoFrame) => void, _width?: number, rgba?: boolean) => backend.watchVideo(`share:${member}`, onFrame, undefined, rgba),
    [backend, member],
  );
  const onSize = useCallback((width: number, height: number) => setSize({ width, height }), []);
  // 100 %: the canvas's CSS size is the picture's size in device pixels.
  const dpr = window.devicePixelRatio || 1;
  const style = zoom === "actual" && size ? { width: `${size.width / dpr}px`, height: `${size.height / dpr}px` } : undefined;
  const label = t("share.stage", { name });
  return (
    <section class="share-stage" id="share-stage" data-member={member} aria-label={label}>
      <header class="share-bar">
        <span class="sharer" id="sharer">
          {t("share.sharer", { name })}
        </span>
        {size && (
          <span class="hint" id="share-size">
            {sizeLabel(size.width, size.height)}
          </span>
        )}
        <div class="zoom" role="group" aria-label={t("share.zoom")}>
          <button id="share-fit" aria-pressed={zoom === "fit"} title={t("share.fit_hint")} onClick={() => setZoom("fit")}>
            {t("share.fit")}
          </button>
          <button id="share-actual" aria-pressed={zoom === "actual"} title={t("share.actual_hint")} onClick={() => setZoom("actual")}>
            {t("share.actual")}
          </button>
        </div>
      </header>
      {/* At 100 % the picture may be larger than the view: it scrolls, by keyboard too. */}
      <div class={`share-view ${zoom}`} id="share-view" data-zoom={zoom} role="region" aria-label={label} tabIndex={zoom === "actual" ? 0 : -1}>
        {available ? (
          <VideoView subscribe={subscribe} label={label} class="share" style={style} onSize={onSize} />
        ) : (
          <p class="hint waiting">{t("share.waiting")}</p>
        )}
      </div>
    </section>
  );
}
