import Database from "better-sqlite3"
import { assertValidKey } from "@backchannel/core"
import type { KeyValueStore, ListOptions, StoredRecord, WriteOp } from "@backchannel/core"

/** Keys are printable ASCII (0x20–0x7e), so prefix + 0x7f bounds a prefix range from above. */
const PREFIX_END = "\x7f"

/**
 * The CLI's KeyValueStore: one SQLite file (WAL), one table. Values arrive already sealed by core's
 * SealedStore. SQLite's BINARY collation orders TEXT keys byte-wise, matching the port's contract.
 */
export class SqliteStore implements KeyValueStore {
  private readonly db: Database.Database
  private readonly getStmt: Database.Statement<[string], { value: Buffer }>
  private readonly putStmt: Database.Statement<[string, Buffer]>
  private readonly deleteStmt: Database.Statement<[string]>
  private readonly applyBatch: (ops: readonly WriteOp[]) => void

  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma("journal_mode = WAL")
    this.db.pragma("synchronous = FULL")
    this.db.pragma("busy_timeout = 5000")
    this.db.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")
    this.getStmt = this.db.prepare("SELECT value FROM kv WHERE key = ?")
    this.putStmt = this.db.prepare(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    this.deleteStmt = this.db.prepare("DELETE FROM kv WHERE key = ?")
    this.applyBatch = this.db.transaction((ops: readonly WriteOp[]) => {
      for (const op of ops) {
        if (op.type === "put") this.putStmt.run(op.key, Buffer.from(op.value))
        else this.deleteStmt.run(op.key)
      }
    })
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertValidKey(key)
    const row = this.getStmt.get(key)
    return row === undefined ? undefined : new Uint8Array(row.value)
  }

  async list(prefix: string, options: ListOptions = {}): Promise<StoredRecord[]> {
    const reverse = options.reverse === true
    const conditions = ["key >= ?", "key < ?"]
    const params: (string | number)[] = [prefix, prefix + PREFIX_END]
    if (options.after !== undefined) {
      conditions.push(reverse ? "key < ?" : "key > ?")
      params.push(options.after)
    }
    let sql = `SELECT key, value FROM kv WHERE ${conditions.join(" AND ")} ORDER BY key ${reverse ? "DESC" : "ASC"}`
    if (options.limit !== undefined) {
      sql += " LIMIT ?"
      params.push(options.limit)
    }
    const rows = this.db.prepare<(string | number)[], { key: string; value: Buffer }>(sql).all(...params)
    return rows.map((row) => ({ key: row.key, value: new Uint8Array(row.value) }))
  }

  async batch(ops: readonly WriteOp[]): Promise<void> {
    for (const op of ops) assertValidKey(op.key)
    this.applyBatch(ops)
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }
}
