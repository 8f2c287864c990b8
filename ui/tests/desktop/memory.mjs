// Memory of a process and everything it started (WebKit's web and network processes), from /proc.
// `node memory.mjs PID` prints it as JSON.
import fs from "node:fs";

/** Every descendant of `pid`, and itself. */
export function tree(pid) {
  const children = new Map();
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(p));
    } catch {}
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  return all;
}

/** PSS and RSS in MB summed over the process tree, with each process's name and own PSS (MB). */
export function memory(pid) {
  let pss = 0, rss = 0;
  const names = [];
  for (const p of tree(pid)) {
    try {
      const r = fs.readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
      const own = Number(/^Pss:\s+(\d+)/m.exec(r)[1]);
      pss += own;
      rss += Number(/^Rss:\s+(\d+)/m.exec(r)[1]);
      names.push(`${fs.readFileSync(`/proc/${p}/comm`, "utf8").trim()} ${(own / 1024).toFixed(0)}`);
    } catch {}
  }
  return { pss_mb: +(pss / 1024).toFixed(1), rss_mb: +(rss / 1024).toFixed(1), processes: names };
}

if (process.argv[1]?.endsWith("memory.mjs") && process.argv[2]) console.log(JSON.stringify(memory(Number(process.argv[2]))));
