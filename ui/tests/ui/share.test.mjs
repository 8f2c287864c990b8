import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { canvasStats, launch, startAsHost } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

const KARI = "00000000000000b2";
const commands = (page) => page.evaluate(() => window.__fake.commands.map((c) => JSON.stringify(c)));
const GUIDANCE = "Anyone in the meeting can see what you share — and may photograph it — so close anything private first.";

async function hostWithGuest() {
  const opened = await app.open();
  const { page } = opened;
  await startAsHost(page);
  await page.evaluate((m) => window.__fake.knock(m, "Kari Nordmann"), KARI);
  await page.click("#toggle-people");
  await page.click("button[aria-label='Admit Kari Nordmann']");
  await page.waitForSelector(`.tile[data-member='${KARI}'] canvas`);
  await page.click("#toggle-people");
  return opened;
}

async function openPicker(page) {
  await page.click("#toggle-share");
  await page.waitForSelector("#share-picker label.source img");
}

async function shareSlides(page) {
  await openPicker(page);
  await page.click("label[data-source='window:0x3a00007']");
  await page.click("#share-start");
  await page.waitForSelector("#share-banner");
}

test("the share picker shows screens and windows as thumbnails, grouped, with the one sentence of guidance", async () => {
  const { page, errors } = await app.open();
  await startAsHost(page);
  await openPicker(page);
  assert.equal(await page.getAttribute("#share-picker", "role"), "dialog");
  assert.equal(await page.getAttribute("#share-picker", "aria-modal"), "true");
  assert.equal(await page.textContent("#share-title"), "Share your screen");
  assert.equal(await page.textContent("#share-guidance"), GUIDANCE);
  assert.equal(await page.getAttribute("#share-picker", "aria-describedby"), "share-guidance");
  const group = (id) =>
    page.$eval(id, (g) => ({
      legend: g.querySelector("legend").textContent,
      sources: [...g.querySelectorAll("label.source")].map((l) => `${l.querySelector(".name").textContent} ${l.querySelector(".size").textContent}`),
    }));
  assert.deepEqual(await group("#share-screens"), { legend: "Screens", sources: ["Built-in display 2560 × 1600", "DELL U2720Q 3840 × 2160"] });
  assert.deepEqual(await group("#share-windows"), { legend: "Windows", sources: ["Slides — Quarterly review 1600 × 900", "Terminal 960 × 600"] });
  // Every thumbnail is an inline BMP the browser really decoded.
  await page.waitForFunction(() => [...document.querySelectorAll("#share-picker img")].every((i) => i.complete && i.naturalWidth > 0));
  const thumbs = await page.$$eval("#share-picker img", (is) => is.map((i) => ({ src: i.src.slice(0, 22), w: i.naturalWidth, h: i.naturalHeight })));
  assert.equal(thumbs.length, 4);
  for (const t of thumbs) assert.deepEqual([t.src, t.w, t.h > 50], ["data:image/bmp;base64,", 120, true], JSON.stringify(t));
  // Nothing is chosen for the user.
  assert.equal(await page.isDisabled("#share-start"), true);
  await page.click("label[data-source='screen:1']");
  assert.equal(await page.isDisabled("#share-start"), false);
  assert.ok(await page.isChecked("input[value='screen:1']"));
  assert.deepEqual(await commands(page), [], "choosing shares nothing yet");
  assert.deepEqual(errors, []);
});

test("the picker keeps the keyboard inside, shows where the focus is, and Escape closes it", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await page.focus("#toggle-share");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#share-picker label.source img");
  const focus = () =>
    page.evaluate(() => {
      const a = document.activeElement;
      const shown = a.matches("input[type=radio]") ? a.closest("label") : a;
      return { inside: !!a.closest("#share-picker"), what: a.value || a.id, outline: getComputedStyle(shown).outlineStyle };
    });
  assert.deepEqual(await focus(), { inside: true, what: "screen:0", outline: "solid" }, "the first screen has the focus, visibly");
  await page.keyboard.press("ArrowRight");
  assert.equal((await focus()).what, "screen:1", "arrows move between screens");
  const seen = new Set();
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    const f = await focus();
    assert.equal(f.inside, true, `Tab ${i + 1} stays in the dialog`);
    seen.add(f.what);
  }
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press("Shift+Tab");
    assert.equal((await focus()).inside, true, `Shift+Tab ${i + 1} stays in the dialog`);
  }
  assert.ok(seen.has("share-cancel") && seen.has("share-start") && seen.has("window:0x3a00007"), [...seen].join(","));
  await page.keyboard.press("Escape");
  await page.waitForSelector("#share-picker", { state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.id), "toggle-share", "the focus returns to the button");
  assert.deepEqual(await commands(page), []);
});

