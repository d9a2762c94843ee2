import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { CliError } from "../cli-error.js"
import { acquireProfileLock } from "./lock.js"

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bc-lock-"))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** The pid of a process that has exited (so no process runs under it now, barring reuse). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"])
  return Number(child.stdout.toString())
}

describe("profile lock", () => {
  it("holds the profile for one process: the lock names it, a second taker is refused, release frees it", () => {
    const release = acquireProfileLock(dir)
    expect(readFileSync(join(dir, "profile.lock"), "utf8")).toBe(String(process.pid))
    let refused: unknown
    try {
      acquireProfileLock(dir)
    } catch (err) {
      refused = err
    }
    expect(refused).toBeInstanceOf(CliError)
    expect((refused as CliError).code).toBe("PROFILE_IN_USE")
    expect((refused as CliError).message).toContain(`pid ${process.pid}`)
    release()
    expect(existsSync(join(dir, "profile.lock"))).toBe(false)
    acquireProfileLock(dir)()
    // No temporary file is left behind, whether the lock was taken or refused.
    expect(readdirSync(dir)).toEqual([])
  })

  it("takes over a lock left by a process that no longer runs, and one torn by an older version", () => {
    writeFileSync(join(dir, "profile.lock"), String(deadPid()))
    const release = acquireProfileLock(dir)
    expect(readFileSync(join(dir, "profile.lock"), "utf8")).toBe(String(process.pid))
    release()
    writeFileSync(join(dir, "profile.lock"), "")
    acquireProfileLock(dir)()
    expect(readdirSync(dir)).toEqual([])
  })

  it("never removes a fresh lock that another process took over from the abandoned one first", () => {
    writeFileSync(join(dir, "profile.lock"), String(deadPid()))
    const racer = String(process.pid) // a live process
    let refused: unknown
    try {
      acquireProfileLock(dir, {
        // Between finding the abandoned lock and taking it away, another process takes it over.
        beforeTakeover: () => {
          rmSync(join(dir, "profile.lock"))
          writeFileSync(join(dir, "profile.lock"), racer)
        },
      })
    } catch (err) {
      refused = err
    }
    expect((refused as CliError | undefined)?.code).toBe("PROFILE_IN_USE")
    expect(readFileSync(join(dir, "profile.lock"), "utf8")).toBe(racer)
    expect(readdirSync(dir)).toEqual(["profile.lock"])
  })

  it("releases only its own lock", () => {
    const release = acquireProfileLock(dir)
    rmSync(join(dir, "profile.lock"))
    writeFileSync(join(dir, "profile.lock"), "12345") // someone else's, after ours was removed by hand
    release()
    expect(readFileSync(join(dir, "profile.lock"), "utf8")).toBe("12345")
  })
})
