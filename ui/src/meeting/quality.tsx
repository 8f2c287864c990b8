// Connection quality: a small indicator that opens live graphs of bitrate, round-trip time and
// loss over the last minute (one sample a second, from the meeting's stats), and while a screen
// is shared, the share's size, pictures a second and bitrate.
import type { ShareStats } from "../backend/types";
import { useI18n, type Key } from "../i18n/i18n";
import { HISTORY, quality, type StatsSample } from "./state";

export function QualityIndicator({ history, open, onToggle }: { history: StatsSample[]; open: boolean; onToggle: () => void }) {
  const { t } = useI18n();
  const q = quality(history);
  const label = t("quality.label", { q: t(`quality.${q}` as Key) });
  return (
    <button id="quality" class={`quality ${q}`} data-quality={q} aria-label={label} title={label} aria-expanded={open} aria-controls="side-panel" onClick={onToggle}>
      <span class="bars" aria-hidden="true">
        <i />
        <i />
        <i />
      </span>
    </button>
  );
}

interface Series {
  values: number[];
  class: string;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);

export function QualityPanel({ history }: { history: StatsSample[] }) {
  const { t } = useI18n();
  if (!history.some((s) => s.peers.length > 0 || s.shareOut)) {
    return (
      <div class="panel-body" id="quality-panel">
        <h2>{t("quality.heading")}</h2>
        <p>{t("quality.no_peers")}</p>
      </div>
    );
  }
  const pick = (f: (s: StatsSample) => number) => history.map(f);
  const bitIn = pick((s) => sum(s.peers.map((p) => p.bitrate_in_kbps)));
  const bitOut = pick((s) => sum(s.peers.map((p) => p.bitrate_out_kbps)));
  // What the narrowest link carries from us (the camera is encoded once for every link).
  const estimate = pick((s) => Math.min(...s.peers.map((p) => p.link.estimate_kbps ?? Infinity)));
  const hasEstimate = estimate.some(Number.isFinite);
  const rtt = pick((s) => max(s.peers.map((p) => p.link.rtt_ms ?? 0)));
  const loss = pick((s) => max(s.peers.map((p) => p.packet_loss_pct)));
  const shared = history.some((s) => s.shareOut || s.peers.some((p) => p.share));
  const shareIn = pick((s) => sum(s.peers.map((p) => p.share?.bitrate_kbps ?? 0)));
  const shareOut = pick((s) => s.shareOut?.bitrate_kbps ?? 0);
  return (
    <div class="panel-body" id="quality-panel">
      <h2>{t("quality.heading")}</h2>
      <Chart id="chart-bitrate" title={t("quality.bitrate")} series={[
          { values: bitIn, class: "in" },
          { values: bitOut, class: "out" },
          ...(hasEstimate ? [{ values: estimate.map((v) => (Number.isFinite(v) ? v : 0)), class: "estimate" }] : []),
        ]}
      />
      <Chart id="chart-rtt" title={t("quality.rtt")} series={[{ values: rtt, class: "rtt" }]} />
      <Chart id="chart-loss" title={t("quality.loss")} series={[{ values: loss, class: "loss" }]} floor={1} />
      {shared && (
        <section id="share-stats" aria-labelledby="share-stats-heading">
          <h3 id="share-stats-heading">{t("quality.share")}</h3>
          <ShareNumbers sample={history.at(-1)} />
          <Chart id="chart-share" title={t("quality.share_bitrate")} series={[{ values: shareIn, class: "in" }, { values: shareOut, class: "out" }]} />
        </section>
      )}
    </div>
  );
}

const numbers = (s: ShareStats) => ({ w: s.width, h: s.height, fps: Math.round(s.fps), kbps: Math.round(s.bitrate_kbps) });

/** The newest second of each share: ours as sent, theirs as received. */
function ShareNumbers({ sample }: { sample: StatsSample | undefined }) {
  const { t } = useI18n();
  if (!sample) return null;
  return (
    <ul class="share-numbers">
      {sample.shareOut && <li data-direction="out">{t("quality.share_out", numbers(sample.shareOut))}</li>}
      {sample.peers.map(
        (p) =>
          p.share && (
            <li data-direction="in" data-member={p.member}>
              {t("quality.share_in", { name: p.name, ...numbers(p.share) })}
            </li>
          ),
      )}
    </ul>
  );
}

const W = 240;
const H = 60;

function Chart({ id, title, series, floor = 10 }: { id: string; title: string; series: Series[]; floor?: number }) {
  const { t } = useI18n();
  const top = Math.max(floor, ...series.flatMap((s) => s.values)) * 1.1;
  const x = (i: number) => (W * i) / (HISTORY - 1);
  const y = (v: number) => H - (H * v) / top;
  const now = series.map((s) => (s.values.at(-1) ?? 0).toFixed(s.values.at(-1)! < 10 ? 1 : 0)).join(" / ");
  return (
    <figure class="chart" id={id}>
      <figcaption>
        {title} <span class="now">{t("quality.now", { v: now })}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}, ${t("quality.now", { v: now })}`}>
        {series.map((s) => {
          const offset = HISTORY - s.values.length;
          const points = s.values.map((v, i) => `${x(i + offset).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
          return <polyline class={s.class} points={points} data-points={s.values.length} />;
        })}
      </svg>
    </figure>
  );
}