test("sharing a window shows the banner and a coloured frame; one click on Stop sharing removes them", async () => {
  const { page, errors } = await app.open();
  await startAsHost(page);
  await shareSlides(page);
  assert.deepEqual(await commands(page), [JSON.stringify({ type: "start_share", source: "window:0x3a00007" })]);
  await page.waitForSelector("#share-picker", { state: "detached" });
  assert.match(await page.textContent("#share-banner"), /^You are sharing the window “Slides — Quarterly review”\s*Stop sharing$/);
  const frame = await page.$eval("#share-frame", (f) => {
    const s = getComputedStyle(f);
    const r = f.getBoundingClientRect();
    return { color: s.borderTopColor, width: s.borderTopWidth, style: s.borderTopStyle, box: [r.left, r.top, r.width, r.height], visible: s.visibility };
  });
  assert.deepEqual(frame, { color: "rgb(255, 107, 53)", width: "4px", style: "solid", box: [0, 0, 1280, 800], visible: "visible" }, "around the whole window");
  assert.equal(await page.getAttribute("#toggle-share", "aria-pressed"), "true");
  assert.equal(await page.textContent("#toggle-share"), "Stop sharing");
  await page.click("#stop-share");
  await page.waitForSelector("#share-banner", { state: "detached" });
  assert.equal(await page.$("#share-frame"), null);
  assert.equal(await page.textContent("#toggle-share"), "Share screen");
  assert.equal(await page.getAttribute("#toggle-share", "aria-pressed"), "false");
  assert.equal((await commands(page)).at(-1), JSON.stringify({ type: "stop_share" }));
  assert.deepEqual(errors, []);
});

test("a double click on a thumbnail shares it at once; the control bar's button stops it too", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await openPicker(page);
  await page.dblclick("label[data-source='screen:0']");
  await page.waitForSelector("#share-banner");
  assert.match(await page.textContent("#share-banner"), /You are sharing the screen “Built-in display”/);
  await page.click("#toggle-share");
  await page.waitForSelector("#share-banner", { state: "detached" });
  assert.deepEqual(await commands(page), [JSON.stringify({ type: "start_share", source: "screen:0" }), JSON.stringify({ type: "stop_share" })]);
});

test("when the shared window closes, the banner goes and the user is told why, once", async () => {
  const { page } = await app.open();
  await startAsHost(page);
  await shareSlides(page);
  await page.evaluate(() => window.__fake.shareSourceGone());
  await page.waitForSelector("#share-banner", { state: "detached" });
  assert.equal(await page.$("#share-frame"), null);
  await page.waitForSelector("#share-problem[data-code='share.source_gone']");
  assert.match(await page.textContent("#share-problem"), /Sharing stopped: the window you shared was closed, or the screen went away\./);
  assert.equal(await page.$$eval(".notices [role=alert]", (l) => l.length), 1, "the meeting's error and the stop make one notice");
  assert.equal(await page.textContent("#toggle-share"), "Share screen");
  await page.click("#share-problem button");
  await page.waitForSelector("#share-problem", { state: "detached" });
});

