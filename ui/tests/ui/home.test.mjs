import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

test("home offers a new meeting, joining by link, and settings, all named for assistive tech", async () => {
  const { page, errors } = await app.open();
  assert.equal(await page.textContent("h1"), "Trygg");
  for (const sel of ["#new-meeting", "#join-button", "#open-settings"]) assert.ok(await page.isVisible(sel), sel);
  assert.equal(await page.getAttribute("#join-input", "aria-label"), "Meeting link or code");
  assert.ok(await page.isDisabled("#join-button"), "nothing to join yet");
  const unnamed = await page.$$eval("button, input, select, textarea", (els) =>
    els.filter((e) => !(e.getAttribute("aria-label") || e.textContent?.trim() || e.labels?.length)).map((e) => e.outerHTML),
  );
  assert.deepEqual(unnamed, []);
  assert.deepEqual(errors, []);
});

test("a Trygg link leads to the pre-join screen for that server", async () => {
  const { page } = await app.open();
  await page.fill("#join-input", "trygg://meet.example.org/abcdefghijklmnopqrstuvwxyz#c2VjcmV0c2VjcmV0c2VjcmV0");
  await page.click("#join-button");
  await page.waitForSelector(".screen.prejoin");
  assert.equal(await page.textContent("h1"), "Join the meeting");
  assert.match(await page.textContent(".where"), /meet\.example\.org:7443/);
  assert.equal(await page.textContent("#enter-meeting"), "Ask to join");
});

test("another vendor's link is explained, not joined", async () => {
  const { page } = await app.open();
  await page.fill("#join-input", "https://zoom.us/j/85298765432");
  await page.press("#join-input", "Enter");
  await page.waitForSelector("#link-notice");
  assert.match(await page.textContent("#link-notice"), /zoom meeting at zoom\.us/);
  assert.ok(await page.isVisible("#new-meeting"), "still on home");
});

test("text without a meeting gives a sentence with a way forward, and the code for support", async () => {
  const { page } = await app.open();
  await page.fill("#join-input", "see you tomorrow");
  await page.click("#join-button");
  const alert = await page.waitForSelector("[role=alert]");
  assert.match(await alert.textContent(), /No meeting link was found in that\. Paste the whole link/);
  assert.equal(await alert.getAttribute("data-code"), "links.no_meeting_found");
});

test("a failing backend call shows a human sentence, never a blank screen", async () => {
  const { page } = await app.open();
  await page.evaluate(() => window.__fake.failNext("openLink", { code: "net.io", message: "connection reset" }));
  await page.fill("#join-input", "trygg://x/abcdefghijklmnopqrstuvwxyz#s");
  await page.click("#join-button");
  const alert = await page.waitForSelector("[role=alert]");
  assert.match(await alert.textContent(), /cannot reach the meeting server\. Check your network/);
  await page.click("[role=alert] >> text=Dismiss");
  assert.equal(await page.$("[role=alert]"), null);
});

test("a link opened from outside (deep link, second launch, .ics) lands on pre-join", async () => {
  const { page } = await app.open();
  await page.evaluate(() =>
    window.__fake.emit({
      type: "link_opened",
      opened: { id: 7, kind: "ics", title: "Planning", warnings: [], action: { type: "join_trygg", personal: false, server: { host: "meet.example.org", port: 443, tls: true, room: "abcdefghijklmnopqrstuvwxyz", pin: null } } },
    }),
  );
  await page.waitForSelector(".screen.prejoin");
  assert.match(await page.textContent(".where"), /meet\.example\.org:443/);
});
