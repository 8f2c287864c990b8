/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { bmpDataUrl, defaultShareSources, slidePicture } from "../../src/backend/fake";
import { problems, shareSources } from "../../src/backend/validate";
import { translator } from "../../src/i18n/i18n";
import { groupSources, isPortalChoice, NO_SOURCES, shareReasonKey, sharingLabel, sizeLabel } from "../../src/meeting/share";

test("why sharing cannot happen is told by the error's own sentence, else a general one", () => {
  const en = translator("en");
  assert.equal(shareReasonKey({ code: "media.unsupported", message: "" }, "share.unavailable"), "share.reason.media.unsupported");
  assert.match(en(shareReasonKey({ code: "media.unsupported", message: "" }, "share.unavailable")), /no screen-sharing portal\. Install xdg-desktop-portal/);
  assert.match(en(shareReasonKey({ code: "media.no_device", message: "" }, "share.unavailable")), /no display was found/);
  assert.match(en(shareReasonKey(NO_SOURCES, "share.unavailable")), /no screen or window to share/);
  assert.match(en(shareReasonKey({ code: "share.source_gone", message: "" }, "share.failed")), /window you shared was closed/);
  // Unknown codes, and a whole family the share has no sentence for, fall back.
  assert.equal(shareReasonKey({ code: "media.codec", message: "" }, "share.failed"), "share.failed");
  assert.equal(shareReasonKey({ code: "shell.task", message: "" }, "share.unavailable"), "share.unavailable");
  assert.equal(shareReasonKey({ code: "", message: "" }, "share.unavailable"), "share.unavailable");
});

test("the portal's two choices are told apart from numbered X11 sources", () => {
  assert.equal(isPortalChoice({ id: "screen" }), true);
  assert.equal(isPortalChoice({ id: "window" }), true);
  assert.equal(isPortalChoice({ id: "screen:0" }), false);
  assert.equal(isPortalChoice({ id: "window:0x3a00007" }), false);
});

test("the picker groups screens and windows, each in the shell's order, and shows sizes", () => {
  const { screens, windows } = groupSources(defaultShareSources());
  assert.deepEqual(screens.map((s) => s.id), ["screen:0", "screen:1"]);
  assert.deepEqual(windows.map((s) => s.id), ["window:0x3a00007", "window:0x4c0001a"]);
  assert.deepEqual(groupSources([]), { screens: [], windows: [] });
  assert.equal(sizeLabel(1920, 1080), "1920 × 1080");
});

test("the banner names what we picked in the user's language, else what the meeting says", () => {
  const [screen, , window] = defaultShareSources();
  assert.equal(sharingLabel(translator("en"), { source: null }, window!), "You are sharing the window “Slides — Quarterly review”");
  assert.equal(sharingLabel(translator("nb"), { source: null }, screen!), "Du deler skjermen «Built-in display»");
  assert.equal(sharingLabel(translator("sv"), { source: 'screen "X"' }, null), 'Du delar screen "X"');
  assert.equal(sharingLabel(translator("en"), { source: null }, null), "You are sharing your screen");
});

test("the fake's thumbnails are real bottom-up 24-bit BMPs, and pass the strict check", () => {
  const url = bmpDataUrl(3, 2, (_x, y) => (y === 0 ? [255, 0, 0] : [0, 0, 255]));
  assert.match(url, /^data:image\/bmp;base64,Qk/);
  const bytes = Uint8Array.from(atob(url.split(",")[1]!), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  assert.equal(bytes.length, 54 + 2 * 12, "rows padded to four bytes");
  assert.equal(view.getUint32(2, true), bytes.length);
  assert.equal(view.getInt32(18, true), 3);
  assert.equal(view.getInt32(22, true), 2);
  assert.equal(view.getUint16(28, true), 24);
  assert.deepEqual([...bytes.subarray(54, 57)], [255, 0, 0], "the bottom row first, blue as BGR");
  assert.deepEqual([...bytes.subarray(66, 69)], [0, 0, 255], "then the top row, red as BGR");
  assert.deepEqual(problems(shareSources, defaultShareSources(), true), []);
});

test("share sources are checked strictly: only inline BMP thumbnails, known kinds, every field", () => {
  const good = { id: "window:0x3a00007", kind: "window", name: "Slides", width: 800, height: 600, thumbnail: null };
  assert.deepEqual(problems(shareSources, [good], true), []);
  assert.notDeepEqual(problems(shareSources, [{ ...good, thumbnail: "https://example.org/x.bmp" }]), [], "no remote pictures");
  assert.notDeepEqual(problems(shareSources, [{ ...good, thumbnail: "data:image/svg+xml;base64,PHN2Zy8+" }]), [], "no SVG");
  assert.notDeepEqual(problems(shareSources, [{ ...good, thumbnail: "data:image/bmp;base64,Qk<script>" }]), [], "base64 only");
  assert.notDeepEqual(problems(shareSources, [{ ...good, kind: "tab" }]), []);
  assert.notDeepEqual(problems(shareSources, [{ ...good, width: undefined }]), []);
  assert.notDeepEqual(problems(shareSources, [{ ...good, extra: 1 }], true), []);
  assert.notDeepEqual(problems(shareSources, { sources: [good] }), []);
});

test("a shared slide keeps still and only its pointer moves", () => {
  const a = slidePicture(320, 180, 0);
  const b = slidePicture(320, 180, 1);
  assert.equal(a.data.length, 320 * 180 * 1.5);
  const changed = a.data.reduce((n, v, i) => n + (v !== b.data[i] ? 1 : 0), 0);
  assert.ok(changed > 0 && changed < 320 * 180 * 0.05, `changed ${changed}`);
});