test("someone else's share fills the stage beside a filmstrip, and 100 % shows it pixel for pixel", async () => {
  const { page, errors } = await hostWithGuest();
  assert.equal(await page.$("#share-stage"), null);
  await page.evaluate((m) => window.__fake.remoteShare(m), KARI);
  await page.waitForSelector("#share-stage canvas");
  assert.equal(await page.textContent("#sharer"), "Kari Nordmann is sharing their screen");
  assert.equal(await page.getAttribute("#share-stage", "aria-label"), "Screen shared by Kari Nordmann");
  const canvas = "#share-stage canvas";
  await page.waitForFunction((s) => Number(document.querySelector(s)?.dataset.frames) > 1, canvas);
  const picture = await canvasStats(page, canvas);
  assert.equal(picture.renderer, "2d", "SwiftShader is a CPU rasteriser");
  assert.equal(picture.format, "rgba");
  assert.ok(picture.mean > 120 && picture.std > 20, `a light slide with text: ${JSON.stringify(picture)}`);
  assert.equal(await page.getAttribute(canvas, "data-size"), "1600x900");
  assert.equal(await page.textContent("#share-size"), "1600 × 900");
  // The participants are small, beside the share.
  const layout = await page.evaluate(() => {
    const box = (s) => document.querySelector(s).getBoundingClientRect();
    return { strip: document.querySelector("#grid").classList.contains("filmstrip"), stage: box("#share-view").width, tile: box(".tile[data-member=self]").width, tiles: document.querySelectorAll("#grid .tile").length };
  });
  assert.equal(layout.strip, true);
  assert.equal(layout.tiles, 2);
  assert.ok(layout.tile < layout.stage / 2, JSON.stringify(layout));
  // Fit: the whole picture in the view.
  assert.equal(await page.getAttribute("#share-fit", "aria-pressed"), "true");
  const fit = await page.$eval("#share-view", (v) => ({ cw: v.querySelector("canvas").clientWidth, vw: v.clientWidth, scrolls: v.scrollWidth > v.clientWidth }));
  assert.ok(fit.cw <= fit.vw && !fit.scrolls, JSON.stringify(fit));
  // 100 %: one picture pixel on one screen pixel, and the view scrolls.
  await page.click("#share-actual");
  assert.equal(await page.getAttribute("#share-actual", "aria-pressed"), "true");
  assert.equal(await page.getAttribute("#share-fit", "aria-pressed"), "false");
  const actual = await page.$eval("#share-view", (v) => {
    const c = v.querySelector("canvas");
    v.scrollLeft = 300;
    v.scrollTop = 100;
    return { w: c.clientWidth, h: c.clientHeight, pixels: c.width, dpr: devicePixelRatio, left: v.scrollLeft, top: v.scrollTop, tab: v.tabIndex };
  });
  assert.deepEqual(actual, { w: 1600, h: 900, pixels: 1600, dpr: 1, left: 300, top: 100, tab: 0 });
  await page.click("#share-fit");
  assert.equal(await page.$eval("#share-view canvas", (c) => c.clientWidth <= c.parentElement.clientWidth), true);
  // It ends: back to the grid.
  await page.evaluate((m) => window.__fake.remoteShareStop(m), KARI);
  await page.waitForSelector("#share-stage", { state: "detached" });
  assert.equal(await page.$eval("#grid", (g) => g.classList.contains("filmstrip")), false);
  assert.deepEqual(errors, []);
});

test("a sharer who leaves takes the share with them", async () => {
  const { page } = await hostWithGuest();
  await page.evaluate((m) => window.__fake.remoteShare(m), KARI);
  await page.waitForSelector("#share-stage");
  await page.click("#toggle-people");
  await page.click("button[aria-label='Remove Kari Nordmann from the meeting']");
  await page.waitForSelector("#share-stage", { state: "detached" });
  assert.equal(await page.$eval("#grid", (g) => g.classList.contains("filmstrip")), false);
});

test("the connection panel shows each share's size, pictures a second and bitrate", async () => {
  const { page } = await hostWithGuest();
  await page.evaluate((m) => window.__fake.remoteShare(m), KARI);
  await shareSlides(page);
  await page.click("#quality");
  await page.waitForSelector("#share-stats li[data-direction=out]", { timeout: 5000 });
  await page.waitForSelector(`#share-stats li[data-member='${KARI}']`, { timeout: 5000 });
  assert.match(await page.textContent("#share-stats li[data-direction=out]"), /^You send: 1600 × 900, 15 frames\/s, \d{3} kbit\/s$/);
  assert.match(await page.textContent(`#share-stats li[data-member='${KARI}']`), /^From Kari Nordmann: 1600 × 900, 5 frames\/s, \d{2,3} kbit\/s$/);
  await page.waitForSelector("#chart-share polyline.out");
  assert.match(await page.getAttribute("#chart-share svg", "aria-label"), /^Screen share bitrate, kbit\/s \(in and out\), now: \d+ \/ \d+$/);
});

