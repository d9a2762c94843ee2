import { randomBytes } from "node:crypto"
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { join } from "node:path"
import { CliError } from "../cli-error.js"

export interface ProfileLockHooks {
  /** Tests only: runs after an abandoned lock was found and before it is taken away. */
  beforeTakeover?: () => void
}

/**
 * One process at a time per profile: two processes advancing the same MLS group state would corrupt it.
 *
 * The lock file appears atomically with its content: the pid is written to a private temporary file that is
 * then hard-linked to `profile.lock` (link fails if the lock exists). A process that finds the lock always
 * reads a complete pid, so a lock being taken is never mistaken for an abandoned one.
 *
 * A lock whose process no longer runs (a crash, a kill) is taken over, and only that very file: it is
 * renamed away (atomic) and compared, inode and content, with the one judged abandoned. If two processes
 * find the same abandoned lock, the second to rename gets the first one's fresh lock instead, sees a
 * different file and puts it back, so it cannot delete a lock that is in use. (Two holders could remain
 * only if a third process linked its own lock in the instant the fresh one is away.) Releasing removes
 * the lock only if it is still this process's own file.
 */
export function acquireProfileLock(dir: string, hooks: ProfileLockHooks = {}): () => void {
  const path = join(dir, "profile.lock")
  const temporary = join(dir, `profile.lock.${process.pid}.${randomBytes(6).toString("hex")}`)
  writeFileSync(temporary, String(process.pid), { mode: 0o600, flag: "wx" })
  const mine = { ino: statSync(temporary).ino, text: String(process.pid) }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(temporary, path)
        return () => {
          // Only our own lock: the file at `path` is still the one we linked.
          if (sameFile(identityOf(path), mine)) rmSync(path, { force: true })
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
      }
      const holder = lockHolder(path)
      if (holder === undefined) continue // released just now
      if (holder.pid !== undefined && isAlive(holder.pid)) {
        throw new CliError(
          "PROFILE_IN_USE",
          `the profile is in use by another backchannel process (pid ${holder.pid})`,
        )
      }
      hooks.beforeTakeover?.()
      takeAway(path, holder, `${temporary}.stale`)
    }
    throw new CliError("PROFILE_IN_USE", "the profile lock could not be taken")
  } finally {
    rmSync(temporary, { force: true })
  }
}

/** Removes the lock at `path` if it is still the abandoned file `stale`; otherwise leaves (or puts back) it. */
function takeAway(path: string, stale: FileIdentity, tomb: string): void {
  try {
    renameSync(path, tomb)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return // someone else took it away
    throw err
  }
  try {
    if (sameFile(identityOf(tomb), stale)) return
    // Another process took the abandoned lock over first and this is its fresh lock: give it back.
    try {
      linkSync(tomb, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
    }
  } finally {
    rmSync(tomb, { force: true })
  }
}

/**
 * A lock file is known by its inode and its content together: file systems hand a freed inode number to
 * the next new file at once, and a fresh lock of another process holds that process's pid.
 */
interface FileIdentity {
  ino: number
  text: string
}

function sameFile(a: FileIdentity | undefined, b: FileIdentity): boolean {
  return a !== undefined && a.ino === b.ino && a.text === b.text
}

/** The inode and content of a file, read through one descriptor; undefined if there is none. */
function identityOf(path: string): FileIdentity | undefined {
  let fd: number
  try {
    fd = openSync(path, "r")
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw err
  }
  try {
    return { ino: fstatSync(fd).ino, text: readFileSync(fd, "utf8") }
  } finally {
    closeSync(fd)
  }
}

/** The lock's identity and its pid (undefined if it holds none: a torn lock of an older version). */
function lockHolder(path: string): (FileIdentity & { pid: number | undefined }) | undefined {
  const identity = identityOf(path)
  if (identity === undefined) return undefined
  const pid = Number(identity.text)
  return { ...identity, pid: Number.isInteger(pid) && pid > 0 ? pid : undefined }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"
  }
}
