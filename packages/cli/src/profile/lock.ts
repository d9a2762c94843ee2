import { join } from "node:path"
import Database from "better-sqlite3"
import { CliError } from "../cli-error.js"

/** The lock file in a profile directory. Its existence means nothing; the lock on it does. */
export const LOCK_FILE = "profile.lock.db"

/**
 * How long a second process waits for the lock before it is told the profile is in use. Short, but not
 * zero: SQLite's lock climbs through shared and pending states, and processes starting at the same
 * instant would otherwise all give up and leave the profile to none of them.
 */
const WAIT_MS = 250

/**
 * Every lock this process holds. A connection that became unreachable would be closed by the garbage
 * collector, and the lock would go with it while the profile is still in use; this keeps each one
 * until its release.
 */
const held = new Set<Database.Database>()

/**
 * One process at a time per profile: two processes advancing the same MLS group state would corrupt it.
 *
 * The lock is SQLite's own exclusive lock (POSIX advisory record locks, `fcntl`) on `profile.lock.db`,
 * held by a transaction that stays open while the profile is in use. The kernel drops the lock when
 * the process ends, however it ends (exit, crash, SIGKILL): no lock is ever left behind to be judged
 * abandoned and taken over, so there is no moment in which two processes can both believe they hold
 * it. (The version before this one kept a pid in `profile.lock` and took over locks of dead pids; with
 * several processes racing for one abandoned lock, two could end up holding it.)
 *
 * The profile directory must be on a file system with working POSIX locks (a local disk, not every
 * network file system), as SQLite itself requires.
 */
export function acquireProfileLock(dir: string): () => void {
  const db = new Database(join(dir, LOCK_FILE), { timeout: WAIT_MS })
  try {
    db.exec("BEGIN EXCLUSIVE")
  } catch (err) {
    db.close()
    if ((err as { code?: unknown }).code === "SQLITE_BUSY") {
      throw new CliError("PROFILE_IN_USE", "the profile is in use by another backchannel process")
    }
    throw err
  }
  held.add(db)
  return () => {
    if (!held.delete(db)) return
    db.close() // ends the transaction and, with it, the lock
  }
}
