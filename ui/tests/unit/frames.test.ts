/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { testPicture } from "../../src/backend/fake";
import { decodeFrame, encodeFrame, FRAME_HEADER, i420Length } from "../../src/backend/frames";

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
