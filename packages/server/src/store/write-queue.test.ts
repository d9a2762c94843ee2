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

  it("runs a clean batch once, without savepoints, and replays a batch with a failure", async () => {
    const db = new BetterSqlite3(path())
    db.exec("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)")
    const queue = new WriteQueue(db)
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)")
    const calls: number[] = []
    const op = (v: number) => () => {
      calls.push(v)
      return Number(insert.run(v).lastInsertRowid)
    }
    expect(await Promise.all([queue.run(op(1)), queue.run(op(2))])).toEqual([1, 2])
    expect(calls).toEqual([1, 2])
    expect(queue.stats.replays).toBe(0)

    // 3 succeeds, 1 is a UNIQUE violation, 4 never runs in the optimistic pass; the replay runs all
    // three with savepoints: 3's row id is the one that was committed, not the rolled-back one.
    calls.length = 0
    const results = await Promise.allSettled([queue.run(op(3)), queue.run(op(1)), queue.run(op(4))])
    expect(calls).toEqual([3, 1, 3, 1, 4])
    expect(queue.stats.replays).toBe(1)
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"])
    const rows = db.prepare("SELECT rowid AS id, v FROM t ORDER BY v").all() as { id: number; v: number }[]
    expect(rows.map((r) => r.v)).toEqual([1, 2, 3, 4])
    expect(results[0]).toEqual({ status: "fulfilled", value: rows.find((r) => r.v === 3)?.id })
    expect(db.inTransaction).toBe(false)
    db.close()
  })

  it("tells its hooks what happened to each transaction, in SQLite's order, and afterCommit only after a COMMIT", async () => {
    const db = new BetterSqlite3(path())
    db.exec("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)")
    const events: string[] = []
    const queue = new WriteQueue(db, {
      hooks: {
        committed: () => events.push("commit"),
        rolledBack: () => events.push("rollback"),
        savepoint: () => events.push("savepoint"),
        rolledBackTo: () => events.push("rollback-to"),
        released: () => events.push("release"),
      },
      afterCommit: () => events.push("after-commit"),
    })
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)")
    await Promise.all([queue.run(() => insert.run(1)), queue.run(() => insert.run(2))])
    expect(events).toEqual(["commit", "after-commit"])

    events.length = 0
    await Promise.allSettled([queue.run(() => insert.run(3)), queue.run(() => insert.run(1))])
    // Optimistic pass fails on the second operation, then the replay with a savepoint per operation.
    expect(events).toEqual([
      "rollback",
      "savepoint",
      "release",
      "savepoint",
      "rollback-to",
      "release",
      "commit",
      "after-commit",
    ])

    // COMMIT itself fails (a deferred constraint): the whole batch is undone.
    db.exec(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
    `)
    db.pragma("foreign_keys = ON")
    events.length = 0
    const orphan = db.prepare("INSERT INTO child (p) VALUES (42)")
    await expect(queue.run(() => orphan.run())).rejects.toThrow(/FOREIGN KEY/)
    expect(events).toEqual(["rollback"])
    expect(db.inTransaction).toBe(false)
    expect(db.prepare("SELECT COUNT(*) AS n FROM child").get()).toEqual({ n: 0 })
    db.close()
  })

  it("with a sync, settles callers only after a sync that started after their COMMIT, and stops after a failed one", async () => {
    const db = new BetterSqlite3(path())
    db.exec("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)")
    const syncs: { done: () => void; fail: (error: Error) => void }[] = []
    const queue = new WriteQueue(db, {
      sync: () =>
        new Promise<void>((resolve, reject) => {
          syncs.push({ done: resolve, fail: reject })
        }),
    })
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)")
    const settled: string[] = []
    const track = (name: string, p: Promise<unknown>) =>
      p.then(
        () => settled.push(`${name} ok`),
        (e: unknown) => settled.push(`${name} ${(e as Error).message}`),
      )
    const tick = () => new Promise((r) => setImmediate(r))

    const first = track(
      "a",
      queue.run(() => insert.run(1)),
    )
    await tick()
    expect(syncs).toHaveLength(1) // committed, sync started
    expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 1 })
    const second = track(
      "b",
      queue.run(() => insert.run(2)),
    )
    const dup = track(
      "dup",
      queue.run(() => insert.run(1)),
    )
    await tick()
    expect(syncs).toHaveLength(1) // b committed while the first sync is in flight: it waits
    expect(settled).toEqual([])
    syncs[0]?.done()
    await first
    expect(settled).toEqual(["a ok"]) // b is not covered by the sync that started before it
    await tick()
    expect(syncs).toHaveLength(2)
    syncs[1]?.fail(new Error("EIO"))
    await Promise.all([second, dup])
    // The sync failed: b is not known to be durable; dup keeps its own error.
    expect(settled.slice(1).sort()).toEqual(["b EIO", "dup UNIQUE constraint failed: t.v"])
    await queue.drain()
    expect(queue.stats.syncs).toBe(2)
    // A later fsync could report success over pages the kernel already dropped: the queue stays failed.
    await expect(queue.run(() => insert.run(3))).rejects.toThrow("EIO")
    expect(syncs).toHaveLength(2)
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
    // Durable by default: the WAL is synced off the event loop after each commit.
    expect(store.writeStats.syncs).toBeGreaterThan(0)
    await store.close()
    const fast = new SqliteStore(path(), { synchronous: "NORMAL" })
    await new Seeder(fast).device("carol")
    expect(fast.writeStats).toMatchObject({ syncs: 0 })
    expect(fast.writeStats.batches).toBeGreaterThan(0)
    await fast.close()
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