test("the share button is disabled with the reason when nothing can be shared, and works once it can", async () => {
  const { page } = await app.open();
  await page.evaluate(() => window.__fake.shareSources({ code: "media.unsupported", message: "a Wayland session without the portal" }));
  await startAsHost(page);
  await page.waitForSelector("#toggle-share[aria-disabled=true]");
  const reason =
    "This desktop session has no screen-sharing portal. Install xdg-desktop-portal and the portal for your desktop (xdg-desktop-portal-gnome, -kde or -wlr), then log in again.";
  assert.equal(await page.getAttribute("#toggle-share", "aria-description"), reason);
  assert.equal(await page.getAttribute("#toggle-share", "title"), reason);
  // Blocked, it still takes the focus (so the reason can be read out); pressing it says why.
  await page.focus("#toggle-share");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "toggle-share");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#share-unavailable[data-code='media.unsupported']");
  assert.match(await page.textContent("#share-unavailable"), /has no screen-sharing portal\. Install xdg-desktop-portal/);
  assert.equal(await page.$("#share-picker"), null, "no picker");
  await page.keyboard.press("Control+Shift+KeyE");
  assert.equal(await page.$("#share-picker"), null, "nor by the shortcut");
  // Nothing to share: an empty list is a reason too.
  await page.evaluate(() => window.__fake.shareSources([]));
  await page.click("#toggle-share", { force: true });
  await page.waitForFunction(() => document.querySelector("#toggle-share")?.getAttribute("aria-description") === "There is no screen or window to share.");
  // A reason the UI has no sentence for gets the general one.
  await page.evaluate(() => window.__fake.shareSources({ code: "shell.task", message: "panicked" }));
  await page.click("#toggle-share", { force: true });
  await page.waitForFunction(() => document.querySelector("#toggle-share")?.title === "Screen sharing is not available right now.");
  // Once something can be shared, the same button opens the picker.
  await page.evaluate(() => window.__fake.shareSources(null));
  await page.click("#toggle-share", { force: true });
  await page.waitForSelector("#share-picker label.source");
  assert.equal(await page.getAttribute("#toggle-share", "aria-disabled"), null);
  assert.equal(await page.$("#share-unavailable"), null);
  assert.deepEqual(await commands(page), []);
});

test("the picker speaks Norwegian Bokmål and Swedish", async () => {
  const { page } = await app.open();
  for (const [lang, title, guidance, stop] of [
    ["nb", "Del skjermen din", "Alle i møtet kan se det du deler – og kan ta bilde av det – så lukk alt som er privat først.", "Stopp delingen"],
    ["sv", "Dela din skärm", "Alla i mötet kan se det du delar – och kan fotografera det – så stäng allt som är privat först.", "Sluta dela"],
  ]) {
    await page.click("#open-settings");
    await page.selectOption("#s-language", lang);
    await page.click("#settings-save");
    await page.waitForSelector("#settings-saved");
    await page.click("#settings-back");
    await startAsHost(page);
    await openPicker(page);
    assert.equal(await page.textContent("#share-title"), title);
    assert.equal(await page.textContent("#share-guidance"), guidance);
    await page.click("label[data-source='screen:0']");
    await page.click("#share-start");
    await page.waitForSelector("#stop-share");
    assert.equal(await page.textContent("#stop-share"), stop);
    await page.click("#leave");
    await page.click("#confirm-leave");
    await page.click("#go-home");
    await page.waitForSelector("#new-meeting");
  }
});

test("on Wayland the picker offers a screen and a window for the system's dialog, and a refusal there is explained", async () => {
  const { page } = await app.open();
  await page.evaluate(() =>
    window.__fake.shareSources([
      { id: "screen", kind: "screen", name: "A screen, chosen in the system's sharing dialog", width: 0, height: 0, thumbnail: null },
      { id: "window", kind: "window", name: "A window, chosen in the system's sharing dialog", width: 0, height: 0, thumbnail: null },
    ]),
  );
  await startAsHost(page);
  await page.click("#toggle-share");
  await page.waitForSelector("#share-picker label[data-source='window']");
  const entries = await page.$$eval("#share-picker label.source", (ls) =>
    ls.map((l) => [l.dataset.source, l.querySelector(".name").textContent, l.querySelector(".thumb").textContent, l.querySelector(".size")]),
  );
  assert.deepEqual(entries, [
    ["screen", "A screen", "The system will ask you which one", null],
    ["window", "A window", "The system will ask you which one", null],
  ]);
  await page.evaluate(() =>
    window.__fake.refuseNextShare({
      code: "media.permission_denied",
      message: "access to the screen was denied; sharing was cancelled or refused in the system's sharing dialog",
    }),
  );
  await page.click("label[data-source='screen']");
  await page.click("#share-start");
  const problem = await page.waitForSelector("#share-problem");
  assert.match(await problem.textContent(), /it was cancelled in the sharing dialog, or screen recording is not allowed for Trygg\. Share again/);
  assert.equal(await page.$("#share-banner"), null);
});
