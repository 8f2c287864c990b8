// WebKit's own cost of a 30 fps video tile: `node repaint.bench.mjs PID` prints the CPU (% of one
// core, median of three 6 s windows) of the minimal window `PID` (benches/minimal-window), its
// web process, main thread and WebKit IPC thread. Run with MINIMAL_WINDOW_REPAINT it shows a
// canvas repainted 30 times a second with ready-made pictures; without, an empty page.
// Not a test: scripts/desktop-bench.sh runs it.
import { cpuMedian, webkitTicks } from "./cpu.mjs";

const pid = Number(process.argv[2]);
if (!pid) throw new Error("usage: node repaint.bench.mjs PID");
const cpu = await cpuMedian(() => webkitTicks(pid));
const total = +(cpu.web_process + cpu.app_main_thread + cpu.app_webkit_ipc).toFixed(1);
console.log(JSON.stringify({ ...cpu, total }));
