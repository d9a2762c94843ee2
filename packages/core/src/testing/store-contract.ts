import { describe, expect, it } from "vitest"
import type { KeyValueStore } from "../ports/store.js"

/**
 * The contract every KeyValueStore implementation passes (memory, SQLite, IndexedDB). Each
 * implementation's test file calls this with a factory; `reopen` is given by persistent stores and
 * must return a store over the same data as the last `create()`.
 */
export interface StoreFactory {
  create(): Promise<KeyValueStore>
  reopen?(): Promise<KeyValueStore>
}

const bytes = (...values: number[]) => Uint8Array.from(values)

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    it("returns what was put and undefined for a missing key", async () => {
      const store = await factory.create()
      await store.batch([{ type: "put", key: "a/1", value: bytes(1, 2, 3) }])
      expect(await store.get("a/1")).toEqual(bytes(1, 2, 3))
      expect(await store.get("a/2")).toBeUndefined()
      await store.close()
    })

    it("overwrites and deletes", async () => {
      const store = await factory.create()
      await store.batch([{ type: "put", key: "k", value: bytes(1) }])
      await store.batch([{ type: "put", key: "k", value: bytes(2) }])
      expect(await store.get("k")).toEqual(bytes(2))
      await store.batch([{ type: "delete", key: "k" }])
      expect(await store.get("k")).toBeUndefined()
      await store.batch([{ type: "delete", key: "never-there" }])
      await store.close()
    })

    it("stores empty and large values byte for byte", async () => {
      const store = await factory.create()
      const large = new Uint8Array(1_500_000)
      for (let i = 0; i < large.length; i++) large[i] = (i * 31 + 7) & 0xff
      await store.batch([
        { type: "put", key: "empty", value: new Uint8Array() },
        { type: "put", key: "large", value: large },
      ])
      expect(await store.get("empty")).toEqual(new Uint8Array())
      const read = await store.get("large")
      // Compare as one buffer: element-wise deep equality of 1.5 MB is needlessly slow.
      expect(read?.length).toBe(large.length)
      expect(Buffer.compare(Buffer.from(read ?? []), Buffer.from(large))).toBe(0)
      await store.close()
    })

    it("lists a prefix in byte-wise key order and nothing outside it", async () => {
      const store = await factory.create()
      const keys = ["m/b", "m/a", "m/B", "m/a0", "m/", "m0", "n/a", "l/z", "m/~", "m/ "]
      await store.batch(keys.map((key, i) => ({ type: "put" as const, key, value: bytes(i) })))
      const listed = (await store.list("m/")).map((r) => r.key)
      expect(listed).toEqual(["m/", "m/ ", "m/B", "m/a", "m/a0", "m/b", "m/~"])
      const values = (await store.list("m/a")).map((r) => [r.key, r.value[0]])
      expect(values).toEqual([
        ["m/a", 1],
        ["m/a0", 3],
      ])
      await store.close()
    })

    it("pages forward and backward with after, limit and reverse", async () => {
      const store = await factory.create()
      const keys = Array.from({ length: 12 }, (_, i) => `p/${String(i).padStart(3, "0")}`)
      await store.batch(keys.map((key) => ({ type: "put" as const, key, value: bytes(1) })))
      const first = (await store.list("p/", { limit: 5 })).map((r) => r.key)
      expect(first).toEqual(keys.slice(0, 5))
      const next = (await store.list("p/", { after: "p/004", limit: 5 })).map((r) => r.key)
      expect(next).toEqual(keys.slice(5, 10))
      const last = (await store.list("p/", { reverse: true, limit: 3 })).map((r) => r.key)
      expect(last).toEqual(["p/011", "p/010", "p/009"])
      const before = (await store.list("p/", { reverse: true, after: "p/003" })).map((r) => r.key)
      expect(before).toEqual(["p/002", "p/001", "p/000"])
      await store.close()
    })

    it("applies a batch of puts and deletes together", async () => {
      const store = await factory.create()
      await store.batch([
        { type: "put", key: "x/1", value: bytes(1) },
        { type: "put", key: "x/2", value: bytes(2) },
      ])
      await store.batch([
        { type: "delete", key: "x/1" },
        { type: "put", key: "x/3", value: bytes(3) },
        { type: "put", key: "x/2", value: bytes(22) },
      ])
      expect((await store.list("x/")).map((r) => [r.key, r.value[0]])).toEqual([
        ["x/2", 22],
        ["x/3", 3],
      ])
      await store.close()
    })

    it("rejects a batch with an invalid key without applying any of it", async () => {
      const store = await factory.create()
      await expect(
        store.batch([
          { type: "put", key: "ok", value: bytes(1) },
          { type: "put", key: "bad\u00e9", value: bytes(2) },
        ]),
      ).rejects.toThrow()
      expect(await store.get("ok")).toBeUndefined()
      await store.close()
    })

    it("hands out copies: mutating a returned or written array changes nothing stored", async () => {
      const store = await factory.create()
      const value = bytes(9, 9, 9)
      await store.batch([{ type: "put", key: "c", value }])
      value[0] = 0
      const read = await store.get("c")
      expect(read).toEqual(bytes(9, 9, 9))
      if (read) read[1] = 0
      expect(await store.get("c")).toEqual(bytes(9, 9, 9))
      await store.close()
    })

    if (factory.reopen) {
      const reopen = factory.reopen.bind(factory)
      it("keeps everything across close and reopen", async () => {
        const store = await factory.create()
        await store.batch([
          { type: "put", key: "d/1", value: bytes(1) },
          { type: "put", key: "d/2", value: bytes(2) },
        ])
        await store.batch([{ type: "delete", key: "d/1" }])
        await store.close()
        const again = await reopen()
        expect((await again.list("d/")).map((r) => r.key)).toEqual(["d/2"])
        expect(await again.get("d/2")).toEqual(bytes(2))
        await again.close()
      })
    }
  })
}
