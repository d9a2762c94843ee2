import Database from "better-sqlite3"

/**
 * How long a second process waits for a lock before it is refused. Short, but not zero: SQLite's lock
 * climbs through shared and pending states, and processes starting at the same instant would otherwise
 * all give up and leave the lock to none of them.
 */
const WAIT_MS = 250

/**
 * Every lock this process holds. A connection that became unreachable would be closed by the garbage
 * collector, and the lock would go with it while the directory is still in use; this keeps each one
 * until its release.
 */
const held = new Set<Database.Database>()

/**
 * An exclusive lock for one process at a time, or `undefined` if another holder has it.
 *
 * The lock is SQLite's own exclusive lock (POSIX advisory record locks, `fcntl`) on the file at `path`,
 * held by a transaction that stays open until the returned function is called. The kernel drops it when
 * the process ends, however it ends (exit, crash, SIGKILL): no lock is ever left behind to be judged
 * abandoned and taken over, so there is no moment in which two processes can both believe they hold it
 * (a pid file taken over when its pid is dead cannot promise that when several processes race for it).
 * A second connection in the same process is refused too. The file must be on a file system with working
 * POSIX locks (a local disk, not every network file system), as SQLite itself requires. Releasing twice is
 * harmless; the file stays, and its existence means nothing.
 */
export function tryExclusiveLock(path: string): (() => void) | undefined {
  const db = new Database(path, { timeout: WAIT_MS })
  try {
    db.exec("BEGIN EXCLUSIVE")
  } catch (err) {
    db.close()
    if ((err as { code?: unknown }).code === "SQLITE_BUSY") return undefined
    throw err
  }
  held.add(db)
  return () => {
    if (!held.delete(db)) return
    db.close() // ends the transaction and, with it, the lock
  }
}
