import { assertValidKey } from "../ports/store.js"
import type { KeyValueStore, ListOptions, StoredRecord, WriteOp } from "../ports/store.js"

/** An in-memory KeyValueStore for tests and for ephemeral sessions. Values are copied in and out. */
export class MemoryStore implements KeyValueStore {
  private readonly data = new Map<string, Uint8Array>()
  private closed = false

  // Methods are async so that every failure (closed store, bad key) is a rejected promise, as the
  // contract requires of every implementation.
  async get(key: string): Promise<Uint8Array | undefined> {
    this.checkOpen()
    assertValidKey(key)
    const value = this.data.get(key)
    return value === undefined ? undefined : value.slice()
  }

  async list(prefix: string, options: ListOptions = {}): Promise<StoredRecord[]> {
    this.checkOpen()
    const keys = [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys)
    if (options.reverse === true) keys.reverse()
    const after = options.after
    const selected =
      after === undefined
        ? keys
        : keys.filter((k) =>
            options.reverse === true ? compareKeys(k, after) < 0 : compareKeys(k, after) > 0,
          )
    const limited = options.limit === undefined ? selected : selected.slice(0, options.limit)
    return limited.map((key) => ({ key, value: (this.data.get(key) ?? new Uint8Array()).slice() }))
  }

  async batch(ops: readonly WriteOp[]): Promise<void> {
    this.checkOpen()
    for (const op of ops) assertValidKey(op.key)
    for (const op of ops) {
      if (op.type === "put") this.data.set(op.key, op.value.slice())
      else this.data.delete(op.key)
    }
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private checkOpen(): void {
    if (this.closed) throw new Error("store is closed")
  }
}

/** Byte-wise order of printable-ASCII keys (the order SQLite and IndexedDB use for such keys). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
