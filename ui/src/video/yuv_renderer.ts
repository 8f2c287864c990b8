// Draws I420 pictures on a canvas with WebGL: three one-channel textures and a BT.601
// limited-range YUV→RGB shader, so the CPU only copies planes. Without WebGL it converts on the
// CPU into a 2D canvas, slower but never blank.
import type { VideoFrame } from "../backend/types";

const VERTEX = `
attribute vec2 pos;
varying vec2 uv;
void main() {
  uv = vec2((pos.x + 1.0) / 2.0, (1.0 - pos.y) / 2.0);
  gl_Position = vec4(pos, 0.0, 1.0);
}`;

const FRAGMENT = `
precision mediump float;
varying vec2 uv;
uniform sampler2D ty, tu, tv;
void main() {
  float y = 1.1643 * (texture2D(ty, uv).r - 0.0625);
  float u = texture2D(tu, uv).r - 0.5;
  float v = texture2D(tv, uv).r - 0.5;
  gl_FragColor = vec4(y + 1.5958 * v, y - 0.39173 * u - 0.8129 * v, y + 2.017 * u, 1.0);
}`;

export interface Renderer {
  readonly kind: "webgl" | "2d";
  draw(frame: VideoFrame): void;
  dispose(): void;
}

function compile(gl: WebGLRenderingContext, type: number, source: string): WebGLShader {
  const s = gl.createShader(type);
  if (!s) throw new Error("no shader");
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s) ?? "shader");
  return s;
}

class WebGlRenderer implements Renderer {
  readonly kind = "webgl";
  private textures: WebGLTexture[];
  /** The size the textures were allocated for. */
  private size = "";

  constructor(
    private canvas: HTMLCanvasElement,
    private gl: WebGLRenderingContext,
  ) {
    const program = gl.createProgram();
    if (!program) throw new Error("no program");
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program) ?? "link");
    gl.useProgram(program);
    const quad = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, quad);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const pos = gl.getAttribLocation(program, "pos");
    gl.enableVertexAttribArray(pos);
    gl.vertexAttribPointer(pos, 2, gl.FLOAT, false, 0, 0);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.textures = ["ty", "tu", "tv"].map((name, i) => {
      const t = gl.createTexture();
      if (!t) throw new Error("no texture");
      gl.activeTexture(gl.TEXTURE0 + i);
      gl.bindTexture(gl.TEXTURE_2D, t);
      for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, gl.LINEAR);
      for (const p of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) gl.texParameteri(gl.TEXTURE_2D, p, gl.CLAMP_TO_EDGE);
      gl.uniform1i(gl.getUniformLocation(program, name), i);
      return t;
    });
  }

  draw(f: VideoFrame): void {
    const { gl, canvas } = this;
    if (canvas.width !== f.width || canvas.height !== f.height) {
      canvas.width = f.width;
      canvas.height = f.height;
    }
    gl.viewport(0, 0, f.width, f.height);
    const luma = f.width * f.height;
    const planes: [number, number, number, number][] = [
      [0, f.width, f.height, 0],
      [1, f.width / 2, f.height / 2, luma],
      [2, f.width / 2, f.height / 2, luma + luma / 4],
    ];
    for (const [i, w, h, offset] of planes) {
      gl.activeTexture(gl.TEXTURE0 + i);
      gl.bindTexture(gl.TEXTURE_2D, this.textures[i]);
      const plane = f.data.subarray(offset, offset + w * h);
      // Same size as the last picture: refill the textures in place rather than reallocate them.
      if (this.size === `${f.width}x${f.height}`) {
        gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, w, h, gl.LUMINANCE, gl.UNSIGNED_BYTE, plane);
      } else {
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.LUMINANCE, w, h, 0, gl.LUMINANCE, gl.UNSIGNED_BYTE, plane);
      }
    }
    this.size = `${f.width}x${f.height}`;
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  dispose(): void {
    this.textures.forEach((t) => this.gl.deleteTexture(t));
  }
}

class CanvasRenderer implements Renderer {
  readonly kind = "2d";
  constructor(private canvas: HTMLCanvasElement) {}

  draw(f: VideoFrame): void {
    const { canvas } = this;
    if (canvas.width !== f.width || canvas.height !== f.height) {
      canvas.width = f.width;
      canvas.height = f.height;
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const img = ctx.createImageData(f.width, f.height);
    const luma = f.width * f.height;
    const half = f.width / 2;
    for (let y = 0; y < f.height; y++) {
      for (let x = 0; x < f.width; x++) {
        const c = ((y >> 1) * half) + (x >> 1);
        const Y = 1.1643 * (f.data[y * f.width + x] - 16);
        const U = f.data[luma + c] - 128;
        const V = f.data[luma + luma / 4 + c] - 128;
        const o = (y * f.width + x) * 4;
        img.data[o] = Y + 1.5958 * V;
        img.data[o + 1] = Y - 0.39173 * U - 0.8129 * V;
        img.data[o + 2] = Y + 2.017 * U;
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  dispose(): void {}
}

/** The WebGL renderer where the webview has WebGL, else the 2D one. */
export function createRenderer(canvas: HTMLCanvasElement): Renderer {
  // preserveDrawingBuffer keeps the last picture readable (screenshots, tests) after compositing.
  const gl = canvas.getContext("webgl", { preserveDrawingBuffer: true, antialias: false, depth: false });
  if (gl) {
    try {
      return new WebGlRenderer(canvas, gl);
    } catch (e) {
      console.warn("WebGL renderer failed, drawing on the CPU", e);
    }
  }
  return new CanvasRenderer(canvas);
}
