import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { canvasStats, launch, startAsHost, waitForText } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

const commands = (page) => page.evaluate(() => window.__fake.commands.map((c) => JSON.stringify(c)));

async function hostWithGuest() {
  const opened = await app.open();
  const { page } = opened;
  await startAsHost(page);
  await page.evaluate(() => window.__fake.knock("00000000000000b2", "Kari Nordmann"));
  await page.waitForSelector("#knock-notice");
  assert.match(await page.textContent("#knock-notice"), /Kari Nordmann is waiting in the lobby/);
  await page.click("#toggle-people");
  await page.click("button[aria-label='Admit Kari Nordmann']");
  await page.waitForSelector(".tile[data-member='00000000000000b2'] canvas");
  return opened;
}

test("the host admits a knock and sees the guest's moving, non-black video", async () => {
  const { page, errors } = await hostWithGuest();
  assert.deepEqual(await commands(page), [JSON.stringify({ type: "admit", member: "00000000000000b2" })]);
  const tile = ".tile[data-member='00000000000000b2'] canvas";
  await page.waitForFunction((s) => Number(document.querySelector(s)?.dataset.frames) > 2, tile);
  const a = await canvasStats(page, tile);
  // A newer picture has been drawn (a fixed wait may see none on a slow machine).
  await page.waitForFunction(([s, n]) => Number(document.querySelector(s)?.dataset.frames) > n, [tile, a.frames]);
  const b = await canvasStats(page, tile);
  assert.equal(a.renderer, "2d", "SwiftShader is a CPU rasteriser");
  assert.equal(a.format, "rgba", "the 2D canvas asks for pictures in RGBA and draws them as they come");
  assert.ok(a.mean > 30 && a.std > 20, JSON.stringify(a));
  assert.notEqual(a.hash, b.hash);
  assert.equal(await page.$$eval(".people .participant", (l) => l.length), 1);
  assert.deepEqual(errors, []);
});

