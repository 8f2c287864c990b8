// Connection quality: a small indicator that opens live graphs of bitrate, round-trip time and
// loss over the last minute (one sample a second, from the meeting's stats).
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
  if (!history.some((s) => s.peers.length > 0)) {
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
  const rtt = pick((s) => max(s.peers.map((p) => p.link.rtt_ms ?? 0)));
  const loss = pick((s) => max(s.peers.map((p) => p.packet_loss_pct)));
  return (
    <div class="panel-body" id="quality-panel">
      <h2>{t("quality.heading")}</h2>
      <Chart id="chart-bitrate" title={t("quality.bitrate")} series={[{ values: bitIn, class: "in" }, { values: bitOut, class: "out" }]} />
      <Chart id="chart-rtt" title={t("quality.rtt")} series={[{ values: rtt, class: "rtt" }]} />
      <Chart id="chart-loss" title={t("quality.loss")} series={[{ values: loss, class: "loss" }]} floor={1} />
    </div>
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
