import { join } from "node:path"
import { tryExclusiveLock } from "@backchannel/server"
import { CliError } from "../cli-error.js"

/** The lock file in a profile directory. Its existence means nothing; the lock on it does. */
export const LOCK_FILE = "profile.lock.db"

/**
 * One process at a time per profile: two processes advancing the same MLS group state would corrupt it.
 *
 * The lock is `tryExclusiveLock`'s (SQLite's exclusive lock on `profile.lock.db`, dropped by the kernel
 * when the process ends however it ends). (The version before that one kept a pid in `profile.lock` and
 * took over locks of dead pids; with several processes racing for one abandoned lock, two could end up
 * holding it.)
 */
export function acquireProfileLock(dir: string): () => void {
  const release = tryExclusiveLock(join(dir, LOCK_FILE))
  if (release === undefined) {
    throw new CliError("PROFILE_IN_USE", "the profile is in use by another backchannel process")
  }
  return release
}
