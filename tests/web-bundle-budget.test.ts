import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { budgetBytes, measureBundle } from "../packages/web/scripts/bundle-budget.mjs"

const dist = fileURLToPath(new URL("../packages/web/dist/", import.meta.url))

describe("web app bundle budget (measured on the build that scripts/setup.mjs makes)", () => {
  it("keeps the initial bundle within 350 KB gzipped and the engine worker out of it", () => {
    expect(existsSync(`${dist}index.html`), "packages/web/dist is built by scripts/setup.mjs").toBe(true)
    const m = measureBundle(dist)
    expect(m.initial.some((f) => f.file.endsWith(".js"))).toBe(true)
    expect(m.initial.some((f) => f.file.endsWith(".css"))).toBe(true)
    expect(m.initial.some((f) => f.file.includes("engine-worker"))).toBe(false)
    expect(m.lazy.some((f) => f.file.includes("engine-worker"))).toBe(true)
    expect(m.initialGzip).toBeLessThanOrEqual(budgetBytes)
  })
})
