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

/** Where a process's PSS sits: the largest parts in MB, by mapping (a library's file name,
 *  "anonymous" for heap and other private memory, or the kernel's name such as "[heap]" or
 *  "/memfd:…"), largest first. */
export function breakdown(pid, top = 8) {
  const parts = new Map();
  let name = "anonymous";
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        const path = head[1].trim();
        name = path ? (path.startsWith("/") && !path.startsWith("/memfd:") ? path.split("/").pop() : path) : "anonymous";
        continue;
      }
      const pss = /^Pss:\s+(\d+) kB/.exec(line);
      if (pss) parts.set(name, (parts.get(name) ?? 0) + Number(pss[1]));
    }
  } catch {}
  return [...parts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([n, kb]) => `${n} ${(kb / 1024).toFixed(1)}`);
}
