import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, startAsHost } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

const last = (page) => page.evaluate(() => JSON.stringify(window.__fake.commands.at(-1)));

test("Zoom's Alt shortcuts work: A microphone, V camera, Y hand, U participants, Q leave", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.keyboard.press("Alt+KeyA");
  assert.equal(await last(page), JSON.stringify({ type: "mute_microphone", muted: true }));
  await page.keyboard.press("Alt+KeyV");
  assert.equal(await last(page), JSON.stringify({ type: "mute_camera", muted: true }));
  await page.keyboard.press("Alt+KeyY");
  assert.equal(await last(page), JSON.stringify({ type: "raise_hand", raised: true }));
  await page.keyboard.press("Alt+KeyU");
  await page.waitForSelector("#people-panel");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#people-panel", { state: "detached" });
  await page.keyboard.press("Alt+KeyQ");
  await page.waitForSelector("#leave-dialog");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#leave-dialog", { state: "detached" });
});

test("Teams' Ctrl+Shift shortcuts work: M microphone, O camera, K hand, H leave", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.keyboard.press("Control+Shift+KeyM");
  assert.equal(await last(page), JSON.stringify({ type: "mute_microphone", muted: true }));
  await page.keyboard.press("Control+Shift+KeyO");
  assert.equal(await last(page), JSON.stringify({ type: "mute_camera", muted: true }));
  await page.keyboard.press("Control+Shift+KeyK");
  assert.equal(await last(page), JSON.stringify({ type: "raise_hand", raised: true }));
  await page.keyboard.press("Control+Shift+KeyH");
  await page.waitForSelector("#leave-dialog");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#go-home");
});

test("? lists the shortcuts", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.keyboard.press("Shift+Slash");
  await page.waitForSelector("#shortcut-help");
  assert.match(await page.textContent("#shortcut-help"), /Alt\+A.*Ctrl\+Shift\+M/s);
  assert.match(await page.textContent("#shortcut-help"), /Share your screen, or stop sharing\s*Alt\+SCtrl\+Shift\+E/);
});

test("Teams' Ctrl+Shift+E and Zoom's Alt+S open the share picker, and stop a running share", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.keyboard.press("Control+Shift+KeyE");
  await page.waitForSelector("#share-picker label.source");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#share-picker", { state: "detached" });
  await page.keyboard.press("Alt+KeyS");
  await page.waitForSelector("#share-picker label.source");
  await page.click("label[data-source='screen:0']");
  await page.click("#share-start");
  await page.waitForSelector("#share-banner");
  assert.equal(await last(page), JSON.stringify({ type: "start_share", source: "screen:0" }));
  await page.keyboard.press("Control+Shift+KeyE");
  await page.waitForSelector("#share-banner", { state: "detached" });
  assert.equal(await last(page), JSON.stringify({ type: "stop_share" }));
});

test("the keyboard focus is always visible", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.focus("#toggle-camera");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { id: document.activeElement.id, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  assert.equal(outline.id, "toggle-hand");
  assert.equal(outline.style, "solid");
  assert.ok(outline.width >= 2, JSON.stringify(outline));
});
