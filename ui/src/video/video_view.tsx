// One video surface: subscribes to a participant's pictures and draws the newest on each
// animation frame (pictures that arrive faster than the screen refreshes are skipped).
import { useEffect, useRef } from "preact/hooks";
import type { VideoFrame } from "../backend/types";
import { createRenderer } from "./yuv_renderer";

export type Subscribe = (onFrame: (f: VideoFrame) => void) => Promise<() => void> | (() => void);

interface Props {
  subscribe: Subscribe;
  label: string;
  mirror?: boolean;
}

export function VideoView({ subscribe, label, mirror }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const renderer = createRenderer(el);
    el.dataset.renderer = renderer.kind;
    let newest: VideoFrame | null = null;
    let raf = 0;
    let drawn = 0;
    const paint = () => {
      raf = 0;
      if (!newest) return;
      renderer.draw(newest);
      el.dataset.frames = String(++drawn);
      el.dataset.size = `${newest.width}x${newest.height}`;
      newest = null;
    };
    let gone = false;
    let unsubscribe: (() => void) | null = null;
    Promise.resolve(
      subscribe((f) => {
        newest = f;
        if (!raf) raf = requestAnimationFrame(paint);
      }),
    ).then((u) => (gone ? u() : (unsubscribe = u)));
    return () => {
      gone = true;
      unsubscribe?.();
      if (raf) cancelAnimationFrame(raf);
      renderer.dispose();
    };
  }, [subscribe]);
  return <canvas ref={canvas} class={mirror ? "video mirror" : "video"} role="img" aria-label={label} />;
}
