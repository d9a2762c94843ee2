import { randomBytes } from "node:crypto"
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { CliError } from "../cli-error.js"

/**
 * One process at a time per profile: two processes advancing the same MLS group state would corrupt it.
 *
 * The lock file appears atomically with its content: the pid is written to a private temporary file that is
 * then hard-linked to `profile.lock` (link fails if the lock exists). A process that finds the lock always
 * reads a complete pid, so a lock being taken is never mistaken for an abandoned one. A lock whose process
 * no longer runs (a crash, a kill) is taken over.
 */
export function acquireProfileLock(dir: string): () => void {
  const path = join(dir, "profile.lock")
  const temporary = join(dir, `profile.lock.${process.pid}.${randomBytes(6).toString("hex")}`)
  writeFileSync(temporary, String(process.pid), { mode: 0o600, flag: "wx" })
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(temporary, path)
        return () => rmSync(path, { force: true })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err
      }
      const holder = lockHolder(path)
      if (holder !== undefined && isAlive(holder)) {
        throw new CliError(
          "PROFILE_IN_USE",
          `the profile is in use by another backchannel process (pid ${holder})`,
        )
      }
      // Abandoned (or released just now): remove it and try again.
      rmSync(path, { force: true })
    }
    throw new CliError("PROFILE_IN_USE", "the profile lock could not be taken")
  } finally {
    rmSync(temporary, { force: true })
  }
}

/** The pid in a lock file, or undefined if the file is gone or holds no pid (an older, torn lock). */
function lockHolder(path: string): number | undefined {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw err
  }
  const pid = Number(text)
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"
  }
}
