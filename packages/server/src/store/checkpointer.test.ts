import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { afterAll, describe, expect, it } from "vitest"
import { Checkpointer } from "./checkpointer.js"
import { SqliteStore } from "./sqlite-store.js"

const root = mkdtempSync(join(tmpdir(), "bc-checkpointer-"))
let counter = 0
const freshPath = (name: string) => join(root, `${name}-${++counter}.db`)

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0)
const MiB = 1024 * 1024
/** 64 KiB of text. */
const blob = (i: number) => `${i}:`.padEnd(64 * 1024, String.fromCharCode(97 + (i % 26)))

/** A plain WAL connection that never checkpoints by itself, as the store's own connection. */
function walConnection(path: string) {
  const db = new Database(path)
  db.pragma("page_size = 4096")
  db.pragma("journal_mode = WAL")
  db.pragma("wal_autocheckpoint = 0")
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)")
  return {
    db,
    /** Writes about `pages` WAL frames in one transaction. */
    write(pages: number) {
      db.transaction(() => {
        for (let i = 0; i < pages; i++) insert.run(Buffer.alloc(3000, i))
      })()
    },
  }
}

describe("SqliteStore checkpoints on a worker thread", () => {
  it("leaves the WAL to the worker: the event loop's connection copies nothing into the database file", async () => {
    const path = freshPath("store")
    // After the first checkpoint, the next one may only start a minute later.
    const store = new SqliteStore(path, { checkpointer: { minIntervalMs: 60_000 } })
    await store.setSetting("first", "x")
    await store.checkpointsIdle()
    expect(store.checkpointStats).toMatchObject({ checkpoints: 1, failed: false })
    const before = size(path)
    // 25 MiB in one transaction: far past SQLite's automatic checkpoint (1,000 pages, 16 MiB here), which
    // the store's connection would run at this COMMIT if it still checkpointed by itself.
    await Promise.all(Array.from({ length: 400 }, (_, i) => store.setSetting(`k${i}`, blob(i))))
    expect(size(`${path}-wal`)).toBeGreaterThan(25 * MiB)
    expect(size(path) - before).toBeLessThan(MiB)
    expect(store.checkpointStats?.checkpoints).toBe(1)
    // Closing does not wait for the delayed checkpoint; the last connection copies everything and
    // deletes the WAL, which shows the worker's connection was closed first.
    const closing = Date.now()
    await store.close()
    expect(Date.now() - closing).toBeLessThan(30_000)
    expect(existsSync(`${path}-wal`)).toBe(false)
    expect(size(path)).toBeGreaterThan(25 * MiB)
    const reopened = new SqliteStore(path)
    expect(await reopened.getSetting("k399")).toBe(blob(399))
    await reopened.close()
  })

  it("copies committed pages into the database file while the store stays open", async () => {
    const path = freshPath("store")
    const store = new SqliteStore(path, { checkpointer: { minIntervalMs: 0 } })
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.setSetting(`r${round}-${i}`, blob(i))))
    }
    await store.checkpointsIdle()
    const stats = store.checkpointStats
    expect(stats?.checkpoints).toBeGreaterThanOrEqual(1)
    expect(stats?.failed).toBe(false)
    // Everything in the WAL at the last checkpoint was copied (no other connection was reading).
    expect(stats?.copiedFrames).toBe(stats?.walFrames)
    expect(size(path)).toBeGreaterThan(10 * MiB)
    // A second process sees the same data through the database file.
    const other = new Database(path, { readonly: true })
    expect((other.prepare("SELECT COUNT(*) AS n FROM settings").get() as { n: number }).n).toBe(160)
    other.close()
    await store.close()
  })

  it("runs SQLite's own checkpoints when asked to (the admin CLI's short-lived store)", async () => {
    const path = freshPath("inline")
    const store = new SqliteStore(path, { checkpoints: "inline" })
    expect(store.checkpointStats).toBeUndefined()
    await Promise.all(Array.from({ length: 400 }, (_, i) => store.setSetting(`k${i}`, blob(i))))
    // The COMMIT went past 1,000 pages, so SQLite copied the WAL into the file there and then.
    expect(size(path)).toBeGreaterThan(25 * MiB)
    await store.close()
  })
})

