import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// Unit tests import the packages' TypeScript sources; integration tests under tests/ drive the
// built `backchannel` binary and server process, so `npm test` runs after `tsc -b`.
const alias = {
  "@backchannel/protocol": src("protocol"),
  "@backchannel/core": src("core"),
  // "/node" first: an alias also matches longer specifiers that start with its key and a slash.
  "@backchannel/mls-crypto/node": fileURLToPath(
    new URL("./packages/mls-crypto/src/node/index.ts", import.meta.url),
  ),
  "@backchannel/mls-crypto": src("mls-crypto"),
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
