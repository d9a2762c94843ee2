// Builds the web app into dist/. The engine worker is its own chunk, loaded after the UI has started,
// so the initial bundle stays small (scripts/bundle-budget.mjs checks it). No inline scripts or styles
// are emitted: the server's Content-Security-Policy forbids them.
import { defineConfig } from "vite"

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  worker: { format: "es" },
  oxc: { jsx: { runtime: "automatic" } },
})
