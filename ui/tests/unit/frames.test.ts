/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { rgbaPicture, testPicture } from "../../src/backend/fake";
import { decodeFrame, encodeFrame, FRAME_HEADER, i420Length, RGBA_MAGIC } from "../../src/backend/frames";
import { i420ToRgba } from "../../src/video/i420_rgba";

test("a picture survives the binary channel format", () => {
  const f = { ...testPicture(64, 36, 7, [100, 150]), timeUs: 0xfedc_ba98 };
  const back = decodeFrame(encodeFrame(f));
  assert.ok(back);
  assert.equal(back.width, 64);
  assert.equal(back.height, 36);
  assert.equal(back.seq, 7);
  assert.equal(back.timeUs, 0xfedc_ba98, "the picture's time, low 32 bits of µs");
  assert.deepEqual(back.data, f.data);
});

test("anything that is not one whole picture is refused", () => {
  const good = encodeFrame(testPicture(64, 36, 1, [128, 128]));
  assert.equal(decodeFrame(good.slice(0, good.byteLength - 1)), null, "short");
  assert.equal(decodeFrame(new ArrayBuffer(10)), null, "no header");
  const wrongMagic = good.slice(0);
  new DataView(wrongMagic).setUint32(0, 0xdeadbeef, true);
  assert.equal(decodeFrame(wrongMagic), null, "magic");
  const odd = good.slice(0);
  new DataView(odd).setUint32(4, 63, true);
  assert.equal(decodeFrame(odd), null, "odd width");
  assert.equal(i420Length(64, 36), 64 * 36 * 1.5);
  assert.equal(good.byteLength, FRAME_HEADER + i420Length(64, 36));
});

test("a picture at the start of a larger, reused buffer is read by its length", () => {
  const small = encodeFrame(testPicture(32, 18, 3, [90, 160]));
  const reused = new ArrayBuffer(small.byteLength + 5000);
  new Uint8Array(reused).set(new Uint8Array(small));
  const f = decodeFrame(reused, small.byteLength);
  assert.ok(f);
  assert.equal(f.width, 32);
  assert.equal(f.data.length, i420Length(32, 18), "only the picture, not the rest of the buffer");
  assert.equal(decodeFrame(reused), null, "the whole buffer is not one picture");
  assert.equal(decodeFrame(reused, small.byteLength - 1), null, "short");
  assert.equal(decodeFrame(small, small.byteLength + 1), null, "a length past the buffer");
});

test("an RGBA picture (TRR1, from the web extension) reads as RGBA, four bytes a pixel", () => {
  const f = { ...testPicture(32, 18, 5, [90, 160]), timeUs: 77 };
  const back = rgbaPicture(f);
  assert.equal(back.format, "rgba");
  assert.deepEqual([back.width, back.height, back.seq, back.timeUs], [32, 18, 5, 77]);
  assert.equal(back.data.length, 32 * 18 * 4);
  assert.equal(back.data.byteOffset, FRAME_HEADER, "a view into the picture's own buffer, no copy");
  const want = new Uint32Array(32 * 18);
  i420ToRgba(f.data, 32, 18, want);
  assert.deepEqual(new Uint8Array(back.data), new Uint8Array(want.buffer), "the pixels as the page converts them");
  assert.equal(decodeFrame(encodeFrame(f))?.format, undefined, "TRV1 stays I420");
});

test("an RGBA picture of the wrong length is refused", () => {
  const i420 = encodeFrame(testPicture(32, 18, 1, [128, 128]));
  const relabelled = i420.slice(0);
  new DataView(relabelled).setUint32(0, RGBA_MAGIC, true);
  assert.equal(decodeFrame(relabelled), null, "an I420 length under the RGBA magic");
  const rgba = new ArrayBuffer(FRAME_HEADER + 32 * 18 * 4);
  new Uint8Array(rgba).set(new Uint8Array(relabelled, 0, FRAME_HEADER));
  assert.ok(decodeFrame(rgba), "the right length reads");
  assert.equal(decodeFrame(rgba, rgba.byteLength - 4), null, "one pixel short");
});
