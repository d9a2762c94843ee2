import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ProtocolError } from "@backchannel/protocol"
import Database from "better-sqlite3"
import { afterAll, describe, expect, it } from "vitest"
import { messageOf, Seeder, storeContract } from "../testing/store-contract.js"
import { SqliteStore } from "./sqlite-store.js"

const root = mkdtempSync(join(tmpdir(), "bc-sqlite-store-"))
let counter = 0
let last = ""

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

storeContract("sqlite", {
  create: () => {
    last = join(root, `store-${++counter}.db`)
    return Promise.resolve(new SqliteStore(last))
  },
  reopen: () => Promise.resolve(new SqliteStore(last)),
})

const messagesFor = async (store: SqliteStore, device: string) =>
  (await store.fetchQueue(device, 0, 100)).items.filter((i) => i.kind === "message")

/** Alice and Bob, enrolled, in a group of their own. */
async function pair(store: SqliteStore) {
  const seed = new Seeder(store)
  const alice = await seed.device("alice")
  const bob = await seed.device("bob")
  return { alice, bob, group: await seed.group(alice, [bob]) }
}

describe("SqliteStore duplicate check (held hashes in memory)", () => {
  it("keeps the check exact when a batch is rolled back and replayed", async () => {
    const store = new SqliteStore(join(root, `dedupe-${++counter}.db`))
    const { alice, bob, group } = await pair(store)
    const m = messageOf(group, alice, 1n)
    const replaysBefore = store.writeStats.replays
    // One batch: m is stored, then a stale send fails, so the optimistic pass is rolled back (m's body
    // with it) and replayed with savepoints.
    const [sent, stale] = await Promise.allSettled([
      store.sendMessage(m),
      store.sendMessage(messageOf(group, alice, 0n)),
    ])
    expect(store.writeStats.replays).toBe(replaysBefore + 1)
    expect(sent).toMatchObject({ status: "fulfilled", value: { duplicate: false } })
    expect(stale.status === "rejected" && (stale.reason as ProtocolError).code).toBe("STALE_EPOCH")
    expect(await store.sendMessage(m)).toMatchObject({ duplicate: true })
    expect(await messagesFor(store, bob)).toHaveLength(1)
    // And a batch whose acknowledgement deletes m's body, next to a failing operation.
    await Promise.allSettled([store.ack(bob, 100), store.sendMessage(messageOf(group, alice, 5n))])
    expect(store.heldHashCount).toBe(0)
    expect((await store.sendMessage(m)).duplicate).toBe(false)
    expect(await messagesFor(store, bob)).toHaveLength(1)
    await store.close()
  })

  it("does not take a body deleted by another process (the admin CLI) for a duplicate", async () => {
    const file = join(root, `dedupe-${++counter}.db`)
    const server = new SqliteStore(file)
    const { alice, bob, group } = await pair(server)
    const m = messageOf(group, alice, 1n)
    await server.sendMessage(m)
    const other = new SqliteStore(file)
    expect(await other.sendMessage(m)).toMatchObject({ duplicate: true }) // it read the hashes at start
    await other.ack(bob, 100) // deletes m's body behind the server's back
    await other.close()
    const again = await server.sendMessage(m)
    expect(again).toMatchObject({ duplicate: false, delivered: [{ deviceId: bob }] })
    expect(await messagesFor(server, bob)).toHaveLength(1)
    expect(await server.sendMessage(m)).toMatchObject({ duplicate: true })
    expect(server.heldHashCount).toBe(1) // the stale entry was dropped, the new body listed
    await server.close()
  })

  it("forgets the hashes of expired messages", async () => {
    const store = new SqliteStore(join(root, `dedupe-${++counter}.db`))
    const { alice, bob, group } = await pair(store)
    const m = messageOf(group, alice, 1n, { at: 1000, expiresAt: 5000 })
    await store.sendMessage(m)
    expect(store.heldHashCount).toBe(1)
    expect(await store.purgeExpiredMessages(5000)).toBe(1)
    expect(store.heldHashCount).toBe(0)
    expect((await store.sendMessage(m)).duplicate).toBe(false)
    expect(await messagesFor(store, bob)).toHaveLength(1)
    await store.close()
  })
})

describe("SqliteStore file layout", () => {
  const pragmas = (file: string) => {
    const db = new Database(file, { readonly: true })
    try {
      return {
        pageSize: db.pragma("page_size", { simple: true }) as number,
        journal: db.pragma("journal_mode", { simple: true }) as string,
      }
    } finally {
      db.close()
    }
  }

  it("makes a new file with 16 KiB pages, in WAL mode, and keeps what it stores across a reopen", async () => {
    const file = join(root, `layout-${++counter}.db`)
    const store = new SqliteStore(file)
    const { alice, bob, group } = await pair(store)
    await store.sendMessage(messageOf(group, alice, 1n))
    await store.close()
    expect(pragmas(file)).toEqual({ pageSize: 16_384, journal: "wal" })
    const reopened = new SqliteStore(file)
    expect(await messagesFor(reopened, bob)).toHaveLength(1)
    await reopened.close()
  })

  it("keeps the 4 KiB pages of a file made before, and works on it", async () => {
    const file = join(root, `layout-${++counter}.db`)
    const old = new Database(file)
    old.pragma("journal_mode = WAL") // SQLite's default 4 KiB pages are fixed from here on
    old.exec("CREATE TABLE made_before (x INTEGER)")
    old.close()
    const store = new SqliteStore(file)
    const { alice, bob, group } = await pair(store)
    await store.sendMessage(messageOf(group, alice, 1n))
    expect(await messagesFor(store, bob)).toHaveLength(1)
    await store.close()
    expect(pragmas(file)).toEqual({ pageSize: 4096, journal: "wal" })
  })
})
