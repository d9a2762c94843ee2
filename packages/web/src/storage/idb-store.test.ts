import { IDBFactory, IDBKeyRange } from "fake-indexeddb"
import { storeContract } from "@backchannel/core/testing"
import { describe, expect, it } from "vitest"
import { IndexedDbStore } from "./idb-store.js"

// A fresh in-memory IndexedDB per store; `reopen` opens the same database again after close().
let factory = new IDBFactory()
let counter = 0
let name = "contract-0"

storeContract("IndexedDB (fake-indexeddb)", {
  create: () => {
    factory = new IDBFactory()
    name = `contract-${++counter}`
    return IndexedDbStore.open(name, factory, IDBKeyRange)
  },
  reopen: () => IndexedDbStore.open(name, factory, IDBKeyRange),
})

describe("IndexedDbStore", () => {
  it("keeps two databases of one factory apart", async () => {
    const f = new IDBFactory()
    const a = await IndexedDbStore.open("a", f, IDBKeyRange)
    const b = await IndexedDbStore.open("b", f, IDBKeyRange)
    await a.batch([{ type: "put", key: "k", value: Uint8Array.of(1) }])
    expect(await b.get("k")).toBeUndefined()
    expect(await a.get("k")).toEqual(Uint8Array.of(1))
    await a.close()
    await b.close()
  })

  it("returns nothing for a reverse page whose `after` is at the start of the prefix", async () => {
    const store = await IndexedDbStore.open("edge", new IDBFactory(), IDBKeyRange)
    await store.batch([
      { type: "put", key: "p/a", value: Uint8Array.of(1) },
      { type: "put", key: "p/b", value: Uint8Array.of(2) },
    ])
    expect(await store.list("p/", { reverse: true, after: "p/a" })).toEqual([])
    expect((await store.list("p/", { after: "p/" })).map((r) => r.key)).toEqual(["p/a", "p/b"])
    expect(await store.list("p/", { after: "p/b" })).toEqual([])
    await store.close()
  })
})
