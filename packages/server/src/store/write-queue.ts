import type { Database, Statement } from "better-sqlite3"

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

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
  /** Batches that had a failing operation and were run again with a savepoint per operation. */
  replays: number
  /** Calls of the `sync` option (each covers every batch committed before it started). */
  syncs: number
}

/**
 * Told what happened to the transaction, so that state kept beside the database (the store's map of
 * held message hashes) can be undone exactly when SQLite undoes its writes.
 */
export interface TransactionHooks {
  /** COMMIT succeeded. */
  committed(): void
  /** The whole transaction was rolled back (an operation failed in the optimistic pass, or BEGIN/COMMIT failed). */
  rolledBack(): void
  /** A savepoint opened (one per operation in a replayed batch). */
  savepoint(): void
  /** Writes since the newest savepoint were undone (it stays open until `released`). */
  rolledBackTo(): void
  /** The newest savepoint was released. */
  released(): void
}

export interface WriteQueueOptions {
  /** The most operations in one transaction. */
  maxBatch?: number
  /**
   * Makes every committed transaction durable, off the event loop (the store passes an fdatasync of
   * the WAL file on libuv's thread pool, with SQLite itself at synchronous=NORMAL). Callers settle
   * only after the first sync that started after their COMMIT has finished. Without it, callers
   * settle when COMMIT returns, durable as far as the connection's own `synchronous` level makes it.
   */
  sync?: () => Promise<void>
  hooks?: TransactionHooks
  /** Called after every successful COMMIT, after `hooks.committed` (the store nudges its checkpointer). */
  afterCommit?: () => void
}

