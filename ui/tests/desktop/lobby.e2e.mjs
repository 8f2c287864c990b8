// The real app as a joiner: a headless `trygg host` holds the meeting; Trygg is started with
// its link (a cold-start deep link), knocks, waits in the lobby, and leaves it.
// Run by scripts/desktop-e2e.sh (APP, TRYGG_CLI, WEBDRIVER, SCREENSHOTS).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { Session, sleep } from "./webdriver.mjs";

const { APP, TRYGG_CLI, PEER_BUS, XDG_CONFIG_HOME, WEBDRIVER = "http://127.0.0.1:4444", SCREENSHOTS } = process.env;
// The headless peer keeps its device key in a keychain of its own (scripts/desktop-e2e.sh).
const peerEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: PEER_BUS };
const SETTINGS = path.join(XDG_CONFIG_HOME, "no.trygg.desktop", "settings.json");
let session;
let host;

after(async () => {
  host?.kill("SIGINT");
  await session?.end();
});

test("started by a link, the app knocks, waits in the lobby and leaves it", async () => {
  host = spawn(TRYGG_CLI, ["host", "--listen", "127.0.0.1:0", "--json", "--name", "Kari Host",
    "--bind", "127.0.0.1", "--width", "640", "--height", "360", "--seconds", "120"], { stdio: ["ignore", "pipe", "inherit"], env: peerEnv });
  const lines = [];
  let rest = "";
  host.stdout.on("data", (b) => {
    const parts = (rest + b).split("\n");
    rest = parts.pop();
    for (const l of parts) if (l.trim()) lines.push(JSON.parse(l));
  });
  const end = Date.now() + 20000;
  while (!lines.some((l) => l.type === "link") && Date.now() < end) await sleep(100);
  const link = lines.find((l) => l.type === "link")?.link;
  assert.ok(link, "the host printed its link");

  fs.rmSync(SETTINGS, { force: true });
  session = await Session.start(WEBDRIVER, APP, [link]);
  await session.until(`return document.querySelector(".screen.prejoin .where")?.textContent.includes("127.0.0.1")`, 20000);
  // The app runs as on a new user's first start: no settings file, so the system's camera,
  // microphone and speaker, and no name yet. A kind of device the computer lacks is left out,
  // and the screen says so; the knock goes out with what is there.
  // The devices are listed and the choices fitted to them: either a kind is missing (and said
  // so) or the system's camera is offered.
  await session.until(`return document.querySelector("#devices-missing, #camera option[value='camera']") !== null`, 20000);
  const hasCamera = fs.readdirSync("/dev").some((f) => f.startsWith("video"));
  const chosen = await session.execute(
    `return ["camera", "microphone", "speaker"].map((id) => document.getElementById(id).value)`,
  );
  const missing = await session.execute(
    `return [...document.querySelectorAll("#devices-missing li")].map((li) => li.dataset.kind)`,
  );
  console.log(`# first run: camera, microphone, speaker = ${chosen.join(", ")}; missing: ${missing.join(", ") || "nothing"}`);
  if (hasCamera) assert.equal(chosen[0], "camera", "the system's camera");
  else {
    console.log("# skipped: no camera (no /dev/video*): checked that the first run joins without one");
    assert.equal(chosen[0], "none");
    assert.ok(missing.includes("camera"), "the screen says there is no camera");
  }
  await session.type("#name", "Hanne Host");
  await session.click("#enter-meeting");
  await session.until(`return document.querySelector("#lobby-status")?.dataset.phase === "lobby"`, 20000);
  assert.match(await session.execute(`return document.querySelector(".security-state").textContent`), /Nothing is sent before that/);
  if (SCREENSHOTS) fs.writeFileSync(path.join(SCREENSHOTS, "lobby.png"), await session.screenshot());
  const knocked = Date.now() + 10000;
  while (!lines.some((l) => l.type === "knock_received") && Date.now() < knocked) await sleep(100);
  assert.equal(lines.find((l) => l.type === "knock_received")?.name, "Hanne Host", "the host saw the knock with our name");

  await session.click("#leave-lobby");
  await session.until(`return document.querySelector("#go-home") !== null`, 15000);
  const gone = Date.now() + 10000;
  while (!lines.some((l) => l.type === "knock_gone") && Date.now() < gone) await sleep(100);
  assert.equal(lines.find((l) => l.type === "knock_gone")?.reason, "withdrawn");
});
