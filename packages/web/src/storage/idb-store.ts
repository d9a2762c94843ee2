import { assertValidKey } from "@backchannel/core"
import type { KeyValueStore, ListOptions, StoredRecord, WriteOp } from "@backchannel/core"

const storeName = "kv"
/** Above every printable ASCII key (keys are 0x20–0x7e), so `[prefix, prefix + END)` is the prefix range. */
const END = "\x7f"

/** Wraps one IDBRequest in a promise. */
export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => {
      resolve(request.result)
    }
    request.onerror = () => {
      reject(request.error ?? new Error("IndexedDB request failed"))
    }
  })
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => {
      resolve()
    }
    tx.onabort = () => {
      reject(tx.error ?? new Error("IndexedDB transaction aborted"))
    }
    tx.onerror = () => {
      reject(tx.error ?? new Error("IndexedDB transaction failed"))
    }
  })
}

/** Opens (creating if needed) a database with the given object stores. */
export function openDatabase(
  factory: IDBFactory,
  name: string,
  stores: readonly string[],
): Promise<IDBDatabase> {
  const request = factory.open(name, 1)
  request.onupgradeneeded = () => {
    for (const store of stores) {
      if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store)
    }
  }
  return requestResult(request)
}

function copyOut(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0))
  if (value instanceof Uint8Array) return value.slice()
  throw new Error("IndexedDB returned a value that is not bytes")
}

/**
 * The KeyValueStore port over IndexedDB: one object store, string keys, values kept as ArrayBuffers.
 * IndexedDB orders string keys by UTF-16 code unit, which for printable ASCII is byte order, so a prefix
 * is a key range and paging is a bound on that range. A batch is one readwrite transaction: all or nothing.
 */
export class IndexedDbStore implements KeyValueStore {
  private constructor(
    private readonly db: IDBDatabase,
    private readonly keyRange: typeof IDBKeyRange,
  ) {}

  /** `factory` and `keyRange` default to the browser's; tests pass fake-indexeddb's. */
  static async open(
    name: string,
    factory: IDBFactory = indexedDB,
    keyRange: typeof IDBKeyRange = IDBKeyRange,
  ): Promise<IndexedDbStore> {
    return new IndexedDbStore(await openDatabase(factory, name, [storeName]), keyRange)
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertValidKey(key)
    const tx = this.db.transaction(storeName, "readonly")
    const value: unknown = await requestResult(tx.objectStore(storeName).get(key))
    return value === undefined ? undefined : copyOut(value)
  }

  async list(prefix: string, options: ListOptions = {}): Promise<StoredRecord[]> {
    const reverse = options.reverse === true
    let lower = prefix
    let upper = prefix + END
    let lowerOpen = false
    // The upper bound is always exclusive: prefix + END, or `after` when paging backwards.
    if (options.after !== undefined) {
      if (reverse) {
        if (options.after < upper) upper = options.after
      } else if (options.after >= lower) {
        lower = options.after
        lowerOpen = true
      }
    }
    if (lower >= upper) return []
    const range = this.keyRange.bound(lower, upper, lowerOpen, true)
    const limit = options.limit
    if (limit !== undefined && limit <= 0) return []
    const tx = this.db.transaction(storeName, "readonly")
    const store = tx.objectStore(storeName)
    if (!reverse) {
      const [found, values] = await Promise.all([
        requestResult(store.getAllKeys(range, limit)),
        requestResult(store.getAll(range, limit)),
      ])
      return found.map((key, i) => ({ key: key as string, value: copyOut(values[i]) }))
    }
    const out: StoredRecord[] = []
    await new Promise<void>((resolve, reject) => {
      const request = store.openCursor(range, "prev")
      request.onerror = () => {
        reject(request.error ?? new Error("IndexedDB cursor failed"))
      }
      request.onsuccess = () => {
        const cursor = request.result
        if (cursor === null) {
          resolve()
          return
        }
        out.push({ key: cursor.key as string, value: copyOut(cursor.value) })
        if (limit !== undefined && out.length >= limit) resolve()
        else cursor.continue()
      }
    })
    return out
  }

  async batch(ops: readonly WriteOp[]): Promise<void> {
    // Validate everything before the transaction starts: a bad key must leave the store untouched.
    for (const op of ops) assertValidKey(op.key)
    if (ops.length === 0) return
    const tx = this.db.transaction(storeName, "readwrite")
    const done = transactionDone(tx)
    const store = tx.objectStore(storeName)
    for (const op of ops) {
      if (op.type === "put") {
        const copy = op.value.slice().buffer
        store.put(copy, op.key)
      } else {
        store.delete(op.key)
      }
    }
    await done
  }

  async close(): Promise<void> {
    this.db.close()
  }
}
