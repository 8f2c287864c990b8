// CPU of a process's threads and of its WebKit web processes, from /proc, for the desktop bench.
import fs from "node:fs";
import { tree } from "./memory.mjs";

/** User+system clock ticks in a /proc stat file (0 once the process is gone). */
export function ticks(path) {
  try {
    const stat = fs.readFileSync(path, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** A process's or thread's name ("" once it is gone). */
export const comm = (p) => {
  try {
    return fs.readFileSync(`/proc/${p}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

/** Ticks of the threads of `pid` whose names start with `prefix`; there must be one unless
 *  `optional` (threads that come and go, like a video watch's). */
export function threadTicks(pid, prefix, optional = false) {
  const threads = fs.readdirSync(`/proc/${pid}/task`).filter((t) => comm(`${pid}/task/${t}`).startsWith(prefix));
  if (!threads.length && !optional) throw new Error(`no thread ${prefix}* in process ${pid}: the bench needs updating`);
  return threads.reduce((s, t) => s + ticks(`/proc/${pid}/task/${t}/stat`), 0);
}

/** WebKit's web processes under `pid`. */
export const webProcesses = (pid) => tree(pid).filter((p) => comm(p).startsWith("WebKitWebProces"));

/** What WebKit costs in a Tauri app `pid`, as ticks: its web processes, the app's main thread
 *  (where WebKit puts the page on screen), and WebKit's thread in the app that receives the web
 *  process's messages (painted updates among them). */
export function webkitTicks(pid) {
  const web = webProcesses(pid);
  if (!web.length) throw new Error(`no WebKit web process under ${pid}`);
  return {
    web_process: web.reduce((s, p) => s + ticks(`/proc/${p}/stat`), 0),
    app_main_thread: ticks(`/proc/${pid}/task/${pid}/stat`),
    app_webkit_ipc: threadTicks(pid, "ReceiveQueue"),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU in % of one core for each count `sample()` returns (ticks): the median of three windows
 *  of `secs` seconds. */
export async function cpuMedian(sample, secs = 6) {
  const windows = [];
  for (let i = 0; i < 3; i++) {
    const before = sample();
    const t0 = Date.now();
    await sleep(secs * 1000);
    windows.push({ before, after: sample(), secs: (Date.now() - t0) / 1000 });
  }
  const out = {};
  for (const k of Object.keys(windows[0].before)) {
    const each = windows.map(({ before, after, secs }) => ((after[k] - before[k]) / 100 / secs) * 100).sort((a, b) => a - b);
    out[k] = +each[1].toFixed(1);
  }
  return out;
}
