import { defineConfig } from "vite";

// One page, no plugins: Preact's JSX goes through Vite's own transformer.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  clearScreen: false,
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 300 },
});
