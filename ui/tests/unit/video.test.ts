/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { i420ToRgba } from "../../src/video/i420_rgba";
import { chooseRenderer, glKindOf } from "../../src/video/renderer_choice";

/** The WebGL shader's arithmetic, in floating point, for one pixel. */
function shader(y: number, u: number, v: number): [number, number, number] {
  const l = 1.1643 * (y / 255 - 0.0627451);
  const cu = u / 255 - 0.5019608;
  const cv = v / 255 - 0.5019608;
  const c = (x: number) => Math.max(0, Math.min(255, Math.round(x * 255)));
  return [c(l + 1.5958 * cv), c(l - 0.39173 * cu - 0.8129 * cv), c(l + 2.017 * cu)];
}

test("the CPU conversion gives the shader's colours, within one step, for every pixel", () => {
  const [w, h] = [8, 6];
  const data = new Uint8Array(w * h * 1.5);
  // Every luma step from 0 to 255 over the pictures, and chroma from both ends and the middle.
  let seed = 7;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < data.length; i++) data[i] = i < w * h ? (round * 7 + i * 5) & 255 : (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    data[w * h] = 0;
    data[w * h + 1] = 255;
    const out = new Uint32Array(w * h);
    i420ToRgba(data, w, h, out);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = (y >> 1) * (w / 2) + (x >> 1);
        const want = shader(data[y * w + x], data[w * h + c], data[w * h + (w * h) / 4 + c]);
        const p = out[y * w + x];
        const got = [p & 255, (p >>> 8) & 255, (p >>> 16) & 255];
        assert.equal(p >>> 24, 255, "opaque");
        for (let k = 0; k < 3; k++) assert.ok(Math.abs(got[k] - want[k]) <= 1, `(${x},${y}) ${got} against ${want}`);
      }
    }
  }
});

test("limited-range black and white come out as black and white", () => {
  const data = new Uint8Array(2 * 2 * 1.5).fill(128);
  data.fill(16, 0, 2);
  data.fill(235, 2, 4);
  const out = new Uint32Array(4);
  i420ToRgba(data, 2, 2, out);
  assert.deepEqual([...out], [0xff000000, 0xff000000, 0xffffffff, 0xffffffff]);
});

test("WebGL on a CPU rasteriser draws video through the 2D canvas, on a GPU through the shader", () => {
  assert.equal(glKindOf("llvmpipe (LLVM 15.0.6, 256 bits)"), "software");
  assert.equal(glKindOf("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)"), "software");
  assert.equal(glKindOf("softpipe"), "software");
  assert.equal(glKindOf("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"), "hardware");
  assert.equal(glKindOf("AMD Radeon RX 6600 (radeonsi, navi23, LLVM 15.0.6, DRM 3.49, 6.1.0)"), "hardware");
  assert.equal(glKindOf(null), "none");
  assert.equal(chooseRenderer("", () => "hardware"), "webgl");
  assert.equal(chooseRenderer("", () => "software"), "2d");
  assert.equal(chooseRenderer("", () => "none"), "2d");
  assert.equal(chooseRenderer("?renderer=webgl", () => "software"), "webgl", "asked for");
  assert.equal(chooseRenderer("?renderer=2d", () => "hardware"), "2d", "asked for");
  assert.equal(chooseRenderer("?renderer=vulkan", () => "software"), "2d", "an unknown ask is ignored");
});
