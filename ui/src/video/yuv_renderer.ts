// Draws pictures on a canvas: with WebGL, I420 in three one-channel textures and a BT.601
// limited-range YUV→RGB shader, so the CPU only copies planes; or, where WebGL has no GPU
// (renderer_choice.ts) or fails, into a 2D canvas: RGBA pictures (the desktop app's web extension
// converts them, backend/frames.ts) as they are, I420 ones converted here on the CPU.
import type { VideoFrame } from "../backend/types";
import { i420ToRgba } from "./i420_rgba";
import { chooseRenderer } from "./renderer_choice";

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
  float y = 1.1643 * (texture2D(ty, uv).r - 0.0627451); // 16 / 255
  float u = texture2D(tu, uv).r - 0.5019608; // 128 / 255
  float v = texture2D(tv, uv).r - 0.5019608;
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
    // Never asked for (pictures come in RGBA only to a 2D canvas, video_view.tsx).
    if (f.format === "rgba") return;
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
  /** Reused while the size stays: no new memory for each picture. */
  private image: ImageData | null = null;
  private words: Uint32Array | null = null;
  /** Pictures that came in RGBA, by the memory they are in: the page reuses two buffers in
   *  turn (backend/tauri.ts), so each gets its ImageData once, over its own bytes. */
  private views = new WeakMap<ArrayBuffer, ImageData>();

  constructor(
    private canvas: HTMLCanvasElement,
    private ctx: CanvasRenderingContext2D,
  ) {}

  draw(f: VideoFrame): void {
    const { canvas, ctx } = this;
    if (canvas.width !== f.width || canvas.height !== f.height) {
      canvas.width = f.width;
      canvas.height = f.height;
    }
    if (f.format === "rgba") {
      ctx.putImageData(this.over(f), 0, 0);
      return;
    }
    if (!this.image || !this.words || this.image.width !== f.width || this.image.height !== f.height) {
      this.image = ctx.createImageData(f.width, f.height);
      this.words = new Uint32Array(this.image.data.buffer);
    }
    i420ToRgba(f.data, f.width, f.height, this.words);
    ctx.putImageData(this.image, 0, 0);
  }

  /** An ImageData over an RGBA picture's own bytes, without a copy. */
  private over(f: VideoFrame): ImageData {
    const buffer = f.data.buffer as ArrayBuffer;
    const known = this.views.get(buffer);
    if (known && known.width === f.width && known.height === f.height && known.data.byteOffset === f.data.byteOffset) return known;
    const image = new ImageData(new Uint8ClampedArray(buffer, f.data.byteOffset, f.width * f.height * 4), f.width, f.height);
    this.views.set(buffer, image);
    return image;
  }

  dispose(): void {
    this.image = null;
    this.words = null;
    this.views = new WeakMap();
  }
}

/** Set once WebGL failed to set up here: later canvases go straight to the 2D renderer. */
let webglFailed = false;

/** The renderer `chooseRenderer` picks. If WebGL fails to set up, this throws: the canvas is then
 *  WebGL's and cannot draw 2D, so the caller draws on a fresh canvas, which gets the 2D renderer. */
export function createRenderer(canvas: HTMLCanvasElement): Renderer {
  if (!webglFailed && chooseRenderer() === "webgl") {
    // preserveDrawingBuffer keeps the last picture readable (screenshots, tests) after compositing.
    const gl = canvas.getContext("webgl", { preserveDrawingBuffer: true, antialias: false, depth: false });
    if (gl) {
      try {
        return new WebGlRenderer(canvas, gl);
      } catch (e) {
        webglFailed = true;
        throw new Error(`WebGL renderer failed, drawing on the CPU from now on: ${e}`);
      }
    }
  }
  const ctx = canvas.getContext("2d", { alpha: false });
  if (!ctx) throw new Error("this canvas draws neither WebGL nor 2D");
  return new CanvasRenderer(canvas, ctx);
}
