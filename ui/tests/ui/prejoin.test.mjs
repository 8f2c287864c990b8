import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { canvasStats, launch } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

async function prejoin(query = "") {
  const opened = await app.open(query);
  await opened.page.click("#new-meeting");
  await opened.page.waitForSelector(".screen.prejoin");
  return opened;
}

// Both ways of drawing I420: the YUV shader (chosen on a GPU, asked for here) and the CPU
// conversion into a 2D canvas (chosen for SwiftShader, a CPU rasteriser, as on a machine without a GPU).
for (const [query, renderer] of [["?renderer=webgl", "webgl"], ["", "2d"]]) {
  test(`the camera preview is drawn from I420 by the ${renderer} renderer and moves`, async () => {
    const { page, errors } = await prejoin(query);
    await page.waitForFunction(() => Number(document.querySelector(".preview canvas")?.dataset.frames) > 2);
    const a = await canvasStats(page, ".preview canvas");
    // A newer picture has been drawn (a fixed wait may see none on a slow machine).
    await page.waitForFunction((n) => Number(document.querySelector(".preview canvas")?.dataset.frames) > n, a.frames);
    const b = await canvasStats(page, ".preview canvas");
    assert.equal(a.renderer, renderer);
    assert.equal(a.format, "i420", "the preview comes in I420 for either renderer");
    assert.ok(a.mean > 30 && a.std > 20, `not black, not flat: ${JSON.stringify(a)}`);
    assert.notEqual(a.hash, b.hash, "the picture changes");
    assert.deepEqual(errors, []);
  });
}

test("the microphone meter moves", async () => {
  const { page } = await prejoin();
  // The meter runs once the preview has started (an effect after paint, then the backend).
  await page.waitForFunction(() => Number(document.querySelector("#mic-meter")?.getAttribute("aria-valuenow")) > 0);
  const values = new Set();
  for (let i = 0; i < 8; i++) {
    values.add(await page.getAttribute("#mic-meter", "aria-valuenow"));
    await page.waitForTimeout(60);
  }
  assert.ok(values.size > 2, `meter values: ${[...values]}`);
});

test("device pickers list cameras, microphones and speakers, with none and test sources", async () => {
  const { page } = await prejoin();
  await page.waitForSelector("#camera option[value='camera:fake-usb']", { state: "attached" });
  const options = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));
  assert.deepEqual(await options("#camera"), ["camera", "camera:fake-front", "camera:fake-usb", "synthetic", "none"]);
  assert.deepEqual(await options("#microphone"), ["mic", "mic:fake-mic", "mic:fake-headset", "synthetic", "none"]);
  // A new user's settings: the system's devices, shown as such.
  assert.equal(await page.inputValue("#camera"), "camera");
  assert.equal(await page.inputValue("#microphone"), "mic");
  assert.equal(await page.$("#devices-missing"), null);
  assert.deepEqual(await options("#speaker"), ["default", "fake-speakers", "fake-headphones", "none"]);
  await page.selectOption("#camera", "none");
  await page.waitForSelector(".preview .placeholder");
});

test("a name is required, and the screen says so next to the field", async () => {
  const { page } = await prejoin();
  await page.click("#enter-meeting");
  assert.equal(await page.getAttribute("#name", "aria-invalid"), "true");
  assert.equal(await page.textContent("#name-hint"), "Enter your name first.");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "name");
});

test("joining with camera and microphone off starts muted, with no self video", async () => {
  const { page } = await prejoin();
  await page.fill("#name", "Ola");
  await page.check("#mic-off");
  await page.check("#camera-off");
  await page.click("#enter-meeting");
  await page.waitForSelector("#toggle-mic");
  assert.equal(await page.getAttribute("#toggle-mic", "aria-pressed"), "true");
  assert.equal(await page.getAttribute("#toggle-camera", "aria-pressed"), "true");
  assert.ok(await page.isVisible(".tile[data-member=self] .placeholder"));
  const host = await page.evaluate(() => window.__fake.calls.filter((c) => c === "host").length);
  assert.equal(host, 1);
});

test("a device that is busy is explained with what to do, and the user stays on pre-join", async () => {
  const { page } = await prejoin();
  await page.evaluate(() => window.__fake.failNext("host", { code: "media.device_busy", message: "camera in use" }));
  await page.fill("#name", "Ola");
  await page.click("#enter-meeting");
  const alert = await page.waitForSelector("[role=alert]");
  assert.match(await alert.textContent(), /Another program is using the camera or microphone\. Close it, then try again\./);
  assert.ok(await page.isEnabled("#enter-meeting"), "can try again");
});

test("a device unplugged during the preview is reported", async () => {
  const { page } = await prejoin();
  await page.waitForFunction(() => Number(document.querySelector(".preview canvas")?.dataset.frames) > 0);
  await page.evaluate(() => window.__fake.emit({ type: "preview_error", code: "media.device_failed", message: "gone" }));
  const alert = await page.waitForSelector("[role=alert]");
  assert.match(await alert.textContent(), /stopped working \(was it unplugged\?\)/);
});

test("the devices and name chosen on pre-join are remembered", async () => {
  const { page } = await prejoin();
  await page.waitForSelector("#camera option[value='camera:fake-usb']", { state: "attached" });
  await page.selectOption("#camera", "camera:fake-usb");
  await page.selectOption("#speaker", "fake-headphones");
  await page.fill("#name", "Kari");
  await page.click("#enter-meeting");
  await page.waitForSelector("#toggle-mic");
  await page.click("#leave");
  await page.click("#confirm-leave");
  await page.click("#go-home");
  await page.click("#new-meeting");
  await page.waitForSelector("#speaker option[value='fake-headphones']", { state: "attached" });
  assert.equal(await page.inputValue("#name"), "Kari");
  assert.equal(await page.inputValue("#camera"), "camera:fake-usb");
  assert.equal(await page.inputValue("#speaker"), "fake-headphones");
});

test("with no camera, microphone or speaker on the computer, a new user joins without them and is told", async () => {
  const opened = await app.open("");
  await opened.page.evaluate(() =>
    window.__fake.devices({ cameras: [], microphones: [], speakers: [], problems: ["no sound card"] }),
  );
  await opened.page.click("#new-meeting");
  const { page } = opened;
  await page.waitForSelector("#devices-missing");
  const kinds = await page.$$eval("#devices-missing li", (li) => li.map((l) => l.dataset.kind));
  assert.deepEqual(kinds, ["camera", "microphone", "speaker"]);
  assert.match(await page.textContent("#devices-missing"), /No camera found: you join without video/);
  assert.equal(await page.inputValue("#camera"), "none");
  assert.equal(await page.inputValue("#microphone"), "none");
  assert.equal(await page.inputValue("#speaker"), "none");
  await page.waitForSelector(".preview .placeholder");
  await page.fill("#name", "Nora New");
  await page.click("#enter-meeting");
  await page.waitForSelector(".screen.meeting");
  const options = await page.evaluate(() => window.__fake.joinOptions);
  assert.equal(options.length, 1);
  assert.deepEqual([options[0].camera, options[0].microphone, options[0].speaker], ["none", "none", "none"]);
});
