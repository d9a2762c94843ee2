import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createHash } from "node:crypto"
import BetterSqlite3 from "better-sqlite3"
import { afterAll, describe, expect, it } from "vitest"
import { messageOf, Seeder } from "../testing/store-contract.js"
import { migrate, schemaVersion } from "./sqlite-schema.js"
import { SqliteStore } from "./sqlite-store.js"

const root = mkdtempSync(join(tmpdir(), "bc-schema-"))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe("SQLite schema migrations", () => {
  it("moves queue counters out of devices (3) without reusing a seq, and counts new devices", async () => {
    const file = join(root, "v2.sqlite")
    const old = new BetterSqlite3(file)
    migrate(old, 2)
    // A version-2 file as a running server left it: bob has had 7 items queued, 2 still unacknowledged.
    old.exec(`
      INSERT INTO entries (handle, display_name, kind, search_text, created_at) VALUES
        ('alice', 'Alice', 'member', 'alice', 1), ('bob', 'Bob', 'member', 'bob', 1);
      INSERT INTO devices (id, device_id, handle, name, signature_key, tracemark_key, created_at, last_seq)
        VALUES (1, 'dev-alice', 'alice', 'laptop', x'01', x'11', 1, 0),
               (2, 'dev-bob', 'bob', 'laptop', x'02', x'12', 1, 7);
      INSERT INTO groups (id, group_id, epoch, created_at) VALUES (1, 'group-1', 1, 1);
      INSERT INTO members (group_ref, device_ref, since) VALUES (1, 1, 1), (1, 2, 1);
      INSERT INTO bodies (id, group_ref, hash, data, refs) VALUES (1, 1, x'aa', x'00', 2);
      INSERT INTO queue (device_ref, seq, kind, group_ref, sender_ref, body_ref, event, at)
        VALUES (2, 6, 1, 1, 1, 1, NULL, 1), (2, 7, 1, 1, 1, 1, NULL, 1);
    `)
    old.close()

    const store = new SqliteStore(file)
    const sent = await store.sendMessage(messageOf("group-1", "dev-alice", 1n))
    expect(sent.delivered).toEqual([{ deviceId: "dev-bob", seq: 8 }])
    expect((await store.fetchQueue("dev-bob", 0, 10)).items.map((i) => i.seq)).toEqual([6, 7, 8])

    // A device enrolled after the migration gets its counter from the trigger.
    const seed = new Seeder(store)
    const carol = await seed.device("carol")
    const group = await seed.group("dev-alice", [carol])
    const toCarol = await store.sendMessage(messageOf(group, "dev-alice", 1n))
    expect(toCarol.delivered).toEqual([{ deviceId: carol, seq: 2 }]) // 1 was the Welcome
    await store.close()

    const check = new BetterSqlite3(file, { readonly: true })
    const columns = (check.prepare("PRAGMA table_info(devices)").all() as { name: string }[]).map(
      (c) => c.name,
    )
    expect(columns).not.toContain("last_seq")
    expect(check.prepare("SELECT MAX(version) AS v FROM migrations").get()).toEqual({ v: schemaVersion })
    check.close()
  })

  it("moves the duplicate check off the random hash index (4); queued messages stay duplicates", async () => {
    const file = join(root, "v3.sqlite")
    const old = new BetterSqlite3(file)
    migrate(old, 3)
    const queued = new TextEncoder().encode("queued before the upgrade")
    old.exec(`
      INSERT INTO entries (handle, display_name, kind, search_text, created_at) VALUES
        ('alice', 'Alice', 'member', 'alice', 1), ('bob', 'Bob', 'member', 'bob', 1);
      INSERT INTO devices (id, device_id, handle, name, signature_key, tracemark_key, created_at)
        VALUES (1, 'dev-alice', 'alice', 'laptop', x'01', x'11', 1),
               (2, 'dev-bob', 'bob', 'laptop', x'02', x'12', 1);
      UPDATE queue_counters SET last_seq = 1 WHERE device_ref = 2;
      INSERT INTO groups (id, group_id, epoch, created_at) VALUES (1, 'group-1', 1, 1);
      INSERT INTO members (group_ref, device_ref, since) VALUES (1, 1, 1), (1, 2, 1);
    `)
    old
      .prepare("INSERT INTO bodies (id, group_ref, hash, data, refs) VALUES (1, 1, ?, ?, 1)")
      .run(createHash("sha256").update(queued).digest(), queued)
    old.exec(
      "INSERT INTO queue (device_ref, seq, kind, group_ref, sender_ref, body_ref, at) VALUES (2, 1, 1, 1, 1, 1, 1)",
    )
    old.close()

    const store = new SqliteStore(file)
    expect(store.heldHashCount).toBe(1)
    const retry = { ...messageOf("group-1", "dev-alice", 1n), message: queued }
    retry.messageHash = createHash("sha256").update(queued).digest()
    expect(await store.sendMessage(retry)).toMatchObject({ duplicate: true, delivered: [] })
    expect((await store.sendMessage(messageOf("group-1", "dev-alice", 1n))).delivered).toEqual([
      { deviceId: "dev-bob", seq: 2 },
    ])
    await store.close()

    const check = new BetterSqlite3(file, { readonly: true })
    const indexes = (check.prepare("PRAGMA index_list(bodies)").all() as { name: string }[]).map(
      (i) => i.name,
    )
    expect(indexes).toContain("bodies_hashed")
    expect(indexes).not.toContain("bodies_message_hash")
    check.close()
  })
})
