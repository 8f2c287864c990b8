// Memory of the real app, as the sum of PSS over every process it runs (the app and WebKit's web
// and network processes), idle on the home screen and in a 1:1 call with 720p video both ways.
// Not a test: scripts/desktop-bench.sh runs it and prints the figures. Needs APP, TRYGG_CLI.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { memory } from "./memory.mjs";
import { Session, sleep } from "./webdriver.mjs";

const { APP, TRYGG_CLI, WEBDRIVER = "http://127.0.0.1:4444", SETTLE_MS = "5000" } = process.env;
const run = promisify(execFile);

async function appPid() {
  const { stdout } = await run("pgrep", ["-xn", "trygg-desktop"]);
  return Number(stdout.trim());
}

const session = await Session.start(WEBDRIVER, APP);
let joiner;
try {
  await session.waitFor("#new-meeting");
  await sleep(Number(SETTLE_MS));
  const idle = memory(await appPid());

  await session.click("#new-meeting");
  await session.until(`return Number(document.querySelector(".preview canvas")?.dataset.frames) > 3`);
  await session.click("#enter-meeting");
  await session.click("#copy-link");
  await session.until(`return document.body.textContent.includes("Invite link copied")`);
  const { stdout } = await run("xclip", ["-o", "-selection", "clipboard"]);
  joiner = spawn(TRYGG_CLI, ["join", stdout.trim(), "--name", "Mia Memory", "--identity", "ephemeral",
    "--width", "1280", "--height", "720", "--video-kbps", "2000", "--bind", "127.0.0.1", "--seconds", "120"],
    { stdio: "ignore" });
  await session.click("#toggle-people");
  await session.click(".knock .admit");
  const remote = ".tile:not([data-member=self]) canvas";
  await session.until(`return Number(document.querySelector(arguments[0])?.dataset.frames) > 60`, 30000, [remote]);
  await session.click("#toggle-people");
  await sleep(Number(SETTLE_MS));
  const call = memory(await appPid());
  const size = await session.execute(`const c = document.querySelector(arguments[0]); return [c.width, c.height, Number(c.dataset.frames)];`, [remote]);
  console.log(JSON.stringify({ idle, call, remote_video: size }));
} finally {
  joiner?.kill("SIGINT");
  await session.end();
}
