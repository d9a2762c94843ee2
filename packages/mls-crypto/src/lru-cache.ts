/**
 * A bounded least-recently-used map. Used to keep imported key objects (CryptoKey, KeyObject) so that
 * a key is parsed once rather than on every signature, verification or encryption.
 *
 * Keys of the map are fingerprints of key bytes (see `fingerprint` in each provider), never the bytes
 * themselves, and nothing here is ever logged.
 */
export class LruCache<V> {
  readonly #capacity: number
  readonly #entries = new Map<string, V>()
  /** The most recently used key, which `get` can return without reordering the map. */
  #newest: string | undefined

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError("LruCache capacity must be a positive integer")
    }
    this.#capacity = capacity
  }

  get size(): number {
    return this.#entries.size
  }

  get capacity(): number {
    return this.#capacity
  }

  /** Returns the value and marks it as the most recently used. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key)
    if (value === undefined || key === this.#newest) return value
    // Map iterates in insertion order: re-inserting moves the entry to the young end.
    this.#entries.delete(key)
    this.#entries.set(key, value)
    this.#newest = key
    return value
  }

  /** Inserts or replaces a value; evicts the least recently used entry when full. */
  set(key: string, value: V): void {
    if (this.#entries.has(key)) this.#entries.delete(key)
    else if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, value)
    this.#newest = key
  }

  clear(): void {
    this.#entries.clear()
    this.#newest = undefined
  }
}
