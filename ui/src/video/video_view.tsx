// One video surface: subscribes to a participant's pictures and draws the newest on each
// animation frame (pictures that arrive faster than the screen refreshes are skipped).
import { useEffect, useRef, useState } from "preact/hooks";
import type { VideoFrame } from "../backend/types";
import { usePageVisible } from "./visibility";
import { createRenderer } from "./yuv_renderer";

/** Starts pictures; `width` is how many device pixels across they fill (the shell then sends
 *  them no larger than that needs), for subscribers that want it; `rgba` asks for pictures in
 *  RGBA where they can come so (the 2D canvas draws them without converting). */
export type Subscribe = (onFrame: (f: VideoFrame) => void, width?: number, rgba?: boolean) => Promise<() => void> | (() => void);

/** The width asked for, in steps of 160 device pixels so that small resizes do not resubscribe. */
function wanted(el: HTMLElement): number {
  return Math.max(160, Math.ceil((el.clientWidth * (window.devicePixelRatio || 1)) / 160) * 160);
}

/** Milliseconds since a picture's time (µs since the epoch, low 32 bits), or null without one. */
function sinceMs(timeUs: number | undefined): number | null {
  if (!timeUs) return null;
  const nowUs = Math.round((performance.timeOrigin + performance.now()) * 1000) % 2 ** 32;
  const ms = ((((nowUs - timeUs) % 2 ** 32) + 2 ** 32) % 2 ** 32) / 1000;
  return ms < 10_000 ? ms : null;
}

interface Props {
  subscribe: Subscribe;
  label: string;
  mirror?: boolean;
  /** More classes for the canvas. */
  class?: string;
  /** Its CSS size (it draws at the pictures' own size; CSS scales it). */
  style?: { width: string; height: string };
  /** Called when the pictures' size changes (and for the first picture). */
  onSize?: (width: number, height: number) => void;
}

export function VideoView({ subscribe, label, mirror, class: extra, style, onSize }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const sized = useRef(onSize);
  sized.current = onSize;
  const visible = usePageVisible();
  const [width, setWidth] = useState(0);
  // A new canvas after a renderer failed to set up on the last one (see createRenderer).
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const el = canvas.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setWidth(wanted(el)));
    observer.observe(el);
    setWidth(wanted(el));
    return () => observer.disconnect();
  }, [generation]);
  useEffect(() => {
    const el = canvas.current;
    if (!el || !visible || width === 0) return;
    let renderer: ReturnType<typeof createRenderer>;
    try {
      renderer = createRenderer(el);
    } catch (e) {
      console.warn(e);
      if (generation < 1) setGeneration(generation + 1);
      return;
    }
    el.dataset.renderer = renderer.kind;
    let newest: VideoFrame | null = null;
    let arrivedMs: number | null = null;
    let raf = 0;
    let drawn = 0;
    let drawTotalMs = 0;
    const paint = () => {
      raf = 0;
      if (!newest) return;
      const start = performance.now();
      renderer.draw(newest);
      const drawMs = performance.now() - start;
      el.dataset.frames = String(++drawn);
      // For the desktop figures (same machine, same wall clock): `delayMs` from the picture's
      // time (decoded) to this draw; `arriveMs` the part before the page had it; `drawMs` the
      // draw itself; the rest waited for this animation frame, the display's next refresh.
      const delayMs = sinceMs(newest.timeUs);
      if (delayMs !== null) el.dataset.delayMs = delayMs.toFixed(2);
      if (arrivedMs !== null) el.dataset.arriveMs = arrivedMs.toFixed(2);
      el.dataset.drawMs = drawMs.toFixed(2);
      // WebKit's clock counts in whole milliseconds; the mean over every draw is finer.
      drawTotalMs += drawMs;
      el.dataset.drawMeanMs = (drawTotalMs / drawn).toFixed(3);
      el.dataset.format = newest.format ?? "i420";
      const size = `${newest.width}x${newest.height}`;
      if (el.dataset.size !== size) sized.current?.(newest.width, newest.height);
      el.dataset.size = size;
      newest = null;
    };
    let gone = false;
    let unsubscribe: (() => void) | null = null;
    Promise.resolve(
      subscribe((f) => {
        newest = f;
        arrivedMs = sinceMs(f.timeUs);
        if (!raf) raf = requestAnimationFrame(paint);
      }, width, renderer.kind === "2d"),
    ).then((u) => (gone ? u() : (unsubscribe = u)));
    return () => {
      gone = true;
      unsubscribe?.();
      if (raf) cancelAnimationFrame(raf);
      renderer.dispose();
    };
  }, [subscribe, visible, width, generation]);
  const classes = ["video", mirror && "mirror", extra].filter(Boolean).join(" ");
  return <canvas key={generation} ref={canvas} class={classes} style={style} role="img" aria-label={label} />;
}
