import type { KeyValueStore } from "../ports/store.js"

/**
 * The cases every KeyValueStore implementation passes (memory, SQLite, IndexedDB), free of any test
 * runner so that they run both under vitest (store-contract.ts) and inside a real browser page (the web
 * app's IndexedDB store in Chromium). `reopen` is given by persistent stores and must return a store over
 * the same data as the last `create()`.
 */
export interface StoreFactory {
  create(): Promise<KeyValueStore>
  reopen?(): Promise<KeyValueStore>
}

export interface ContractCase {
  name: string
  run(): Promise<void>
}

const bytes = (...values: number[]) => Uint8Array.from(values)

function fail(message: string): never {
  throw new Error(message)
}

function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  if (actual === undefined) fail(`${what}: missing`)
  if (actual.length !== expected.length) fail(`${what}: length ${actual.length}, expected ${expected.length}`)
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) fail(`${what}: differs at byte ${i}`)
  }
}

function sameJson(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) fail(`${what}: got ${a}, expected ${e}`)
}

function isUndefined(actual: unknown, what: string): void {
  if (actual !== undefined) fail(`${what}: expected nothing`)
}

async function rejects(promise: Promise<unknown>, what: string): Promise<void> {
  try {
    await promise
  } catch {
    return
  }
  fail(`${what}: expected a rejection`)
}

export function storeContractCases(factory: StoreFactory): ContractCase[] {
  const cases: ContractCase[] = [
    {
      name: "returns what was put and undefined for a missing key",
      run: async () => {
        const store = await factory.create()
        await store.batch([{ type: "put", key: "a/1", value: bytes(1, 2, 3) }])
        sameBytes(await store.get("a/1"), bytes(1, 2, 3), "a/1")
        isUndefined(await store.get("a/2"), "a/2")
        await store.close()
      },
    },
    {
      name: "overwrites and deletes",
      run: async () => {
        const store = await factory.create()
        await store.batch([{ type: "put", key: "k", value: bytes(1) }])
        await store.batch([{ type: "put", key: "k", value: bytes(2) }])
        sameBytes(await store.get("k"), bytes(2), "k after overwrite")
        await store.batch([{ type: "delete", key: "k" }])
        isUndefined(await store.get("k"), "k after delete")
        await store.batch([{ type: "delete", key: "never-there" }])
        await store.close()
      },
    },
    {
      name: "stores empty and large values byte for byte",
      run: async () => {
        const store = await factory.create()
        const large = new Uint8Array(1_500_000)
        for (let i = 0; i < large.length; i++) large[i] = (i * 31 + 7) & 0xff
        await store.batch([
          { type: "put", key: "empty", value: new Uint8Array() },
          { type: "put", key: "large", value: large },
        ])
        sameBytes(await store.get("empty"), new Uint8Array(), "empty")
        sameBytes(await store.get("large"), large, "large")
        await store.close()
      },
    },
    {
      name: "lists a prefix in byte-wise key order and nothing outside it",
      run: async () => {
        const store = await factory.create()
        const keys = ["m/b", "m/a", "m/B", "m/a0", "m/", "m0", "n/a", "l/z", "m/~", "m/ "]
        await store.batch(keys.map((key, i) => ({ type: "put" as const, key, value: bytes(i) })))
        const listed = (await store.list("m/")).map((r) => r.key)
        sameJson(listed, ["m/", "m/ ", "m/B", "m/a", "m/a0", "m/b", "m/~"], "list m/")
        const values = (await store.list("m/a")).map((r) => [r.key, r.value[0]])
        sameJson(
          values,
          [
            ["m/a", 1],
            ["m/a0", 3],
          ],
          "list m/a",
        )
        await store.close()
      },
    },
    {
      name: "pages forward and backward with after, limit and reverse",
      run: async () => {
        const store = await factory.create()
        const keys = Array.from({ length: 12 }, (_, i) => `p/${String(i).padStart(3, "0")}`)
        await store.batch(keys.map((key) => ({ type: "put" as const, key, value: bytes(1) })))
        const first = (await store.list("p/", { limit: 5 })).map((r) => r.key)
        sameJson(first, keys.slice(0, 5), "first page")
        const next = (await store.list("p/", { after: "p/004", limit: 5 })).map((r) => r.key)
        sameJson(next, keys.slice(5, 10), "next page")
        const last = (await store.list("p/", { reverse: true, limit: 3 })).map((r) => r.key)
        sameJson(last, ["p/011", "p/010", "p/009"], "last page")
        const before = (await store.list("p/", { reverse: true, after: "p/003" })).map((r) => r.key)
        sameJson(before, ["p/002", "p/001", "p/000"], "before p/003")
        await store.close()
      },
    },
    {
      name: "applies a batch of puts and deletes together",
      run: async () => {
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
        sameJson(
          (await store.list("x/")).map((r) => [r.key, r.value[0]]),
          [
            ["x/2", 22],
            ["x/3", 3],
          ],
          "after batch",
        )
        await store.close()
      },
    },
    {
      name: "rejects a batch with an invalid key without applying any of it",
      run: async () => {
        const store = await factory.create()
        await rejects(
          store.batch([
            { type: "put", key: "ok", value: bytes(1) },
            { type: "put", key: "bad\u00e9", value: bytes(2) },
          ]),
          "batch with a bad key",
        )
        isUndefined(await store.get("ok"), "ok after a refused batch")
        await store.close()
      },
    },
    {
      name: "hands out copies: mutating a returned or written array changes nothing stored",
      run: async () => {
        const store = await factory.create()
        const value = bytes(9, 9, 9)
        await store.batch([{ type: "put", key: "c", value }])
        value[0] = 0
        const read = await store.get("c")
        sameBytes(read, bytes(9, 9, 9), "c after mutating the written array")
        if (read) read[1] = 0
        sameBytes(await store.get("c"), bytes(9, 9, 9), "c after mutating the returned array")
        await store.close()
      },
    },
  ]
  const reopenStore = factory.reopen?.bind(factory)
  if (reopenStore) {
    cases.push({
      name: "keeps everything across close and reopen",
      run: async () => {
        const store = await factory.create()
        await store.batch([
          { type: "put", key: "d/1", value: bytes(1) },
          { type: "put", key: "d/2", value: bytes(2) },
        ])
        await store.batch([{ type: "delete", key: "d/1" }])
        await store.close()
        const again = await reopenStore()
        sameJson(
          (await again.list("d/")).map((r) => r.key),
          ["d/2"],
          "keys after reopen",
        )
        sameBytes(await again.get("d/2"), bytes(2), "d/2 after reopen")
        await again.close()
      },
    })
  }
  return cases
}
