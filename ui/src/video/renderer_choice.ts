// Which renderer draws video in this webview. WebGL with the YUV shader is best where WebGL runs
// on a GPU. Where it runs on a CPU rasteriser (Mesa's llvmpipe or softpipe, SwiftShader: a
// machine or VM without a GPU, where WebKit also composites on the CPU), converting on the CPU
// into a 2D canvas costs about half as much and keeps the rasteriser's memory out of the page.
// WebKitGTK calls every renderer "Apple GPU", so there the shell says which it is
// (`__TRYGG_GPU__`, src-tauri/src/renderer.rs); other webviews name theirs.

export type RendererKind = "webgl" | "2d";
/** What WebGL runs on here: a GPU, a CPU rasteriser, or nothing. */
export type GlKind = "hardware" | "software" | "none";

const SOFTWARE = /llvmpipe|softpipe|swiftshader|software|swrast/i;

/** Reads a renderer name (the unmasked one where the webview tells it). */
export function glKindOf(rendererName: string | null): GlKind {
  if (rendererName === null) return "none";
  return SOFTWARE.test(rendererName) ? "software" : "hardware";
}

let probed: GlKind | null = null;

/** The shell's word where it gave one, else a throwaway WebGL context's, once per page; a
 *  webview that names no renderer counts as a GPU. */
export function glKind(): GlKind {
  if (probed) return probed;
  if ((globalThis as { __TRYGG_GPU__?: boolean }).__TRYGG_GPU__ === false) return (probed = "software");
  const gl = document.createElement("canvas").getContext("webgl");
  if (!gl) return (probed = "none");
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  probed = glKindOf(typeof name === "string" ? name : "");
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return probed;
}

/** The renderer for video: `?renderer=webgl` or `?renderer=2d` in the page's address decides (the
 *  UI tests check both paths); otherwise WebGL on a GPU and the 2D canvas everywhere else. */
export function chooseRenderer(search = location.search, kind: () => GlKind = glKind): RendererKind {
  const asked = new URLSearchParams(search).get("renderer");
  if (asked === "webgl" || asked === "2d") return asked;
  return kind() === "hardware" ? "webgl" : "2d";
}
