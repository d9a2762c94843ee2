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
    rolldownOptions: {
      // @hpke/common and mlkem fall back to `import("crypto")` only where globalThis.crypto is missing
      // (old Node); browsers never reach it, and Vite already replaces the module with an empty one. Its
      // warning, printed on every build (so on every `npm run serve`), says nothing a user can act on.
      onLog(level, log, handler) {
        const nodeCryptoFallback =
          level === "warn" &&
          log.plugin === "rolldown:vite-resolve" &&
          log.message.includes('Module "crypto" has been externalized for browser compatibility')
        if (!nodeCryptoFallback) handler(level, log)
      },
    },
  },
  worker: { format: "es" },
  oxc: { jsx: { runtime: "automatic" } },
})
