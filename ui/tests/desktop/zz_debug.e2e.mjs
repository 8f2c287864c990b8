import { test } from "node:test";
import { Session, sleep } from "./webdriver.mjs";
const { APP, WEBDRIVER = "http://127.0.0.1:4444" } = process.env;
test("debug", async () => {
  const session = await Session.start(WEBDRIVER, APP);
  try {
    await session.waitFor("#new-meeting");
    await sleep(2000);
    for (let i = 0; i < 3; i++) {
      const out = await session.execute(`
        const t0 = performance.now();
        const c = document.createElement("canvas"); c.width = 64; c.height = 64;
        const gl = c.getContext("webgl", { preserveDrawingBuffer: true });
        const t1 = performance.now();
        const sh = gl.createShader(gl.FRAGMENT_SHADER); gl.shaderSource(sh, "precision mediump float; uniform sampler2D t; varying vec2 v; void main(){ gl_FragColor = texture2D(t, v); }"); gl.compileShader(sh);
        const vs = gl.createShader(gl.VERTEX_SHADER); gl.shaderSource(vs, "attribute vec2 p; varying vec2 v; void main(){ v = p; gl_Position = vec4(p,0.,1.); }"); gl.compileShader(vs);
        const pr = gl.createProgram(); gl.attachShader(pr, vs); gl.attachShader(pr, sh); gl.linkProgram(pr); gl.useProgram(pr); gl.drawArrays(gl.TRIANGLES, 0, 3); gl.finish();
        const t2 = performance.now();
        return [t1 - t0, t2 - t1];`);
      console.log("webgl", i, out);
    }
  } finally { await session.end(); }
});
