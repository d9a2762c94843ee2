import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import type { MessagePort } from "node:worker_threads"
import type BetterSqlite3 from "better-sqlite3"
import type { Database } from "better-sqlite3"

export interface CheckpointerOptions {
  /** Least time from the end of one checkpoint to the start of the next. */
  minIntervalMs?: number
  /**
   * WAL length (in frames) from which a checkpoint also restarts the WAL: it waits for the writer's
   * current transaction, so that a server that never pauses writing does not grow the WAL forever.
   */
  restartFrames?: number
  /** How long the worker's connection waits for a lock during a restart. */
  busyTimeoutMs?: number
  /** Called once if the worker fails; no checkpoint runs after it (the store takes them back). */
  onFailure: (error: Error) => void
}

export interface CheckpointStats {
  /** Checkpoints finished (passive ones and restarts). */
  checkpoints: number
  /** Of them, restarts of the WAL (the WAL had reached `restartFrames`). */
  restarts: number
  /** Frames in the WAL at the latest checkpoint (a writer rewinds it once it is all copied). */
  walFrames: number
  /** Of them, frames copied into the database file (all of them unless another connection was reading). */
  copiedFrames: number
  /** Checkpoints that could not finish (another connection held a lock); the next one goes on. */
  busy: number
  failed: boolean
}

/** PRAGMA wal_checkpoint's three columns. */
interface CheckpointRow {
  busy: number
  log: number
  checkpointed: number
}

/** What the worker answers for each checkpoint: the row of the mode that ran last. */
interface Done extends CheckpointRow {
  t: "done"
  restarted: boolean
}

interface WorkerSetup {
  sqlite: string
  path: string
  restartFrames: number
  busyTimeoutMs: number
}

/**
 * The worker's whole program. It runs as the source text of this function (`eval` worker), so it
 * must not use any value from this module's scope (types are fine: they leave no code); everything
 * arrives through its parameters.
 */
function checkpointWorker(require: NodeJS.Require, setup: WorkerSetup, port: MessagePort): void {
  const Sqlite = require(setup.sqlite) as typeof BetterSqlite3
  const db: Database = new Sqlite(setup.path, { fileMustExist: true })
  db.pragma(`busy_timeout = ${setup.busyTimeoutMs}`)
  // Checkpoints sync the WAL before copying and the database file after, at NORMAL as at FULL.
  db.pragma("synchronous = NORMAL")
  const checkpoint = (mode: "PASSIVE" | "RESTART"): CheckpointRow => {
    const rows = db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[]
    const row = rows[0]
    if (row === undefined) throw new Error("wal_checkpoint returned no row")
    return row
  }
  port.on("message", (message: { t: string }) => {
    if (message.t === "close") {
      db.close()
      port.close()
      return
    }
    try {
      // -1 in both counts: the file is not in WAL mode (any more); nothing to do.
      let row = checkpoint("PASSIVE")
      let restarted = false
      if (row.log >= setup.restartFrames) {
        row = checkpoint("RESTART")
        restarted = row.busy === 0
      }
      const done: Done = { t: "done", ...row, restarted }
      port.postMessage(done)
    } catch (err) {
      port.postMessage({ t: "error", message: err instanceof Error ? err.message : String(err) })
    }
  })
}

/**
 * Runs SQLite's WAL checkpoints on a worker thread with its own connection, so that the event loop's
 * connection (which runs with `wal_autocheckpoint = 0`) never copies pages into the database file nor
 * waits for that file's fsync. The owner calls `nudge()` after each commit; checkpoints then run back
 * to back at most every `minIntervalMs` while writes go on, and not at all while the server is idle.
 * The worker starts at the first nudge.
 *
 * A passive checkpoint never blocks the writer, but SQLite only rewinds the WAL when a writer finds it
 * entirely copied, which may never happen under continuous load; from `restartFrames` on, the worker
 * also runs a RESTART checkpoint, which waits for the writer's current transaction and makes the next
 * one start the WAL from its beginning.
 */
