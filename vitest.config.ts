import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

// Unit tests import the packages' TypeScript sources; integration tests under tests/ drive the
// built `backchannel` binary and server process, so `npm test` runs after `tsc -b`.
const alias = [
  { find: /^@backchannel\/protocol$/, replacement: src("protocol/src/index.ts") },
  { find: /^@backchannel\/core$/, replacement: src("core/src/index.ts") },
  { find: /^@backchannel\/core\/testing$/, replacement: src("core/src/testing/index.ts") },
  { find: /^@backchannel\/tracemark$/, replacement: src("tracemark/src/index.ts") },
  { find: /^@backchannel\/tracemark\/dom$/, replacement: src("tracemark/src/dom/index.ts") },
  { find: /^@backchannel\/tracemark\/node$/, replacement: src("tracemark/src/node/index.ts") },
  { find: /^@backchannel\/mls-crypto$/, replacement: src("mls-crypto/src/index.ts") },
  { find: /^@backchannel\/mls-crypto\/node$/, replacement: src("mls-crypto/src/node/index.ts") },
  { find: /^@backchannel\/transport$/, replacement: src("transport/src/index.ts") },
  { find: /^@backchannel\/server$/, replacement: src("server/src/index.ts") },
]

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
