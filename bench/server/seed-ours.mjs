// Seeds a fresh Backchannel data directory with bench devices and groups straight into SQLite (setup,
// not measured): enrolling tens of thousands of devices through invites would dominate the run.
// Rows are exactly what enrolment and group creation/commits write: an entry and a device per index
// (its real Ed25519 public key), groups at epoch 0 and their members.
import { randomBytes } from "node:crypto"
import { mkdirSync } from "node:fs"
import Database from "better-sqlite3"
import { okpGenerate } from "../../packages/mls-crypto/dist/node/okp-jwk.js"
import { SqliteStore, databasePath } from "../../packages/server/dist/index.js"
import { fanoutGroups, offlineGroups, pairs } from "./layout.mjs"

export async function seedOurs(dataDir, deviceCount) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const path = databasePath(dataDir)
  const store = new SqliteStore(path) // runs the migrations
  await store.close()
  const db = new Database(path)
  db.pragma("journal_mode = WAL")
  const now = Date.now()
  const devices = []
  const insertEntry = db.prepare(
    "INSERT INTO entries (handle, display_name, kind, search_text, created_at) VALUES (?, ?, 'member', ?, ?)",
  )
  const insertDevice = db.prepare(
    "INSERT INTO devices (id, device_id, handle, name, signature_key, tracemark_key, created_at) VALUES (?, ?, ?, 'bench', ?, ?, ?)",
  )
  const insertGroup = db.prepare("INSERT INTO groups (id, group_id, epoch, created_at) VALUES (?, ?, 0, ?)")
  const insertMember = db.prepare("INSERT INTO members (group_ref, device_ref, since) VALUES (?, ?, ?)")
  const groups = { pair: [], fan10: [], fan100: [], offline: [] }
  db.transaction(() => {
    for (let i = 0; i < deviceCount; i++) {
      // Not generateKeyPairSync: on Node 20 exporting its keys deadlocks now and then (see okpGenerate);
      // that was the seeding hang of earlier runs.
      const { d, x } = okpGenerate("Ed25519")
      const deviceId = randomBytes(16).toString("base64url")
      const handle = `bench${i}`
      insertEntry.run(handle, handle, handle, now)
      insertDevice.run(i + 1, deviceId, handle, Buffer.from(x), randomBytes(32), now)
      devices.push({ deviceId, key: Buffer.from(d).toString("base64url") })
    }
    let ref = 0
    const add = (kind, members) => {
      ref++
      const gid = randomBytes(32)
      insertGroup.run(ref, gid.toString("base64url"), now)
      for (const m of members) insertMember.run(ref, m + 1, now)
      groups[kind].push({ groupId: gid.toString("base64url"), members })
    }
    for (const p of pairs()) add("pair", p)
    for (const g of fanoutGroups(10)) add("fan10", g)
    for (const g of fanoutGroups(100)) add("fan100", g)
    for (const g of offlineGroups()) add("offline", g)
  })()
  db.pragma("wal_checkpoint(TRUNCATE)")
  db.close()
  return { devices, groups }
}
