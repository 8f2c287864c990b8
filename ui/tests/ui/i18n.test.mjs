import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, startAsHost } from "./harness.mjs";

let app;
before(async () => (app = await launch()));
after(() => app.close());

async function switchTo(page, lang) {
  await page.click("#open-settings");
  await page.selectOption("#s-language", lang);
  await page.click("#settings-save");
  await page.waitForSelector("#settings-saved");
  await page.click("#settings-back");
  await page.waitForSelector("#new-meeting");
}

test("switching to Norwegian Bokmål changes every screen and the page language", async () => {
  const { page } = await app.open();
  await switchTo(page, "nb");
  // The page language is set by an effect, after the paint that follows the save.
  await page.waitForSelector("html[lang=nb]", { state: "attached" });
  assert.equal(await page.getAttribute("html", "lang"), "nb");
  assert.equal(await page.textContent("#new-meeting"), "Nytt møte");
  assert.equal(await page.getAttribute("#join-input", "aria-label"), "Møtelenke eller kode");
  await startAsHost(page);
  assert.equal(await page.textContent("#toggle-mic"), "Slå av mikrofonen");
  assert.equal(await page.textContent("#leave"), "Forlat");
  assert.ok(await page.evaluate(() => window.__fake.calls.includes("saveSettings")), "the choice is saved");
});

test("switching to Swedish, errors too are Swedish", async () => {
  const { page } = await app.open();
  await switchTo(page, "sv");
  await page.waitForSelector("html[lang=sv]", { state: "attached" });
  assert.equal(await page.getAttribute("html", "lang"), "sv");
  assert.equal(await page.textContent("#new-meeting"), "Nytt möte");
  await page.fill("#join-input", "hej");
  await page.click("#join-button");
  assert.match(await (await page.waitForSelector("[role=alert]")).textContent(), /Ingen möteslänk hittades/);
});
