import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { build } from "vite"
import type { Browser } from "playwright-core"
import { storeContractCases } from "@backchannel/core/testing"
import { MemoryStore } from "@backchannel/core"
import { launchChromium } from "./support/web.js"

const pkg = (path: string) => fileURLToPath(new URL(`../packages/${path}`, import.meta.url))
const origin = "http://contract.invalid"
let browser: Browser
let bundle: string

beforeAll(async () => {
  const output = await build({
    configFile: false,
    logLevel: "silent",
    resolve: {
      alias: [
        { find: /^@backchannel\/core\/testing$/, replacement: pkg("core/src/testing/index.ts") },
        { find: /^@backchannel\/core$/, replacement: pkg("core/src/index.ts") },
        { find: /^@backchannel\/protocol$/, replacement: pkg("protocol/src/index.ts") },
        { find: /^@backchannel\/tracemark$/, replacement: pkg("tracemark/src/index.ts") },
      ],
    },
    build: {
      write: false,
      minify: false,
      lib: {
        entry: fileURLToPath(new URL("./support/idb-contract-page.ts", import.meta.url)),
        formats: ["es"],
        fileName: "contract",
      },
    },
  })
  const results = Array.isArray(output) ? output : [output]
  const chunk = results
    .flatMap((r) => ("output" in r ? r.output : []))
    .find((o) => o.type === "chunk" && o.isEntry)
  if (chunk === undefined || chunk.type !== "chunk") throw new Error("no bundle")
  bundle = chunk.code
  browser = await launchChromium()
})

afterAll(async () => {
  await browser.close()
})

describe("IndexedDbStore in real Chromium", () => {
  it("passes every case of the storage contract on the browser's own IndexedDB", async () => {
    const context = await browser.newContext()
    const blocked: string[] = []
    await context.route("**/*", async (route) => {
      const url = new URL(route.request().url())
      if (url.origin !== origin) {
        blocked.push(url.origin)
        return route.abort()
      }
      if (url.pathname === "/contract.js")
        return route.fulfill({ body: bundle, contentType: "text/javascript" })
      return route.fulfill({ body: "<!doctype html><title>contract</title>", contentType: "text/html" })
    })
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    // A string, not a function: the test runner would rewrite a dynamic import() inside a function.
    const results = await page.evaluate<Array<{ name: string; ok: boolean; error?: string }>>(
      `import("/contract.js").then((m) => m.runContract())`,
    )
    await context.close()
    // Every case ran (the same list the Node implementations run, reopen included) and none failed.
    const expected = storeContractCases({
      create: () => Promise.resolve(new MemoryStore()),
      reopen: () => Promise.resolve(new MemoryStore()),
    }).map((c) => c.name)
    expect(results.map((r) => r.name)).toEqual(expected)
    expect(results.filter((r) => !r.ok)).toEqual([])
    expect(blocked).toEqual([])
  })
})