test("a hidden window stops drawing and receiving video, and gets it back when shown", async () => {
  const { page, errors } = await hostWithGuest();
  const tile = ".tile[data-member='00000000000000b2'] canvas";
  await page.waitForFunction((s) => Number(document.querySelector(s)?.dataset.frames) > 2, tile);
  assert.ok((await page.evaluate(() => window.__fake.watching())) >= 2, "self view and the guest");
  const show = (state) =>
    page.evaluate((state) => {
      Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
  await show("hidden");
  await page.waitForFunction(() => window.__fake.watching() === 0);
  const frozen = await page.$eval(tile, (c) => Number(c.dataset.frames));
  await page.waitForTimeout(300);
  assert.equal(await page.$eval(tile, (c) => Number(c.dataset.frames)), frozen, "nothing drawn while hidden");
  await show("visible");
  await page.waitForFunction(() => window.__fake.watching() >= 2);
  // Drawing again restarts the count at 1: until then the frozen count (> 2) is still there.
  await page.waitForFunction(([s, n]) => Number(document.querySelector(s)?.dataset.frames) !== n, [tile, frozen]);
  await page.waitForFunction((s) => Number(document.querySelector(s)?.dataset.frames) > 2, tile);
  assert.deepEqual(errors, []);
});

test("a knock can be denied", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.evaluate(() => window.__fake.knock("00000000000000c3", "Mallory"));
  await page.click("#toggle-people");
  await page.click("button[aria-label='Deny Mallory']");
  await page.waitForFunction(() => !document.querySelector(".knock"));
  assert.deepEqual(await commands(page), [JSON.stringify({ type: "deny", member: "00000000000000c3" })]);
});

test("the lobby says whom a knock was invited as, flags forged, copied and foreign invitations, and the host revokes one", async () => {
  const { page, errors } = await app.open();
  await startAsHost(page);
  await page.evaluate(() => {
    window.__fake.knock("00000000000000d1", "Kari Nordmann", { status: "invited", invitee: "kari@example.no", id: "AQEBAQEBAQE" });
    window.__fake.knock("00000000000000d2", "Ola", { status: "forged" });
    window.__fake.knock("00000000000000d3", "Eve", { status: "other_signer", signer: "3f2a 91c0" });
    window.__fake.knock("00000000000000d4", "Per");
    window.__fake.knock("00000000000000d5", "Bo", { status: "copied", id: "AgICAgICAgI" });
  });
  await page.click("#toggle-people");
  const line = (m) => page.textContent(`.knock[data-member='${m}'] .invitation`);
  assert.equal(await line("00000000000000d1"), "Invited as kari@example.no");
  assert.equal(await line("00000000000000d2"), "Forged invitation");
  assert.equal(await line("00000000000000d3"), "Invitation not made by a host of this meeting");
  assert.equal(await page.$(".knock[data-member='00000000000000d4'] .invitation"), null, "a shared link carries no invitation");
  assert.equal(await line("00000000000000d5"), "Copy of someone else's invitation: not theirs");
  assert.equal(await page.$$eval(".knock .revoke", (l) => l.length), 1, "only a valid invitation can be revoked");
  await page.click("button[aria-label='Revoke the invitation of kari@example.no']");
  await page.waitForSelector(".knock[data-member='00000000000000d1'] .invitation.revoked");
  assert.equal(await line("00000000000000d1"), "Invitation for kari@example.no: revoked by you");
  assert.equal(await page.$$eval(".knock", (l) => l.length), 5, "the knock stays: the host still decides");
  assert.deepEqual(await commands(page), [JSON.stringify({ type: "revoke_invitation", id: "AQEBAQEBAQE" })]);
  assert.deepEqual(errors, []);
});

test("the active speaker's tile is emphasised", async () => {
  const { page } = await hostWithGuest();
  await page.evaluate(() => window.__fake.levels({ "00000000000000b2": 0.2 }));
  await page.waitForSelector(".tile.speaking[data-member='00000000000000b2']");
  assert.match(await page.getAttribute(".tile.speaking", "aria-label"), /Speaking/);
  await page.evaluate(() => window.__fake.levels({ "00000000000000b2": 0.01 }));
  await page.waitForFunction(() => !document.querySelector(".tile.speaking"));
});

test("mute, camera and hand buttons say their state and send the commands", async () => {
  const { page } = await hostWithGuest();
  await page.click("#toggle-mic");
  assert.equal(await page.getAttribute("#toggle-mic", "aria-pressed"), "true");
  assert.equal(await page.textContent("#toggle-mic"), "Unmute microphone");
  await page.click("#toggle-camera");
  await page.waitForSelector(".tile[data-member=self] .placeholder");
  await page.click("#toggle-hand");
  await page.waitForSelector(".tile[data-member=self] .hand");
  assert.equal(await page.textContent("#toggle-hand"), "Lower hand");
  assert.deepEqual((await commands(page)).slice(1), [
    JSON.stringify({ type: "mute_microphone", muted: true }),
    JSON.stringify({ type: "mute_camera", muted: true }),
    JSON.stringify({ type: "raise_hand", raised: true }),
  ]);
});

test("the host can lock the meeting and remove a participant", async () => {
  const { page } = await hostWithGuest();
  await page.click("#toggle-lock");
  await page.waitForSelector("#toggle-lock[aria-pressed=true]");
  assert.match(await page.textContent(".lock"), /Locked: no one new can knock/);
  await page.click("button[aria-label='Remove Kari Nordmann from the meeting']");
  await page.waitForSelector(".tile[data-member='00000000000000b2']", { state: "detached" });
  assert.deepEqual((await commands(page)).slice(1), [
    JSON.stringify({ type: "lock", locked: true }),
    JSON.stringify({ type: "remove", member: "00000000000000b2" }),
  ]);
});

test("the security panel shows the encryption state, the code to compare, and who is unverified", async () => {
  const { page } = await hostWithGuest();
  await page.click("#toggle-security");
  await page.waitForSelector("#e2ee-state[data-state=on]");
  const code = await page.textContent("#security-code");
  assert.match(code, /^(\d{4} ){5}\d{4}$/);
  // The new key for two comes after the admit, on the fake's timer, not with the guest's video.
  await waitForText(page, "#security-panel", /Key epoch \d+, 2 devices hold the keys/);
  assert.match(await page.textContent("#security-panel"), /Key epoch \d+, 2 devices hold the keys/);
  assert.match(await page.textContent(".verification"), /Kari Nordmann.*Not verified/);
  await page.evaluate(() => window.__fake.emit({ type: "security_code", epoch: 9, code: "1111 2222 3333 4444 5555 6666", members: 3 }));
  await page.waitForFunction(() => document.querySelector("#security-code")?.textContent?.startsWith("1111"));
});

test("after comparing the code, Mark as verified sends verify and the status follows the meeting; a changed key warns and offers it again", async () => {
  const { page, errors } = await hostWithGuest();
  await page.click("#toggle-security");
  const kari = ".verification li[data-member='00000000000000b2']";
  await page.waitForSelector(`${kari}[data-identity=unverified]`);
  assert.match(await page.textContent("#security-panel"), /Mark someone as verified only after the two of you have read your code to each other/);
  assert.match(await page.textContent(kari), /Not verified: read your code with them to each other out loud/);
  assert.match(await page.textContent(`${kari} .pair-code`), /^Your code with them: (\d{4} ){4}\d{4}$/);
  await page.click("button[aria-label='Mark as verified: Kari Nordmann']");
  await page.waitForSelector(`${kari}[data-identity=verified]`);
  assert.match(await page.textContent(kari), /Verified before with this key/);
  assert.equal(await page.$(`${kari} button.verify`), null, "verified: no button");
  assert.deepEqual((await commands(page)).slice(1), [JSON.stringify({ type: "verify", member: "00000000000000b2" })]);
  // Their key changes: the loud warning stays, and they can be verified again.
  const fingerprint = await page.textContent(`${kari} .fingerprint`);
  await page.evaluate((fp) => window.__fake.emit({
    type: "peer_identity", member: "00000000000000b2", name: "Kari Nordmann", fingerprint: "ffff" + fp.slice(4), pair_code: "0915 3382 6604 1179 2256", status: "key_changed",
    previous_fingerprint: fp, warning: "Kari Nordmann was verified before with another identity key.",
  }), fingerprint);
  await page.waitForSelector(`${kari}[data-identity=key_changed] strong[role=alert]`);
  assert.match(await page.textContent(`${kari} strong[role=alert]`), /Kari Nordmann was verified before with another key: read your code with them to each other again/);
  assert.match(await page.textContent(`${kari} .pair-code`), /0915 3382 6604 1179 2256/, "a new key, a new code");
  await page.click("button[aria-label='Mark the new key as verified: Kari Nordmann']");
  await page.waitForSelector(`${kari}[data-identity=verified]`);
  assert.equal((await commands(page)).at(-1), JSON.stringify({ type: "verify", member: "00000000000000b2" }));
  assert.deepEqual(errors, []);
});

test("the quality indicator opens live graphs of bitrate, round-trip time and loss", async () => {
  const { page } = await hostWithGuest();
  await page.waitForSelector("#quality[data-quality=good]", { timeout: 5000 });
  assert.match(await page.getAttribute("#quality", "aria-label"), /Connection quality: good/);
  await page.click("#quality");
  for (const id of ["#chart-bitrate", "#chart-rtt", "#chart-loss"]) await page.waitForSelector(`${id} polyline`);
  const before = Number(await page.getAttribute("#chart-rtt polyline", "data-points"));
  await page.waitForFunction((n) => Number(document.querySelector("#chart-rtt polyline")?.dataset.points) > n, before, { timeout: 5000 });
  const poor = { type: "stats", e2ee: { state: "end_to_end_encrypted", epoch: 1, security_code: null, frames_encrypted: 0, frames_decrypted: 0, dropped_auth_failed: 0, dropped_replay: 0, dropped_unknown_kid: 0, dropped_malformed: 0 },
    peers: [{ member: "00000000000000b2", name: "K", state: "connected", link: { rtt_ms: 600, bytes_sent: 0, bytes_received: 0, packets_received: 0, packets_lost: 0, local_candidate: null, remote_candidate: null }, bitrate_in_kbps: 100, bitrate_out_kbps: 100, packet_loss_pct: 12, frames_decoded: 0, decode_errors: 0, media_dropped: 0, audio_packets: 0, audio_level: 0, width: 0, height: 0, glass_to_glass_ms: null, glass_to_glass_samples_ms: [] }] };
  await page.evaluate((e) => window.__fake.emit(e), poor);
  await page.waitForSelector("#quality[data-quality=poor]");
});

test("the host leaves through the dialog and can end the meeting for everyone", async () => {
  const { page } = await hostWithGuest();
  await page.click("#leave");
  await page.waitForSelector("#leave-dialog");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "confirm-leave", "Leave is focused");
  await page.click("#end-for-all");
  await page.waitForSelector("#go-home");
  assert.equal(await page.textContent("h1"), "The host ended the meeting for everyone.");
  assert.equal((await commands(page)).at(-1), JSON.stringify({ type: "end_for_all" }));
});

