import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { ownedBytes } from "./bytes.js"

describe("ownedBytes", () => {
  it("re-wraps a node:crypto output that owns its memory, without copying", () => {
    const digest = createHash("sha256").update("x").digest()
    const owned = ownedBytes(digest)
    expect(Buffer.isBuffer(owned)).toBe(false)
    expect(owned.buffer).toBe(digest.buffer)
    expect(owned.byteLength).toBe(32)
  })

  it("copies a Buffer from the shared pool, or a view into a larger buffer", () => {
    const pooled = Buffer.from([1, 2, 3])
    expect(pooled.buffer.byteLength).toBeGreaterThan(3)
    const owned = ownedBytes(pooled)
    expect(owned.buffer).not.toBe(pooled.buffer)
    expect(owned.buffer.byteLength).toBe(3)
    expect([...owned]).toEqual([1, 2, 3])

    const view = new Uint8Array(8).subarray(2, 6)
    const copy = ownedBytes(view)
    expect(copy.buffer).not.toBe(view.buffer)
    expect(copy.byteOffset).toBe(0)
    expect(copy.buffer.byteLength).toBe(4)
  })
})