/**
 * Group commit for a synchronous SQLite connection. Write operations queued in the same tick of the
 * event loop run in ONE transaction, flushed on setImmediate. Every caller's promise settles only
 * once its transaction is durable (see below).
 *
 * A batch first runs optimistically, every operation straight after the other. Only if one of them
 * throws is the whole transaction rolled back and the batch run again with each operation inside its
 * own SAVEPOINT, so that the failing operation is undone and fails only its own caller. Operations
 * must therefore be functions of the database (and of their own arguments) with no effect outside
 * it: a batch may run them twice. The replay is rare on a healthy server (a stale epoch, a revoked
 * device), and skipping two statements per operation on the common path is most of what group
 * commit spends besides the COMMIT itself.
 *
 * Durability: with a `sync` option, COMMIT only writes the WAL and the fsync runs on the thread pool
 * while the event loop goes on; one sync is in flight at a time and covers every batch committed
 * before it started, so a busy server pays one fsync per few batches and never blocks on one. Other
 * requests may read committed rows before their sync finishes (as with any group commit, a reader may
 * see what a power cut would still take back); no caller is told "done" before it. A failed sync
 * stops the queue for good: the server must be restarted.
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
  private readonly maxBatch: number
  private readonly sync: (() => Promise<void>) | undefined
  private readonly hooks: TransactionHooks | undefined
  private readonly afterCommit: (() => void) | undefined
  /** Settlements of committed batches waiting for the next sync to start. */
  private awaitingSync: (() => void)[] = []
  private awaitingSyncFailure: ((error: unknown) => void)[] = []
  private syncing = false
  /** Set by the first failed sync; every write after it fails too (see startSync). */
  private syncFailure: Error | undefined
  readonly stats: WriteQueueStats = { batches: 0, operations: 0, largestBatch: 0, replays: 0, syncs: 0 }

  constructor(
    private readonly db: Database,
    options: WriteQueueOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 2000
    this.sync = options.sync
    this.hooks = options.hooks
    this.afterCommit = options.afterCommit
    this.begin = db.prepare("BEGIN IMMEDIATE")
    this.commit = db.prepare("COMMIT")
    this.rollback = db.prepare("ROLLBACK")
    this.savepoint = db.prepare("SAVEPOINT op")
    this.release = db.prepare("RELEASE op")
    this.rollbackTo = db.prepare("ROLLBACK TO op")
  }

  /** Queues `op` for the next transaction; resolves with its result once that transaction commits. */
  run<T>(op: () => T): Promise<T> {
    if (this.syncFailure !== undefined) return Promise.reject(this.syncFailure)
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
    this.startSync()
    this.notifyIdle()
  }

  /** Resolves once nothing is queued or waiting for a sync (flushing what is). */
  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve()
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve)
    })
  }

  private idle(): boolean {
    return this.pending.length === 0 && !this.syncing && this.awaitingSync.length === 0
  }

  private notifyIdle(): void {
    if (this.idle()) for (const waiter of this.idleWaiters.splice(0)) waiter()
  }

  /** Starts a sync for the batches committed so far, unless one is in flight (it restarts after). */
  private startSync(): void {
    const sync = this.sync
    if (sync === undefined || this.syncing || this.awaitingSync.length === 0) return
    const settle = this.awaitingSync
    const fail = this.awaitingSyncFailure
    this.awaitingSync = []
    this.awaitingSyncFailure = []
    this.syncing = true
    this.stats.syncs += 1
    sync().then(
      () => {
        for (const f of settle) f()
        this.afterSync()
      },
      (error: unknown) => {
        // Committed but not known to be on disk, and after a failed fsync the kernel may already have
        // dropped those pages while a later fsync reports success. So this queue stops: these callers
        // and every later write fail, until a restart makes SQLite read what is really on disk.
        this.syncFailure ??= error instanceof Error ? error : new Error("the WAL sync failed")
        for (const f of fail) f(error)
        for (const f of this.awaitingSyncFailure.splice(0)) f(error)
        this.awaitingSync = []
        this.syncing = false
        this.notifyIdle()
      },
    )
  }

  private afterSync(): void {
    this.syncing = false
    this.startSync()
    this.notifyIdle()
  }

  private runBatch(batch: Pending[]): void {
    if (this.syncFailure !== undefined) {
      for (const p of batch) p.reject(this.syncFailure)
      return
    }
    this.stats.batches += 1
    this.stats.operations += batch.length
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length)
    let outcomes: Outcome[]
    try {
      outcomes = this.attempt(batch, false)
      if (outcomes.some((o) => !o.ok)) {
        this.stats.replays += 1
        outcomes = this.attempt(batch, true)
      }
      this.commit.run()
      this.hooks?.committed()
    } catch (error) {
      // BEGIN or COMMIT failed, or SQLite rolled the whole transaction back (I/O error, disk full...):
      // nothing of this batch was applied, so every caller in it fails and may retry.
      if (this.db.inTransaction) {
        try {
          this.rollback.run()
        } catch {
          // the transaction is already gone
        }
      }
      this.hooks?.rolledBack()
      for (const p of batch) p.reject(error)
      return
    }
    this.afterCommit?.()
    const settle = (): void => {
      batch.forEach((p, i) => {
        const outcome = outcomes[i]
        if (outcome === undefined) p.reject(new Error("write queue lost an outcome"))
        else if (outcome.ok) p.resolve(outcome.value)
        else p.reject(outcome.error)
      })
    }
    if (this.sync === undefined) {
      settle()
      return
    }
    this.awaitingSync.push(settle)
    this.awaitingSyncFailure.push((error) => {
      batch.forEach((p, i) => {
        const outcome = outcomes[i]
        // An operation that failed on its own keeps its own error (nothing of it was committed).
        if (outcome !== undefined && !outcome.ok) p.reject(outcome.error)
        else p.reject(error)
      })
    })
  }

  /**
   * Opens the transaction and runs the batch in it. Optimistic (`savepoints` false): stops at the first
   * failing operation and rolls everything back, leaving no transaction open. With savepoints: undoes
   * each failing operation alone and leaves the transaction open for COMMIT. Throws when SQLite itself
   * ended the transaction.
   */
  private attempt(batch: readonly Pending[], savepoints: boolean): Outcome[] {
    this.begin.run()
    const outcomes: Outcome[] = []
    const hooks = this.hooks
    for (const p of batch) {
      if (savepoints) {
        this.savepoint.run()
        hooks?.savepoint()
      }
      try {
        const value = p.op()
        if (savepoints) {
          this.release.run()
          hooks?.released()
        }
        outcomes.push({ ok: true, value })
      } catch (error) {
        if (!this.db.inTransaction) throw error
        if (!savepoints) {
          this.rollback.run()
          hooks?.rolledBack()
          return [{ ok: false, error }]
        }
        this.rollbackTo.run()
        hooks?.rolledBackTo()
        this.release.run()
        hooks?.released()
        outcomes.push({ ok: false, error })
      }
    }
    return outcomes
  }
}
