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
