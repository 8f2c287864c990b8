import { defineConfig } from "vite";

// Unit tests are TypeScript; Node runs the bundle this builds (`npm run test:unit`).
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    ssr: "tests/unit/all.test.ts",
    outDir: ".unit-build",
    emptyOutDir: true,
    target: "node20",
    rollupOptions: { output: { entryFileNames: "all.test.mjs" } },
  },
});
