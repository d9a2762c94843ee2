import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { storeContract } from "../testing/store-contract.js"
import { MemoryStore } from "./memory-store.js"
import { NobleSealer } from "./noble-sealer.js"
import { SealedStore } from "./sealed-store.js"

const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) }
const key = new Uint8Array(randomBytes(32))

storeContract("sealed over memory", {
  create: () => Promise.resolve(new SealedStore(new MemoryStore(), new NobleSealer(key, random))),
})

describe("SealedStore", () => {
  it("stores only ciphertext in the underlying store", async () => {
    const inner = new MemoryStore()
    const store = new SealedStore(inner, new NobleSealer(key, random))
    const secret = new TextEncoder().encode("the summit moves to Thursday")
    await store.batch([{ type: "put", key: "msg/1", value: secret }])
    const raw = await inner.get("msg/1")
    expect(raw).toBeDefined()
    expect(Buffer.from(raw ?? []).includes(Buffer.from("summit"))).toBe(false)
    expect(await store.get("msg/1")).toEqual(secret)
  })

  it("refuses a record moved to another key", async () => {
    const inner = new MemoryStore()
    const store = new SealedStore(inner, new NobleSealer(key, random))
    await store.batch([{ type: "put", key: "a", value: Uint8Array.of(1) }])
    const raw = await inner.get("a")
    await inner.batch([{ type: "put", key: "b", value: raw ?? new Uint8Array() }])
    await expect(store.get("b")).rejects.toThrow("failed authentication")
  })

  it("refuses a flipped bit and a wrong key", async () => {
    const inner = new MemoryStore()
    const store = new SealedStore(inner, new NobleSealer(key, random))
    await store.batch([{ type: "put", key: "a", value: Uint8Array.of(1, 2, 3) }])
    const raw = (await inner.get("a")) ?? new Uint8Array()
    const flipped = raw.slice()
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1
    await inner.batch([{ type: "put", key: "a", value: flipped }])
    await expect(store.get("a")).rejects.toThrow()
    await inner.batch([{ type: "put", key: "a", value: raw }])
    const other = new SealedStore(inner, new NobleSealer(new Uint8Array(randomBytes(32)), random))
    await expect(other.get("a")).rejects.toThrow()
    expect(await store.get("a")).toEqual(Uint8Array.of(1, 2, 3))
  })
})
