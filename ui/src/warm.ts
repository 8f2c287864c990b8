// The first drawing of some things costs a few hundred milliseconds in WebKitGTK with a software
// renderer: a WebGL context and its shader, the compositor's first canvas layer, the first native
// form controls (GTK's theme). The home screen never shows them, so the first link opened would
// pay for all of it on its way to the pre-join screen (measured: about 560 ms instead of 140).
// This pays while the app is idle instead.
import { createRenderer, type Renderer } from "./video/yuv_renderer";

/** Shows a tiny, nearly transparent video surface and form controls for two frames, then
 *  removes them. Hidden from assistive technology and from pointer and keyboard. */
export function warmSurfaces(): void {
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  canvas.className = "warm";
  canvas.style.cssText = "position:fixed;left:0;top:0;width:2px;height:2px;opacity:0.01;pointer-events:none";
  document.body.appendChild(canvas);
  const form = document.createElement("div");
  form.setAttribute("aria-hidden", "true");
  form.className = "warm";
  form.style.cssText = "position:fixed;left:0;top:0;opacity:0.01;pointer-events:none";
  form.innerHTML =
    '<select tabindex="-1" aria-label="warm-up"><option>a</option></select>' +
    '<input tabindex="-1" type="checkbox" aria-label="warm-up"><input tabindex="-1" value="a" aria-label="warm-up">' +
    '<button tabindex="-1">warm-up</button>';
  document.body.appendChild(form);
  let renderer: Renderer | null = null;
  try {
    renderer = createRenderer(canvas);
    const luma = 16 * 16;
    renderer.draw({ width: 16, height: 16, seq: 0, data: new Uint8Array(luma + luma / 2).fill(128) });
  } catch {
    // Nothing to warm: the first real surface will say what is wrong.
  }
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      renderer?.dispose();
      canvas.remove();
      form.remove();
    }),
  );
}
