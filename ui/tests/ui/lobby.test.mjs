import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

async function knock() {
  const opened = await app.open();
  const { page } = opened;
  await page.fill("#join-input", "trygg://meet.example.org/abcdefghijklmnopqrstuvwxyz#c2VjcmV0");
  await page.click("#join-button");
  await page.fill("#name", "Jon");
  await page.click("#enter-meeting");
  await page.waitForSelector("#lobby-status[data-phase=lobby]");
  return opened;
}

test("the joiner waits in the lobby and sees that nothing is sent before admission", async () => {
  const { page } = await knock();
  assert.equal(await page.textContent("h1"), "Waiting to be let in");
  assert.match(await page.textContent(".security-state"), /Waiting for keys.*Nothing is sent before that/s);
  assert.match(await page.textContent(".where"), /meet\.example\.org:7443/);
});

test("admitted: the meeting opens with the host's video", async () => {
  const { page } = await knock();
  await page.evaluate(() => window.__fake.answerKnock(true));
  await page.waitForSelector(".tile[data-member=host000000000001] canvas");
  assert.match(await page.textContent("#e2ee-badge"), /End-to-end encrypted/);
});

test("denied: the screen says so and offers the way home", async () => {
  const { page } = await knock();
  await page.evaluate(() => window.__fake.answerKnock(false));
  await page.waitForSelector("#go-home");
  assert.equal(await page.textContent("h1"), "The host did not let you in.");
  await page.click("#go-home");
  await page.waitForSelector("#new-meeting");
});

test("an unreachable server while knocking is shown in the lobby", async () => {
  const { page } = await knock();
  await page.evaluate(() => window.__fake.emit({ type: "error", code: "net.io", message: "refused" }));
  assert.match(await (await page.waitForSelector("[role=alert]")).textContent(), /cannot reach the meeting server/);
});

test("leaving the lobby ends at the left screen", async () => {
  const { page } = await knock();
  await page.click("#leave-lobby");
  await page.waitForSelector("#go-home");
  assert.equal(await page.textContent("h1"), "You left the meeting.");
});
