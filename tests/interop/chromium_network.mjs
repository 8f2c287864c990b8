// Two headless Chromium peers through the network benchmark's link, for Trygg's figures to stand
// beside: one browser runs in each of two network namespaces (`ip netns exec`), each page sends a
// 1280x720@30 canvas with camera-like content (H.264, at most 1.5 Mbit/s, Trygg's camera ceiling) and
// a tone (Opus) to the other, and offers only its own namespace's veth address as a candidate.
// The pages are served by request interception (no server: the namespaces cannot reach one), on
// an https origin so that they are secure contexts. Signalling is passed between the pages here.
//
// Prints one JSON line a second from A's sending side and B's receiving side:
// from the first second in which A is connected:
//   {"t":s,"sent_kbps":…,"estimate_kbps":…,"rtt_ms":…,"send_height":…,"send_fps":…,
//    "limited_by":…,"decoded":…,"recv_height":…,"freezes":…,"concealed_pct":…}
// where sent_kbps is every byte A's transport sent (media, retransmissions, RTCP), estimate_kbps Chromium's own available outgoing bitrate, decoded the pictures B decoded
// in that second, concealed_pct the share of B's received audio samples that were concealed.
//
// Usage (root): node chromium_network.mjs NS_A ADDR_A NS_B ADDR_B SECONDS
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS } from "./chromium.mjs";

const [nsA, addrA, nsB, addrB, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg || 20);
if (!nsA || !addrA || !nsB || !addrB) {
  console.error("usage: node chromium_network.mjs NS_A ADDR_A NS_B ADDR_B SECONDS");
  process.exit(2);
}
const ORIGIN = "https://trygg-bench.invalid/";

const PAGE = `<!doctype html><html><body>
<canvas id="c" width="1280" height="720"></canvas><video id="v" autoplay muted playsinline></video>
<audio id="a" autoplay></audio>
<script>
const W = 1280, H = 720;
const canvas = document.getElementById("c"), g = canvas.getContext("2d");
let n = 0;
// Camera-like, as Trygg's synthetic camera: a textured picture that pans slowly (a static
// texture drawn once, shifted a little each frame: cheap for motion compensation, as a real
// scene is), with an object moving across it.
const tex = document.createElement("canvas"); tex.width = W + 320; tex.height = H + 180;
const tg = tex.getContext("2d");
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
for (let y = 0; y < tex.height; y += 48) for (let x = 0; x < tex.width; x += 48) {
  const v = 60 + Math.floor(rnd() * 140);
  tg.fillStyle = "rgb(" + v + "," + Math.floor(v * 0.8) + "," + Math.floor(v * 0.6) + ")";
  tg.fillRect(x, y, 48, 48);
}
setInterval(() => {
  n++;
  const dx = Math.floor(160 + 150 * Math.sin(n / 90)), dy = Math.floor(90 + 80 * Math.cos(n / 120));
  g.drawImage(tex, dx, dy, W, H, 0, 0, W, H);
  g.fillStyle = "#d9a441"; g.fillRect((n * 6) % W, 300, 120, 120);
}, 1000 / 30);
const pc = new RTCPeerConnection({ iceServers: [] });
const video = canvas.captureStream(30).getVideoTracks()[0];
const ac = new AudioContext();
const osc = ac.createOscillator(); osc.frequency.value = 440;
const gain = ac.createGain(); gain.gain.value = 0.3;
const dst = ac.createMediaStreamDestination();
osc.connect(gain).connect(dst); osc.start();
const stream = new MediaStream([video, dst.stream.getAudioTracks()[0]]);
pc.addTrack(dst.stream.getAudioTracks()[0], stream);
const vt = pc.addTransceiver(video, { direction: "sendrecv", streams: [stream], sendEncodings: [{ maxBitrate: 1500000, maxFramerate: 30 }] });
vt.setCodecPreferences(RTCRtpReceiver.getCapabilities("video").codecs.filter(
  (c) => c.mimeType === "video/H264" && /packetization-mode=1/.test(c.sdpFmtpLine || "")));
pc.ontrack = (e) => {
  const el = document.getElementById(e.track.kind === "video" ? "v" : "a");
  el.srcObject = new MediaStream([e.track]);
  el.play().catch(() => {});
};
window.onSignal = null;
pc.onicecandidate = (e) => {
  if (e.candidate && e.candidate.candidate.includes(" " + window.ADDR + " ")) window.signal({ candidate: e.candidate.toJSON() });
};
window.receive = async (m) => {
  if (m.description) {
    await pc.setRemoteDescription(m.description);
    if (m.description.type === "offer") { await pc.setLocalDescription(); window.signal({ description: pc.localDescription.toJSON() }); }
  } else if (m.candidate) {
    await pc.addIceCandidate(m.candidate).catch(() => {});
  }
};
window.offer = async () => { await pc.setLocalDescription(); window.signal({ description: pc.localDescription.toJSON() }); };
window.sample = async () => {
  const out = { connection: pc.connectionState };
  const report = await pc.getStats();
  report.forEach((s) => {
    // The transport's total survives a switch of candidate pair; the pair's own does not.
    if (s.type === "transport") out.bytesSent = s.bytesSent;
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
      out.estimate = s.availableOutgoingBitrate; out.rtt = s.currentRoundTripTime;
    }
    if (s.type === "outbound-rtp" && s.kind === "video") {
      out.sendHeight = s.frameHeight; out.sendFps = s.framesPerSecond; out.limitedBy = s.qualityLimitationReason;
    }
    if (s.type === "inbound-rtp" && s.kind === "video") {
      out.decoded = s.framesDecoded; out.recvHeight = s.frameHeight; out.freezes = s.freezeCount;
    }
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      out.samples = s.totalSamplesReceived; out.concealed = s.concealedSamples;
    }
  });
  return out;
};
</script></body></html>`;

