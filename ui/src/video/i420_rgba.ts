// I420 to RGBA on the CPU, for the 2D canvas renderer: BT.601 limited range, the same matrix as
// the WebGL shader, in integer arithmetic with lookup tables (a 640x360 picture takes well under a
// millisecond). Rows and columns go two at a time, so each chroma sample is looked up once.

/** Each table holds a sample's contribution in 1/256 steps; `clamp` maps (sum >> 8) + 512 to 0..255. */
const TABLES = (() => {
  const y = new Int32Array(256);
  const rv = new Int32Array(256);
  const gu = new Int32Array(256);
  const gv = new Int32Array(256);
  const bu = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    y[i] = Math.round(1.1643 * (i - 16) * 256);
    rv[i] = Math.round(1.5958 * (i - 128) * 256);
    gu[i] = Math.round(-0.39173 * (i - 128) * 256);
    gv[i] = Math.round(-0.8129 * (i - 128) * 256);
    bu[i] = Math.round(2.017 * (i - 128) * 256);
  }
  const clamp = new Uint8Array(1536);
  for (let i = 0; i < clamp.length; i++) clamp[i] = Math.max(0, Math.min(255, i - 512));
  return { y, rv, gu, gv, bu, clamp };
})();

/** The rounding bias plus the clamp table's offset of 512, in 1/256 steps. */
const BIAS = 128 + 512 * 256;

/** Converts one I420 picture (`width` and `height` even) into `out`, one opaque RGBA pixel per
 *  32-bit word in little-endian byte order (R first), as an `ImageData`'s bytes read. */
export function i420ToRgba(data: Uint8Array, width: number, height: number, out: Uint32Array): void {
  const { y: ty, rv, gu, gv, bu, clamp } = TABLES;
  const luma = width * height;
  const half = width >> 1;
  const vStart = luma + (luma >> 2);
  for (let row = 0; row < height; row += 2) {
    const u0 = luma + (row >> 1) * half;
    const v0 = vStart + (row >> 1) * half;
    const top = row * width;
    const bottom = top + width;
    for (let cx = 0; cx < half; cx++) {
      const u = data[u0 + cx];
      const v = data[v0 + cx];
      const r = rv[v] + BIAS;
      const g = gu[u] + gv[v] + BIAS;
      const b = bu[u] + BIAS;
      // The four pixels this chroma sample covers, written out (an array here would be allocated
      // for every sample).
      let at = top + 2 * cx;
      let l = ty[data[at]];
      out[at] = 0xff000000 | (clamp[(l + b) >> 8] << 16) | (clamp[(l + g) >> 8] << 8) | clamp[(l + r) >> 8];
      l = ty[data[++at]];
      out[at] = 0xff000000 | (clamp[(l + b) >> 8] << 16) | (clamp[(l + g) >> 8] << 8) | clamp[(l + r) >> 8];
      at = bottom + 2 * cx;
      l = ty[data[at]];
      out[at] = 0xff000000 | (clamp[(l + b) >> 8] << 16) | (clamp[(l + g) >> 8] << 8) | clamp[(l + r) >> 8];
      l = ty[data[++at]];
      out[at] = 0xff000000 | (clamp[(l + b) >> 8] << 16) | (clamp[(l + g) >> 8] << 8) | clamp[(l + r) >> 8];
    }
  }
}
