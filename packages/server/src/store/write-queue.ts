import type { Database, Statement } from "better-sqlite3"

interface Pending {
  op: () => unknown
  resolve: (value: unknown) => void
  reject: (reason: unknown) => void
}

export interface WriteQueueStats {
  /** Transactions committed (or attempted). */
  batches: number
  /** Operations run. */
  operations: number
  /** The most operations one transaction carried. */
  largestBatch: number
}

/**
 * Group commit for a synchronous SQLite connection. Write operations queued in the same tick of the
 * event loop run in ONE transaction, flushed on setImmediate; each runs inside its own SAVEPOINT so a
 * failing operation is rolled back and fails only its own caller. Every caller's promise settles
 * only after COMMIT returns, i.e. after the data is durable at the configured `synchronous` level.
 *
 * With synchronous=FULL one transaction costs one fsync of the WAL, so batching is what lets a busy
 * server acknowledge thousands of messages per second durably.
 */
export class WriteQueue {
  private pending: Pending[] = []
  private scheduled = false
  private readonly begin: Statement
  private readonly commit: Statement
  private readonly rollback: Statement
  private readonly savepoint: Statement
  private readonly release: Statement
  private readonly rollbackTo: Statement
  private readonly idleWaiters: (() => void)[] = []
  readonly stats: WriteQueueStats = { batches: 0, operations: 0, largestBatch: 0 }

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 2000,
  ) {
    this.begin = db.prepare("BEGIN IMMEDIATE")
    this.commit = db.prepare("COMMIT")
    this.rollback = db.prepare("ROLLBACK")
    this.savepoint = db.prepare("SAVEPOINT op")
    this.release = db.prepare("RELEASE op")
    this.rollbackTo = db.prepare("ROLLBACK TO op")
  }

  /** Queues `op` for the next transaction; resolves with its result once that transaction commits. */
  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (value: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => {
          this.flush()
        })
      }
    })
  }

  /** Runs every queued operation now (synchronously), in as few transactions as `maxBatch` allows. */
  flush(): void {
    this.scheduled = false
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch)
      this.runBatch(batch)
    }
    for (const waiter of this.idleWaiters.splice(0)) waiter()
  }

  /** Resolves once nothing is queued (flushing what is). */
  drain(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve)
    })
  }

  private runBatch(batch: Pending[]): void {
    this.stats.batches += 1
    this.stats.operations += batch.length
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length)
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = []
    try {
      this.begin.run()
    } catch (error) {
      for (const p of batch) p.reject(error)
      return
    }
    let fatal: unknown = undefined
    for (const p of batch) {
      if (fatal !== undefined) break
      this.savepoint.run()
      try {
        const value = p.op()
        this.release.run()
        outcomes.push({ ok: true, value })
      } catch (error) {
        if (this.db.inTransaction) {
          this.rollbackTo.run()
          this.release.run()
          outcomes.push({ ok: false, error })
        } else {
          // SQLite rolled the whole transaction back (I/O error, disk full...): nothing of this
          // batch was applied, so every caller in it fails and may retry.
          fatal = error
        }
      }
    }
    if (fatal === undefined) {
      try {
        this.commit.run()
      } catch (error) {
        fatal = error
      }
    }
    if (fatal !== undefined) {
      if (this.db.inTransaction) {
        try {
          this.rollback.run()
        } catch {
          // the transaction is already gone
        }
      }
      for (const p of batch) p.reject(fatal)
      return
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i]
      if (outcome === undefined) p.reject(new Error("write queue lost an outcome"))
      else if (outcome.ok) p.resolve(outcome.value)
      else p.reject(outcome.error)
    })
  }
}