/** A browser in network namespace `ns`, its page loaded, knowing its own address. */
async function peer(ns, addr) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "trygg-chromium-net-"));
  const wrapper = path.join(dir, "chromium-in-" + ns);
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${process.env.CHROMIUM || "/usr/bin/chromium"} "$@"\n`, { mode: 0o755 });
  const browser = await chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: wrapper,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  const page = browser.pages()[0] || (await browser.newPage());
  await page.route(ORIGIN, (route) => route.fulfill({ status: 200, contentType: "text/html", body: PAGE }));
  page.on("pageerror", (e) => console.error(`[${ns}] page error: ${e}`));
  await page.addInitScript((a) => { window.ADDR = a; }, addr);
  return { browser, page, dir };
}

const a = await peer(nsA, addrA);
const b = await peer(nsB, addrB);
try {
  const relay = (to, from) => (m) => { if (process.env.DEBUG) console.error(`[${from}] ${JSON.stringify(m).slice(0, 120)}`); return to.page.evaluate((x) => window.receive(x), m); };
  await a.page.exposeFunction("signal", relay(b, nsA));
  await b.page.exposeFunction("signal", relay(a, nsB));
  await a.page.goto(ORIGIN);
  await b.page.goto(ORIGIN);
  await a.page.evaluate(() => window.offer());
  // Wait for the connection (at most 20 s); the call's seconds count from it.
  const deadline = Date.now() + 20000;
  let last = null;
  while (Date.now() < deadline) {
    const [sa, sb] = await Promise.all([a.page.evaluate(() => window.sample()), b.page.evaluate(() => window.sample())]);
    if (sa.connection === "connected") { last = { sa, sb }; break; }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!last) { console.error("the peers did not connect within 20 s"); process.exitCode = 1; }
  else console.log(JSON.stringify({ connected: true }));
  const start = Date.now();
  for (let t = 1; last && t <= seconds; t++) {
    await new Promise((r) => setTimeout(r, start + t * 1000 - Date.now()));
    const [sa, sb] = await Promise.all([a.page.evaluate(() => window.sample()), b.page.evaluate(() => window.sample())]);
    {
      const d = (k, s, l) => (s[k] ?? 0) - (l[k] ?? 0);
      const samples = d("samples", sb, last.sb);
      console.log(JSON.stringify({
        t,
        sent_kbps: (d("bytesSent", sa, last.sa) * 8) / 1000,
        estimate_kbps: sa.estimate == null ? null : sa.estimate / 1000,
        rtt_ms: sa.rtt == null ? null : sa.rtt * 1000,
        send_height: sa.sendHeight ?? null,
        send_fps: sa.sendFps ?? null,
        limited_by: sa.limitedBy ?? null,
        decoded: d("decoded", sb, last.sb),
        recv_height: sb.recvHeight ?? null,
        freezes: sb.freezes ?? 0,
        concealed_pct: samples > 0 ? (100 * d("concealed", sb, last.sb)) / samples : null,
        connection: sa.connection,
      }));
    }
    last = { sa, sb };
  }
} finally {
  await a.browser.close();
  await b.browser.close();
  for (const p of [a, b]) fs.rmSync(p.dir, { recursive: true, force: true });
}
