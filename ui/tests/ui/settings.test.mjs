import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, waitForText } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

test("settings show devices, the microphone's processing, server and TURN, the identity fingerprint and language, and save", async () => {
  const { page } = await app.open();
  await page.click("#open-settings");
  await page.waitForSelector("#s-camera option[value='camera:fake-usb']", { state: "attached" });
  // The identity is its own backend call: the devices having arrived does not mean it has.
  await waitForText(page, "#fingerprint", /^3f9a 5c0e 7b1d/);
  assert.match(await page.textContent("#fingerprint"), /^3f9a 5c0e 7b1d/);
  await page.selectOption("#s-camera", "camera:fake-usb");
  await page.fill("#s-server", "meet.example.org:7443");
  await page.fill("#s-ice", "turn:turn.example.org:3478?transport=udp\nstun:stun.example.org");
  await page.fill("#s-turn-user", "alice");
  for (const id of ["#s-echo-cancellation", "#s-noise-suppression", "#s-gain-control"]) {
    assert.equal(await page.isChecked(id), true, `${id} is on by default`);
  }
  await page.uncheck("#s-noise-suppression");
  await page.click("#settings-save");
  await page.waitForSelector("#settings-saved");
  await page.click("#settings-back");
  await page.click("#open-settings");
  // The device list arrives from the backend after the screen opens.
  await page.waitForSelector("#s-camera option[value='camera:fake-usb']", { state: "attached" });
  assert.equal(await page.inputValue("#s-server"), "meet.example.org:7443");
  assert.equal(await page.inputValue("#s-ice"), "turn:turn.example.org:3478?transport=udp\nstun:stun.example.org");
  assert.equal(await page.inputValue("#s-camera"), "camera:fake-usb");
  assert.equal(await page.isChecked("#s-noise-suppression"), false, "noise suppression stays off");
  assert.equal(await page.isChecked("#s-echo-cancellation"), true);
});

test("settings that cannot be saved are explained", async () => {
  const { page } = await app.open();
  await page.click("#open-settings");
  await page.evaluate(() => window.__fake.failNext("saveSettings", { code: "settings.io", message: "disk full" }));
  await page.click("#settings-save");
  assert.match(await (await page.waitForSelector("[role=alert]")).textContent(), /could not be saved\. Check that your home folder has space/);
});

test("the TURN password goes to the keychain through the backend and is not kept in the page", async () => {
  const { page } = await app.open();
  await page.click("#open-settings");
  assert.ok(await page.isDisabled("#s-turn-password-save"));
  await page.fill("#s-turn-password", "hunter2");
  await page.click("#s-turn-password-save");
  await page.waitForSelector("text=The TURN password is saved in the system keychain.");
  assert.equal(await page.inputValue("#s-turn-password"), "");
  assert.ok(await page.evaluate(() => window.__fake.calls.includes("setTurnPassword")));
  assert.ok(!(await page.content()).includes("hunter2"));
});
