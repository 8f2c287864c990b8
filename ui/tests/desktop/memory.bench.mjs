// Memory of the real app, as the sum of PSS over every process it runs (the app and WebKit's web
// and network processes), idle on the home screen and in a 1:1 call with 720p video both ways.
// Not a test: scripts/desktop-bench.sh runs it and prints the figures. Needs APP, TRYGG_CLI.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { cpuMedian, threadTicks, ticks, webkitTicks, webProcesses } from "./cpu.mjs";
import { breakdown, memory } from "./memory.mjs";
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
  // Where the web process's memory sits, idle and in the call, to see what the call adds.
  const idleWeb = breakdown(webProcesses(await appPid())[0]);

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
  const callWeb = breakdown(webProcesses(await appPid())[0]);
  const callApp = breakdown(await appPid());

  // The frame path: from a picture's decode (its time, in the frame header) to its draw, read
  // off the remote tile 50 times; and the CPU of the app's picture senders and of the web
  // process (which draws, and runs the page) over 10 s of the call.
  const delays = [];
  const arrivals = [];
  const draws = [];
  const added = [];
  for (let i = 0; i < 50; i++) {
    const [d, a, w] = await session.execute(
      `const c = document.querySelector(arguments[0]); const v = c?.dataset ?? {};
       return [v.delayMs ?? null, v.arriveMs ?? null, v.drawMs ?? null];`,
      [remote],
    );
    if (d !== null) delays.push(Number(d));
    if (a !== null) arrivals.push(Number(a));
    if (w !== null) draws.push(Number(w));
    if (a !== null && w !== null) added.push(Number(a) + Number(w));
    await sleep(100);
  }
  const pct = (v, p) => {
    if (!v.length) throw new Error("no samples: the page did not report its frame path");
    return [...v].sort((x, y) => x - y)[Math.min(v.length - 1, Math.floor((v.length * p) / 100))];
  };
  const spread = (v) => ({ p50: +pct(v, 50).toFixed(2), p95: +pct(v, 95).toFixed(2), samples: v.length });
  const road = await session.execute(`return document.documentElement.dataset.pictures ?? null`);
  const drawMean = Number(await session.execute(`return document.querySelector(arguments[0]).dataset.drawMeanMs`, [remote]));
  const size = await session.execute(`const c = document.querySelector(arguments[0]); return [c.width, c.height, Number(c.dataset.frames)];`, [remote]);
  const pid = await appPid();
  const sample = () => ({
    picture_senders: threadTicks(pid, "video-watch", true),
    ...webkitTicks(pid),
    // The whole app also receives, decrypts and decodes the call.
    app_process: ticks(`/proc/${pid}/stat`),
  });
  /** CPU, in % of one core, of the call as it is: the median of three 6 s windows. */
  const cpu = () => cpuMedian(sample);
  /** Everything the pictures cost from the decoder on: the senders, the web process, and the
   *  app's main and WebKit threads, less what the same call costs them without video. */
  const framePath = (c, base) =>
    +["picture_senders", "web_process", "app_main_thread", "app_webkit_ipc"]
      .reduce((sum, k) => sum + c[k] - base[k], 0)
      .toFixed(1);
  const tiles = async () =>
    session.execute(`return [...document.querySelectorAll(".tile canvas")].map((c) =>
      [c.closest(".tile").dataset.member === "self" ? "self" : "remote", c.dataset.renderer, c.width, c.height,
       Math.round(c.clientWidth * devicePixelRatio), Math.round(c.clientHeight * devicePixelRatio), c.dataset.format].join(" "));`);
  const both = { tiles: await tiles(), ...(await cpu()) };
  // The remote tile alone: our camera off, so no self view is drawn.
  await session.click("#toggle-camera");
  await sleep(2000);
  const remoteOnly = { tiles: await tiles(), ...(await cpu()) };
  // The same call without video: the other side rejoins sending none. What the page and the app
  // do then (audio, levels, stats) is not the frame path's.
  joiner.kill("SIGINT");
  await session.until(`return !document.querySelector(arguments[0])`, 30000, [remote]);
  joiner = spawn(TRYGG_CLI, ["join", stdout.trim(), "--name", "Mia Memory", "--identity", "ephemeral",
    "--video", "none", "--bind", "127.0.0.1", "--seconds", "120"], { stdio: "ignore" });
  await session.click("#toggle-people");
  await session.click(".knock .admit");
  await session.click("#toggle-people");
  await sleep(3000);
  const noVideo = { tiles: await tiles(), ...(await cpu()) };
  const frame_path = {
    // Decoded → drawn in the page.
    delay_ms: spread(delays),
    // What the path adds: getting the picture to the page, and drawing it. The rest of the
    // delay is waiting for the next animation frame (the display's refresh), as any renderer does.
    added_ms: spread(added),
    arrive_ms: spread(arrivals),
    draw_ms: spread(draws),
    // The draw's mean over every picture drawn (each draw is timed in whole milliseconds).
    draw_mean_ms: drawMean,
    // Each tile: who, renderer, picture size, size on screen in device pixels, picture format.
    // Which road pictures took ("extension" or "scheme"), so the figures say what they measured.
    pictures: road,
    // Raw figures per state, and the frame path's net of the call without video.
    cpu_pct: {
      both_tiles: both,
      remote_tile_only: remoteOnly,
      no_video: noVideo,
      frame_path_remote_tile: framePath(remoteOnly, noVideo),
      frame_path_both_tiles: framePath(both, noVideo),
    },
  };
  console.log(JSON.stringify({ idle, call, remote_video: size, frame_path, web_process: { idle: idleWeb, call: callWeb }, app_in_call: callApp }));
} finally {
  joiner?.kill("SIGINT");
  await session.end();
}
