// A headless Chromium page as a WebRTC peer of Trygg, signalling over stdio as JSON lines in
// Trygg's own PeerSignal shape: {"description":{"type","sdp"}} and {"candidate":{...}}.
// Chromium offers; it sends a 640x480 canvas (H.264) and a 660 Hz tone (Opus), plays what it
// receives, and on {"finish":true} prints {"stats":{...}} from getStats() and exits.
import readline from "node:readline";
import { launch, serve } from "./chromium.mjs";

const PAGE = `<!doctype html><html><body>
<canvas id="c" width="640" height="480"></canvas><video id="v" autoplay muted playsinline></video><audio id="a" autoplay></audio>
<script>
const pc = new RTCPeerConnection({ iceServers: [] });
const canvas = document.getElementById("c");
const g = canvas.getContext("2d");
let n = 0;
setInterval(() => {
  n++;
  g.fillStyle = "#246"; g.fillRect(0, 0, 640, 480);
  g.fillStyle = "#fd4"; g.fillRect((n * 7) % 600, (n * 5) % 440, 40, 40);
  g.fillStyle = "#fff"; g.font = "32px sans-serif"; g.fillText("Chromium frame " + n, 20, 60);
}, 33);
const video = canvas.captureStream(30).getVideoTracks()[0];
const ac = new AudioContext();
const osc = ac.createOscillator(); osc.frequency.value = 660;
const gain = ac.createGain(); gain.gain.value = 0.3;
const dst = ac.createMediaStreamDestination();
osc.connect(gain).connect(dst); osc.start();
const audio = dst.stream.getAudioTracks()[0];
const stream = new MediaStream([video, audio]);
pc.addTrack(audio, stream);
const vt = pc.addTransceiver(video, { direction: "sendrecv", streams: [stream] });
const h264 = RTCRtpReceiver.getCapabilities("video").codecs.filter(
  (c) => c.mimeType === "video/H264" && /packetization-mode=1/.test(c.sdpFmtpLine || ""));
vt.setCodecPreferences(h264);
pc.ontrack = (e) => {
  const el = document.getElementById(e.track.kind === "video" ? "v" : "a");
  el.srcObject = new MediaStream([e.track]);
  el.play().catch(() => {});
};
pc.onicecandidate = (e) => {
  // Only loopback: the machine's other addresses are not part of the test.
  if (e.candidate && / 127\\.0\\.0\\.1 /.test(e.candidate.candidate)) window.toRust({ candidate: e.candidate.toJSON() });
};
window.fromRust = async (m) => {
  if (m.description) {
    await pc.setRemoteDescription(m.description);
    if (m.description.type === "offer") {
      await pc.setLocalDescription();
      window.toRust({ description: pc.localDescription.toJSON() });
    }
  } else if (m.candidate) {
    await pc.addIceCandidate(m.candidate).catch((e) => window.toRust({ log: "candidate: " + e }));
  }
};
window.collectStats = async () => {
  const out = { connection: pc.connectionState };
  const report = await pc.getStats();
  const codecs = {};
  report.forEach((s) => { if (s.type === "codec") codecs[s.id] = s.mimeType; });
  report.forEach((s) => {
    if (s.type === "inbound-rtp") {
      out["inbound_" + s.kind] = { codec: codecs[s.codecId], packetsReceived: s.packetsReceived, packetsLost: s.packetsLost,
        framesDecoded: s.framesDecoded, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
        totalAudioEnergy: s.totalAudioEnergy, totalSamplesReceived: s.totalSamplesReceived, decoderImplementation: s.decoderImplementation };
    }
    if (s.type === "outbound-rtp") {
      out["outbound_" + s.kind] = { codec: codecs[s.codecId], packetsSent: s.packetsSent, framesEncoded: s.framesEncoded, encoderImplementation: s.encoderImplementation };
    }
  });
  return out;
};
window.start = async () => {
  await pc.setLocalDescription();
  window.toRust({ description: pc.localDescription.toJSON() });
};
</script></body></html>`;

const send = (m) => process.stdout.write(JSON.stringify(m) + "\n");
const { browser } = await launch();
const { server, url } = await serve(PAGE);
try {
  const page = browser.pages()[0] || (await browser.newPage());
  page.on("pageerror", (e) => send({ log: "page error: " + e }));
  await page.exposeFunction("toRust", send);
  await page.goto(url);
  const rl = readline.createInterface({ input: process.stdin });
  let finished;
  const done = new Promise((r) => (finished = r));
  rl.on("line", async (line) => {
    if (!line.trim()) return;
    const m = JSON.parse(line);
    if (m.finish) {
      send({ stats: await page.evaluate(() => window.collectStats()) });
      finished();
    } else {
      await page.evaluate((msg) => window.fromRust(msg), m);
    }
  });
  rl.on("close", () => finished());
  await page.evaluate(() => window.start());
  await done;
} catch (e) {
  send({ error: String(e) });
  process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
  process.exit();
}
