/**
 * The store's duplicate check for messages, kept in memory: which stored bodies might carry a given
 * message hash. SQLite stays the truth; this only says where to look.
 *
 * Why not a database index: a message hash is random, so an index on it puts every new message on a
 * random page of the index, and once the index is larger than a commit's batch each message dirties
 * one whole page (written to the WAL and again at the checkpoint). Measured on the offline-store
 * pattern (1,000 groups, 100 receivers): 8.7 KB written per 1.1 KB message with that index, 4.1 KB
 * without it, and a third less CPU per message. The bodies table keeps each hash in a small index
 * ordered by body id (appended at its end, read once at start-up to fill this map).
 *
 * Keys are the hash's first 30 bits (a small integer, so the map stays compact); a key may list several
 * bodies. `find` confirms a candidate against the row itself, so an entry left behind by a change made
 * outside this process (the admin CLI revoking a device deletes its bodies) costs one lookup and is
 * dropped. The opposite, a held body missing from the map, must never happen: every change is logged
 * while a transaction is open and undone if SQLite undoes it (`savepoint`, `rollbackTo`, `rollback`),
 * driven by the write queue's transaction hooks. Hence also: one server process per data directory.
 */
export class HeldHashes {
  private readonly map = new Map<number, number | number[]>()
  /** Changes since the transaction began: [1, key, id] for an add, [0, key, id] for a removal. */
  private readonly journal: [added: 0 | 1, key: number, id: number][] = []
  private readonly marks: number[] = []

  /** The body ids that may hold `hash` (confirm each against the database). */
  candidates(hash: Uint8Array): readonly number[] {
    const v = this.map.get(keyOf(hash))
    if (v === undefined) return none
    return typeof v === "number" ? [v] : v
  }

  add(hash: Uint8Array, id: number): void {
    const key = keyOf(hash)
    if (this.insert(key, id)) this.journal.push([1, key, id])
  }

  /** Forgets that body `id` holds `hash` (nothing happens if it was not listed). */
  remove(hash: Uint8Array, id: number): void {
    const key = keyOf(hash)
    if (this.delete(key, id)) this.journal.push([0, key, id])
  }

  /** Entries (for tests and stats). */
  get size(): number {
    let n = 0
    for (const v of this.map.values()) n += typeof v === "number" ? 1 : v.length
    return n
  }

  // -- transaction hooks (WriteQueue), mirroring SQLite's own ---------------------------------------

  committed(): void {
    this.journal.length = 0
    this.marks.length = 0
  }

  rolledBack(): void {
    this.undoTo(0)
    this.marks.length = 0
  }

  savepoint(): void {
    this.marks.push(this.journal.length)
  }

  rolledBackTo(): void {
    this.undoTo(this.marks[this.marks.length - 1] ?? 0)
  }

  released(): void {
    this.marks.pop()
  }

  private undoTo(length: number): void {
    while (this.journal.length > length) {
      const [added, key, id] = this.journal.pop() as [0 | 1, number, number]
      if (added === 1) this.delete(key, id)
      else this.insert(key, id)
    }
  }

  private insert(key: number, id: number): boolean {
    const v = this.map.get(key)
    if (v === undefined) this.map.set(key, id)
    else if (typeof v === "number") {
      if (v === id) return false
      this.map.set(key, [v, id])
    } else {
      if (v.includes(id)) return false
      v.push(id)
    }
    return true
  }

  private delete(key: number, id: number): boolean {
    const v = this.map.get(key)
    if (v === undefined) return false
    if (typeof v === "number") {
      if (v !== id) return false
      this.map.delete(key)
      return true
    }
    const i = v.indexOf(id)
    if (i < 0) return false
    v.splice(i, 1)
    if (v.length === 1) this.map.set(key, v[0] as number)
    return true
  }
}

const none: readonly number[] = []

/** The first 30 bits of a hash: always a small integer in V8 (no boxed number per key). */
export function keyOf(hash: Uint8Array): number {
  return ((hash[0] ?? 0) << 22) | ((hash[1] ?? 0) << 14) | ((hash[2] ?? 0) << 6) | ((hash[3] ?? 0) >>> 2)
}
