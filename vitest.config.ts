import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// Unit tests import the packages' TypeScript sources; integration tests under tests/ drive the
// built `backchannel` binary and server process, so `npm test` runs after `tsc -b`.
const alias = {
  "@backchannel/tracemark/dom": fileURLToPath(
    new URL("./packages/tracemark/src/dom/index.ts", import.meta.url),
  ),
  "@backchannel/tracemark/node": fileURLToPath(
    new URL("./packages/tracemark/src/node/index.ts", import.meta.url),
  ),
  "@backchannel/tracemark": src("tracemark"),
  "@backchannel/protocol": src("protocol"),
  "@backchannel/core": src("core"),
  "@backchannel/transport": src("transport"),
  "@backchannel/server": src("server"),
}

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
