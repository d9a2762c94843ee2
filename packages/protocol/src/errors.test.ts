import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { errorCatalog, errorCodes, isErrorCode, ProtocolError } from "./errors.js"

const protocolDoc = readFileSync(new URL("../../../docs/PROTOCOL.md", import.meta.url), "utf8")

describe("error catalog", () => {
  it("documents every code with its HTTP status in docs/PROTOCOL.md", () => {
    for (const code of errorCodes) {
      const row = new RegExp(`^\\| \`${code}\` \\| ${errorCatalog[code].status} \\|`, "m")
      expect(protocolDoc, `${code} row`).toMatch(row)
    }
  })

  it("has no documented code that the catalog lacks", () => {
    const documented = [...protocolDoc.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual([...errorCodes].sort())
  })

  it("narrows unknown values", () => {
    expect(isErrorCode("EPOCH_CONFLICT")).toBe(true)
    expect(isErrorCode("toString")).toBe(false)
    expect(isErrorCode(42)).toBe(false)
  })

  it("carries the status and details of its code", () => {
    const err = new ProtocolError("STALE_EPOCH", undefined, { epoch: "7" })
    expect(err.status).toBe(409)
    expect(err.is("STALE_EPOCH")).toBe(true)
    expect(err.toBody()).toEqual({
      error: { code: "STALE_EPOCH", message: errorCatalog.STALE_EPOCH.message, epoch: "7" },
    })
  })
})
