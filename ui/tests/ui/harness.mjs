// Shared by the UI tests: serves ui/dist on loopback and drives Debian's Chromium with
// playwright-core against the fake backend (no browser download, no network beyond 127.0.0.1).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

function serve() {
  if (!fs.existsSync(path.join(DIST, "index.html"))) throw new Error(`no build in ${DIST}: run "npm run build" first`);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const file = path.join(DIST, url.pathname === "/" ? "index.html" : path.normalize(url.pathname));
    if (!file.startsWith(DIST) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Starts the server and the browser; `close()` ends both. */
export async function launch() {
  const server = await serve();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "trygg-ui-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      // WebGL in software (SwiftShader): the page draws video through its 2D canvas path, and
      // tests that ask for the YUV shader (`?renderer=webgl`) get it.
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
    ],
  });
  const base = `http://127.0.0.1:${server.address().port}/`;
  return {
    context,
    /** A fresh page on the app (the previous one is closed), with page errors in `errors`;
     *  `query` is added to its address (`?renderer=webgl`). */
    async open(query = "") {
      for (const p of context.pages()) await p.close();
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(base + query);
      await page.waitForSelector("#new-meeting");
      return { page, errors };
    },
    async close() {
      await context.close();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** From home through pre-join into a running meeting as host. */
export async function startAsHost(page, name = "Ola Nordmann") {
  await page.click("#new-meeting");
  await page.fill("#name", name);
  await page.click("#enter-meeting");
  await page.waitForSelector("#toggle-mic");
}

/** Waits until the text of `selector` matches `pattern` (a RegExp): for text that follows async
 *  work (a backend promise, a fake's timer, an effect after paint), which `textContent` does not
 *  wait for. A timeout says what the text was. */
export async function waitForText(page, selector, pattern) {
  try {
    await page.waitForFunction(
      ([s, source, flags]) => new RegExp(source, flags).test(document.querySelector(s)?.textContent ?? ""),
      [selector, pattern.source, pattern.flags],
    );
  } catch (e) {
    const text = await page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector).catch(() => null);
    throw new Error(`${selector} never matched ${pattern}; its text: ${JSON.stringify(text)}\n${e.message}`);
  }
}

/** Mean and spread of a canvas's pixels (drawn into a 2D copy, which works for WebGL canvases). */
export function canvasStats(page, selector) {
  return page.$eval(selector, (c) => {
    const copy = document.createElement("canvas");
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext("2d");
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let sq = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const l = (d[i] + d[i + 1] + d[i + 2]) / 3;
      sum += l;
      sq += l * l;
    }
    const mean = sum / n;
    let hash = 0;
    for (let i = 0; i < d.length; i += 97) hash = (hash * 31 + d[i]) | 0;
    return { mean, std: Math.sqrt(sq / n - mean * mean), hash, renderer: c.dataset.renderer, format: c.dataset.format, frames: Number(c.dataset.frames ?? 0) };
  });
}
