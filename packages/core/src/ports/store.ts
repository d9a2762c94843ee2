/**
 * The storage port: an ordered key-value store of opaque bytes. Keys are printable ASCII (0x20–0x7e) and
 * order byte-wise, so `list(prefix)` returns records in key order. Implementations: memory (tests),
 * SQLite (CLI), IndexedDB (web). Every one of them passes the contract suite in ../testing/.
 *
 * Values written through the client are sealed (encrypted and bound to their key) by SealedStore before
 * they reach an implementation, so an implementation only ever sees ciphertext.
 */
export interface KeyValueStore {
  get(key: string): Promise<Uint8Array | undefined>
  /** Records whose key starts with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): Promise<StoredRecord[]>
  /** Applies every operation or none. */
  batch(ops: readonly WriteOp[]): Promise<void>
  close(): Promise<void>
}

export interface ListOptions {
  /** Only keys strictly after this one (forward) or strictly before it (reverse). */
  after?: string
  limit?: number
  reverse?: boolean
}

export interface StoredRecord {
  key: string
  value: Uint8Array
}

export type WriteOp = { type: "put"; key: string; value: Uint8Array } | { type: "delete"; key: string }

/** Keys are printable ASCII, at most 512 characters. */
export function isValidKey(key: string): boolean {
  return key.length > 0 && key.length <= 512 && /^[\x20-\x7e]+$/.test(key)
}

export function assertValidKey(key: string): void {
  if (!isValidKey(key)) throw new RangeError("store keys are 1–512 printable ASCII characters")
}
