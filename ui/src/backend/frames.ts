// The binary picture format of the shell's video channels (src-tauri/src/video.rs):
//
//   offset  0  u32 LE  magic "TRV1"
//           4  u32 LE  width
//           8  u32 LE  height
//          12  u32 LE  the picture's time, µs since the Unix epoch, low 32 bits (when it was
//                      decoded; for the self view, captured)
//          16  u64 LE  sequence number
//          24  I420 bytes: Y (w*h), U (w/2*h/2), V (w/2*h/2)
//
// "TRR1" is the same header followed by RGBA, four bytes a pixel: what Trygg's web extension makes
// of a picture for a page that draws on the CPU (src-tauri/webext/src/rgba.rs).
import type { VideoFrame } from "./types";

export const FRAME_MAGIC = 0x31565254; // "TRV1" read as little-endian u32
export const RGBA_MAGIC = 0x31525254; // "TRR1"
export const FRAME_HEADER = 24;

export function i420Length(width: number, height: number): number {
  const luma = width * height;
  return luma + 2 * (luma / 4);
}

/** Reads one picture from the first `length` bytes of `buffer` (all of it by default: a buffer
 *  reused for pictures of different sizes holds one at its start); null for anything that is
 *  not a whole picture. */
export function decodeFrame(buffer: ArrayBuffer, length = buffer.byteLength): VideoFrame | null {
  if (length < FRAME_HEADER || length > buffer.byteLength) return null;
  const view = new DataView(buffer);
  const magic = view.getUint32(0, true);
  if (magic !== FRAME_MAGIC && magic !== RGBA_MAGIC) return null;
  const width = view.getUint32(4, true);
  const height = view.getUint32(8, true);
  if (width < 2 || height < 2 || width % 2 || height % 2 || width > 7680 || height > 4320) return null;
  const rgba = magic === RGBA_MAGIC;
  if (length !== FRAME_HEADER + (rgba ? width * height * 4 : i420Length(width, height))) return null;
  const seq = Number(view.getBigUint64(16, true));
  const timeUs = view.getUint32(12, true);
  const data = new Uint8Array(buffer, FRAME_HEADER, length - FRAME_HEADER);
  return rgba ? { width, height, seq, timeUs, format: "rgba", data } : { width, height, seq, timeUs, data };
}

/** The inverse of `decodeFrame` (the fake backend and tests). */
export function encodeFrame(f: VideoFrame): ArrayBuffer {
  const out = new ArrayBuffer(FRAME_HEADER + f.data.length);
  const view = new DataView(out);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, f.width, true);
  view.setUint32(8, f.height, true);
  view.setUint32(12, (f.timeUs ?? 0) >>> 0, true);
  view.setBigUint64(16, BigInt(f.seq), true);
  new Uint8Array(out, FRAME_HEADER).set(f.data);
  return out;
}