export class Checkpointer {
  readonly stats: CheckpointStats = {
    checkpoints: 0,
    restarts: 0,
    walFrames: 0,
    copiedFrames: 0,
    busy: 0,
    failed: false,
  }
  private worker: Worker | undefined
  private running = false
  private wanted = false
  private timer: NodeJS.Timeout | undefined
  private lastEnd = 0
  private closed = false
  private readonly idleWaiters: (() => void)[] = []
  private readonly minIntervalMs: number
  private readonly restartFrames: number
  private readonly busyTimeoutMs: number

  constructor(
    private readonly path: string,
    private readonly options: CheckpointerOptions,
  ) {
    this.minIntervalMs = Math.max(0, options.minIntervalMs ?? 100)
    this.restartFrames = Math.max(1, Math.floor(options.restartFrames ?? 4096))
    this.busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))
  }

  /** Asks for a checkpoint soon (cheap: call it after every commit). */
  nudge(): void {
    if (this.closed || this.stats.failed) return
    this.wanted = true
    if (this.running || this.timer !== undefined) return
    const wait = this.lastEnd + this.minIntervalMs - Date.now()
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.start()
      }, wait)
      this.timer.unref()
      return
    }
    this.start()
  }

  /** Resolves once no checkpoint runs or is waiting to (for tests and close). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Stops the worker after the checkpoint in flight; wanted checkpoints are dropped. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.wanted = false
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.notifyIdle()
    await this.idle()
    const worker = this.worker
    if (worker === undefined || this.stats.failed) return
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()))
    worker.ref()
    worker.postMessage({ t: "close" })
    await exited
  }

  private isIdle(): boolean {
    return !this.running && (this.timer === undefined || this.closed) && (!this.wanted || this.stats.failed)
  }

  private notifyIdle(): void {
    if (this.isIdle()) for (const waiter of this.idleWaiters.splice(0)) waiter()
  }

  private start(): void {
    if (this.closed || this.stats.failed || !this.wanted) {
      this.notifyIdle()
      return
    }
    const worker = this.worker ?? this.spawn()
    if (worker === undefined) return
    this.wanted = false
    this.running = true
    // A running checkpoint keeps the process alive (an idle worker must not, see finished).
    worker.ref()
    worker.postMessage({ t: "checkpoint" })
  }

  private spawn(): Worker | undefined {
    const setup: WorkerSetup = {
      sqlite: createRequire(import.meta.url).resolve("better-sqlite3"),
      path: this.path,
      restartFrames: this.restartFrames,
      busyTimeoutMs: this.busyTimeoutMs,
    }
    const source = `"use strict";
const { workerData, parentPort } = require("node:worker_threads");
(${checkpointWorker.toString()})(require, workerData, parentPort);`
    let worker: Worker
    try {
      // No execArgv: the parent's flags would otherwise reach the worker, and `--input-type=module`
      // (a script run with `node -e`) would make this CommonJS source an ES module without `require`.
      worker = new Worker(source, { eval: true, workerData: setup, execArgv: [] })
    } catch (err) {
      this.fail(err)
      return undefined
    }
    worker.on("message", (message: Done | { t: "error"; message: string }) => {
      if (message.t === "error") {
        this.fail(new Error(`checkpoint failed: ${message.message}`))
        return
      }
      this.finished(message)
    })
    worker.on("error", (err) => {
      this.fail(err)
    })
    worker.on("exit", (code) => {
      if (!this.closed) this.fail(new Error(`checkpoint worker exited (${code})`))
    })
    this.worker = worker
    return worker
  }

  private finished(done: Done): void {
    this.running = false
    // An idle worker does not keep the process alive: one that forgot to close its store still exits.
    this.worker?.unref()
    this.lastEnd = Date.now()
    const s = this.stats
    s.checkpoints += 1
    if (done.restarted) s.restarts += 1
    if (done.busy !== 0) s.busy += 1
    s.walFrames = Math.max(0, done.log)
    s.copiedFrames = Math.max(0, done.checkpointed)
    if (this.wanted) this.nudge()
    this.notifyIdle()
  }

  /** Stops checkpoints for good; the owner is told unless it is closing (close() then just finishes). */
  private fail(err: unknown): void {
    if (this.stats.failed) return
    this.stats.failed = true
    this.running = false
    this.wanted = false
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    void this.worker?.terminate()
    this.notifyIdle()
    if (!this.closed) this.options.onFailure(err instanceof Error ? err : new Error(String(err)))
  }
}
