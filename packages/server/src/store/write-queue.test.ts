import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import type { ProtocolError } from "@backchannel/protocol"
import { afterAll, describe, expect, it } from "vitest"
import { commitOf, messageOf, Seeder } from "../testing/store-contract.js"
import { SqliteStore } from "./sqlite-store.js"
import { WriteQueue } from "./write-queue.js"

const root = mkdtempSync(join(tmpdir(), "bc-write-queue-"))
let n = 0
const path = () => join(root, `db-${++n}.sqlite`)

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe("WriteQueue (group commit)", () => {
  it("runs the operations of one tick in one transaction and settles each with its own outcome", async () => {
    const db = new BetterSqlite3(path())
    db.exec("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)")
    const queue = new WriteQueue(db)
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)")
    const results = await Promise.allSettled([
      queue.run(() => insert.run(1).changes),
      queue.run(() => {
        insert.run(2)
        throw new Error("fails after writing")
      }),
      queue.run(() => insert.run(1).changes), // UNIQUE violation
      queue.run(() => insert.run(3).changes),
    ])
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"])
    // The failed operations' writes were rolled back; the others were committed together.
    expect(db.prepare("SELECT v FROM t ORDER BY v").all()).toEqual([{ v: 1 }, { v: 3 }])
    expect(queue.stats).toMatchObject({ batches: 1, operations: 4, largestBatch: 4 })
    await queue.run(() => insert.run(4))
    expect(queue.stats.batches).toBe(2)
    db.close()
  })

  it("settles a caller only after COMMIT, when another connection can read the data", async () => {
    const file = path()
    const db = new BetterSqlite3(file)
    db.pragma("journal_mode = WAL")
    db.exec("CREATE TABLE t (v INTEGER)")
    const reader = new BetterSqlite3(file, { readonly: true })
    const count = () => (reader.prepare("SELECT COUNT(*) AS c FROM t").get() as { c: number }).c
    const queue = new WriteQueue(db)
    const pending = queue.run(() => db.prepare("INSERT INTO t (v) VALUES (1)").run())
    expect(count()).toBe(0) // nothing runs before the flush
    await pending
    expect(count()).toBe(1)
    reader.close()
    db.close()
  })

  it("batches concurrent sends through SqliteStore and fails only the stale one", async () => {
    const store = new SqliteStore(path())
    const seed = new Seeder(store)
    const alice = await seed.device("alice")
    const bob = await seed.device("bob")
    const group = await seed.group(alice, [bob])
    const before = store.writeStats.batches
    const sends = Array.from({ length: 50 }, () => store.sendMessage(messageOf(group, alice, 1n)))
    const stale = store.sendMessage(messageOf(group, alice, 0n))
    const conflicting = store.commit(commitOf(group, bob, 0n))
    const results = await Promise.allSettled([...sends, stale, conflicting])
    expect(store.writeStats.batches - before).toBe(1)
    expect(results.slice(0, 50).every((r) => r.status === "fulfilled")).toBe(true)
    const [staleResult, conflictResult] = results.slice(50)
    expect(staleResult?.status === "rejected" && (staleResult.reason as ProtocolError).code).toBe(
      "STALE_EPOCH",
    )
    expect(conflictResult?.status === "rejected" && (conflictResult.reason as ProtocolError).code).toBe(
      "EPOCH_CONFLICT",
    )
    expect((await store.fetchQueue(bob, 1, 100)).items).toHaveLength(50)
    await store.close()
  })

  it("drains queued writes before the store closes", async () => {
    const file = path()
    const store = new SqliteStore(file)
    const seed = new Seeder(store)
    const alice = await seed.device("alice")
    const bob = await seed.device("bob")
    const group = await seed.group(alice, [bob])
    const sends = Array.from({ length: 10 }, () => store.sendMessage(messageOf(group, alice, 1n)))
    await store.close()
    await Promise.all(sends)
    const reopened = new SqliteStore(file)
    expect((await reopened.fetchQueue(bob, 1, 100)).items).toHaveLength(10)
    await reopened.close()
  })
})
