import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { CliError } from "../cli-error.js"
import { acquireProfileLock, LOCK_FILE } from "./lock.js"

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bc-lock-"))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function refusal(take: () => unknown): unknown {
  try {
    take()
  } catch (err) {
    return err
  }
  return undefined
}

describe("profile lock", () => {
  it("holds the profile for one taker at a time; release frees it, and releasing twice is harmless", () => {
    const release = acquireProfileLock(dir)
    const refused = refusal(() => acquireProfileLock(dir))
    expect(refused).toBeInstanceOf(CliError)
    expect((refused as CliError).code).toBe("PROFILE_IN_USE")
    release()
    release()
    const again = acquireProfileLock(dir)
    expect(refusal(() => acquireProfileLock(dir))).toBeInstanceOf(CliError)
    again()
    // Only the lock file itself stays: no journal, no temporary file.
    expect(readdirSync(dir)).toEqual([LOCK_FILE])
  })
})