describe("Checkpointer", () => {
  it("restarts the WAL once it reaches restartFrames, so the next writer starts it from the beginning", async () => {
    const path = freshPath("plain")
    const main = walConnection(path)
    const cp = new Checkpointer(path, { restartFrames: 50, minIntervalMs: 0, onFailure: () => {} })
    main.write(20)
    cp.nudge()
    await cp.idle()
    expect(cp.stats).toMatchObject({ checkpoints: 1, restarts: 0, busy: 0 })
    expect(cp.stats.walFrames).toBeGreaterThanOrEqual(20)
    main.write(100)
    cp.nudge()
    await cp.idle()
    expect(cp.stats).toMatchObject({ checkpoints: 2, restarts: 1, busy: 0 })
    const walBytes = size(`${path}-wal`)
    // The next transaction writes from the WAL's first frame: the file does not grow.
    main.write(20)
    expect(size(`${path}-wal`)).toBe(walBytes)
    cp.nudge()
    await cp.idle()
    expect(cp.stats.walFrames).toBeLessThan(50)
    await cp.close()
    main.db.close()
  })

  it("counts a checkpoint held up by another connection's read as busy and goes on", async () => {
    const path = freshPath("plain")
    const main = walConnection(path)
    main.write(10)
    // A reader in another connection holds a snapshot of the WAL as it is now.
    const reader = new Database(path)
    reader.exec("BEGIN")
    reader.prepare("SELECT COUNT(*) FROM t").get()
    main.write(100)
    const failures: Error[] = []
    const cp = new Checkpointer(path, {
      restartFrames: 50,
      minIntervalMs: 0,
      busyTimeoutMs: 20,
      onFailure: (e) => failures.push(e),
    })
    cp.nudge()
    await cp.idle()
    expect(cp.stats).toMatchObject({ checkpoints: 1, restarts: 0, busy: 1, failed: false })
    // The frames after the reader's snapshot stay in the WAL until the reader is done.
    expect(cp.stats.copiedFrames).toBeLessThan(cp.stats.walFrames)
    reader.exec("COMMIT")
    reader.close()
    cp.nudge()
    await cp.idle()
    expect(cp.stats).toMatchObject({ checkpoints: 2, restarts: 1, busy: 1 })
    expect(cp.stats.copiedFrames).toBe(cp.stats.walFrames)
    expect(failures).toEqual([])
    await cp.close()
    main.db.close()
  })

  it("waits minIntervalMs between checkpoints and runs none while nothing is written", async () => {
    const path = freshPath("plain")
    const main = walConnection(path)
    const cp = new Checkpointer(path, { minIntervalMs: 300, onFailure: () => {} })
    main.write(5)
    cp.nudge()
    await cp.idle()
    const first = Date.now()
    // Many nudges while one is pending: one more checkpoint, after the interval.
    for (let i = 0; i < 50; i++) {
      main.write(1)
      cp.nudge()
    }
    await cp.idle()
    expect(Date.now() - first).toBeGreaterThanOrEqual(250)
    expect(cp.stats.checkpoints).toBe(2)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(cp.stats.checkpoints).toBe(2)
    await cp.close()
    main.db.close()
  })

  it("reports a worker that cannot open the database once, and runs nothing after", async () => {
    const failures: Error[] = []
    const cp = new Checkpointer(join(root, "missing", "none.db"), {
      minIntervalMs: 0,
      onFailure: (e) => failures.push(e),
    })
    cp.nudge()
    await cp.idle()
    expect(failures).toHaveLength(1)
    expect(cp.stats.failed).toBe(true)
    cp.nudge()
    await cp.idle()
    expect(failures).toHaveLength(1)
    expect(cp.stats.checkpoints).toBe(0)
    await cp.close()
  })

  it("finishes closing when the worker fails during close", async () => {
    const failures: Error[] = []
    const cp = new Checkpointer(join(root, "missing", "closing.db"), {
      minIntervalMs: 0,
      onFailure: (e) => failures.push(e),
    })
    cp.nudge() // the worker starts and will fail to open the file, after close() has begun
    await cp.close()
    expect(cp.stats).toMatchObject({ failed: true, checkpoints: 0 })
    expect(failures).toEqual([])
  })

  it("closes without ever starting a worker when nothing was written", async () => {
    const cp = new Checkpointer(join(root, "never.db"), { onFailure: () => {} })
    await cp.close()
    cp.nudge()
    await cp.idle()
    expect(cp.stats.checkpoints).toBe(0)
  })
})
