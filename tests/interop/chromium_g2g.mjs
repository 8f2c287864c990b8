// Chromium's own WebRTC stack measured the way Trygg is: one page sends a 1280x720@30 canvas
// carrying Trygg's pixel timestamp (same 18x4 grid, 40-bit µs time, 24-bit counter, CRC-8^0x5a)
// as H.264 at 2 Mbit/s from one RTCPeerConnection to a second one on loopback; every decoded
// frame's stamp is read back and its age recorded. Prints one JSON document:
//   {"glass_to_glass_ms":[...], "frames_encoded":n, "encode_ms_per_frame":x, "codec":"video/H264", "seconds":s}
// Usage: node chromium_g2g.mjs SECONDS [USER_DATA_DIR]
import { launch, serve } from "./chromium.mjs";

const seconds = Number(process.argv[2] || 10);
const PAGE = `<!doctype html><html><body>
<canvas id="src" width="1280" height="720"></canvas><video id="v" autoplay muted playsinline></video>
<canvas id="probe" width="1280" height="128"></canvas>
<script>
const W = 1280, H = 720, COLS = 18, ROWS = 4;
const CELL = Math.min(32, Math.max(8, Math.floor(Math.floor(W / 40) / 4) * 4));
function crc8(bytes) { let c = 0; for (const b of bytes) { c ^= b; for (let i = 0; i < 8; i++) c = (c & 0x80) ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff; } return c; }
function stampBits(us, seq) {
  const payload = ((BigInt(us) & ((1n << 40n) - 1n)) << 24n) | BigInt(seq & 0xffffff);
  const bytes = []; for (let i = 7; i >= 0; i--) bytes.push(Number((payload >> BigInt(i * 8)) & 0xffn));
  return (payload << 8n) | BigInt(crc8(bytes) ^ 0x5a);
}
const src = document.getElementById("src"), g = src.getContext("2d");
let seq = 0;
function draw() {
  seq++;
  const t = Date.now() * 1000;
  g.fillStyle = "#3a5f8a"; g.fillRect(0, 0, W, H);
  for (let i = 0; i < 40; i++) { g.fillStyle = i % 2 ? "#d9a441" : "#6fae6a"; g.fillRect((i * 97 + seq * 5) % W, (i * 53 + seq * 3) % H, 60, 40); }
  g.fillStyle = "#fff"; g.font = "48px sans-serif"; g.fillText("Chromium reference " + seq, 100, 400);
  const bits = stampBits(t, seq);
  for (let i = 0; i < COLS * ROWS; i++) {
    const bit = (bits >> BigInt(COLS * ROWS - 1 - i)) & 1n;
    g.fillStyle = bit ? "#fff" : "#000";
    g.fillRect((i % COLS) * CELL, Math.floor(i / COLS) * CELL, CELL, CELL);
  }
}
setInterval(draw, 1000 / 30);
const stream = src.captureStream(30);
const pc1 = new RTCPeerConnection(), pc2 = new RTCPeerConnection();
pc1.onicecandidate = (e) => e.candidate && pc2.addIceCandidate(e.candidate);
pc2.onicecandidate = (e) => e.candidate && pc1.addIceCandidate(e.candidate);
const tr = pc1.addTransceiver(stream.getVideoTracks()[0], { direction: "sendonly", sendEncodings: [{ maxBitrate: 2000000, maxFramerate: 30 }] });
const params = tr.sender.getParameters();
params.degradationPreference = "maintain-resolution";
tr.sender.setParameters(params).catch(() => {});
const h264 = RTCRtpReceiver.getCapabilities("video").codecs.filter((c) => c.mimeType === "video/H264" && /packetization-mode=1/.test(c.sdpFmtpLine || ""));
tr.setCodecPreferences(h264);
const video = document.getElementById("v");
pc2.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); video.play().catch(() => {}); };
const probe = document.getElementById("probe").getContext("2d", { willReadFrequently: true });
window.latencies = [];
function readStamp() {
  // Scaled to the source size, so a stream the browser sent smaller still reads.
  probe.drawImage(video, 0, 0, W, H);
  const img = probe.getImageData(0, 0, COLS * CELL, ROWS * CELL).data;
  const lo = Math.floor(CELL / 4), hi = CELL - lo;
  let bits = 0n;
  for (let i = 0; i < COLS * ROWS; i++) {
    const cx = (i % COLS) * CELL, cy = Math.floor(i / COLS) * CELL;
    let sum = 0, n = 0;
    for (let y = cy + lo; y < cy + hi; y++) for (let x = cx + lo; x < cx + hi; x++) {
      const o = (y * COLS * CELL + x) * 4; sum += 0.299 * img[o] + 0.587 * img[o + 1] + 0.114 * img[o + 2]; n++;
    }
    bits = (bits << 1n) | (sum / n > 128 ? 1n : 0n);
  }
  const payload = bits >> 8n;
  const bytes = []; for (let i = 7; i >= 0; i--) bytes.push(Number((payload >> BigInt(i * 8)) & 0xffn));
  if ((crc8(bytes) ^ 0x5a) !== Number(bits & 0xffn)) return null;
  return Number(payload >> 24n);
}
function onFrame() {
  const stamped = readStamp();
  if (stamped !== null) {
    const now = Number(BigInt(Date.now() * 1000) & ((1n << 40n) - 1n));
    const age = (now - stamped) / 1000;
    if (age >= 0 && age < 10000) window.latencies.push(age);
  }
  video.requestVideoFrameCallback(onFrame);
}
video.requestVideoFrameCallback(onFrame);
(async () => {
  await pc1.setLocalDescription(); await pc2.setRemoteDescription(pc1.localDescription);
  await pc2.setLocalDescription(); await pc1.setRemoteDescription(pc2.localDescription);
})();
window.result = async () => {
  let encoded = 0, encodeTime = 0, codec = "", width = 0, height = 0;
  const codecs = {};
  (await pc1.getStats()).forEach((s) => { if (s.type === "codec") codecs[s.id] = s.mimeType; });
  (await pc1.getStats()).forEach((s) => { if (s.type === "outbound-rtp") { encoded = s.framesEncoded; encodeTime = s.totalEncodeTime; codec = codecs[s.codecId]; width = s.frameWidth; height = s.frameHeight; } });
  return { glass_to_glass_ms: window.latencies, frames_encoded: encoded, encode_ms_per_frame: encoded ? (encodeTime * 1000) / encoded : null, codec, width, height };
};
</script></body></html>`;

const { browser } = await launch();
const { server, url } = await serve(PAGE);
try {
  const page = browser.pages()[0] || (await browser.newPage());
  await page.goto(url);
  await new Promise((r) => setTimeout(r, 2000)); // connect and warm up
  await page.evaluate(() => { window.latencies = []; });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const result = await page.evaluate(() => window.result());
  result.seconds = seconds;
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await browser.close();
  server.close();
  process.exit();
}
