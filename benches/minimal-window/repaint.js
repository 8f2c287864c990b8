// The repainting canvas of the minimal window (MINIMAL_WINDOW_REPAINT, src/main.rs): a 640x360
// canvas shown at the size asked for (in device pixels, as the desktop bench measures Trygg's
// tiles), given a new picture 30 times a second with putImageData.
// The pictures are made once, so this is only WebKit's part of showing a 30 fps video tile: the
// canvas update, the repaint and its way to the screen.
document.addEventListener("DOMContentLoaded", () => {
  const [w, h] = window.__REPAINT__;
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 360;
  const dpr = window.devicePixelRatio || 1;
  canvas.style.cssText = `display:block;width:${w / dpr}px;height:${h / dpr}px;background:#000;border-radius:10px`;
  document.body.append(canvas);
  const ctx = canvas.getContext("2d", { alpha: false });
  // Two pictures of noise (a flat picture could be cheaper to paint than a camera's).
  let seed = 1;
  const pictures = [0, 1].map(() => {
    const image = ctx.createImageData(640, 360);
    const words = new Uint32Array(image.data.buffer);
    for (let i = 0; i < words.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      words[i] = 0xff000000 | (seed >>> 8);
    }
    return image;
  });
  let n = 0;
  setInterval(() => {
    ctx.putImageData(pictures[n++ % 2], 0, 0);
    canvas.dataset.frames = String(n);
  }, 1000 / 30);
});