test("errors during the meeting, a lost server and host requests are shown", async () => {
  const { page } = await hostWithGuest();
  await page.evaluate(() => {
    window.__fake.emit({ type: "reconnecting" });
    window.__fake.emit({ type: "muted_by_host" });
    window.__fake.emit({ type: "error", code: "media.device_failed", message: "camera gone" });
  });
  await page.waitForSelector("#reconnecting");
  await page.waitForSelector("[role=alert][data-code='media.device_failed']");
  assert.match(await page.textContent(".notices"), /A host muted your microphone/);
  assert.match(await page.textContent(".notices"), /stopped working \(was it unplugged\?\)/);
  // The button follows "muted by the host" in an effect, after the paint that shows the notice.
  await page.waitForSelector("#toggle-mic[aria-pressed=true]");
  assert.equal(await page.getAttribute("#toggle-mic", "aria-pressed"), "true", "muted by the host shows as muted");
  await page.evaluate(() => window.__fake.emit({ type: "resumed", after_restart: false }));
  await page.waitForSelector("#reconnecting", { state: "detached" });
  await page.evaluate(() => window.__fake.failNext("command:raise_hand", { code: "room.not_allowed", message: "no" }));
  await page.click("#toggle-hand");
  await page.waitForSelector("[role=alert][data-code='room.not_allowed']");
  assert.match(await page.textContent(".notices"), /Only a host can do that/);
});

test("copying the invite link goes through the backend (the page never holds the link)", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.click("#copy-link");
  await page.waitForSelector("text=Invite link copied to the clipboard.");
  assert.ok(await page.evaluate(() => window.__fake.calls.includes("copyInviteLink")));
});
