// Hands the pictures of one source to whoever draws them (a preview started elsewhere).
import type { VideoFrame } from "../backend/types";

export class FrameHub {
  private listeners = new Set<(f: VideoFrame) => void>();

  publish = (f: VideoFrame) => this.listeners.forEach((l) => l(f));

  subscribe = (l: (f: VideoFrame) => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };
}
