import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, expect, it } from "vitest"
import { repoRoot } from "./support/paths.js"

// Many processes reach for the same profile at the same moment: exactly one may hold it (two processes
// advancing the same MLS state would corrupt it), every other one is told the profile is in use.

const dir = mkdtempSync(join(tmpdir(), "bc-lock-race-"))
const lockModule = pathToFileURL(join(repoRoot, "packages/cli/dist/profile/lock.js")).href

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A process that takes the lock and keeps it until it is killed (a crash with the profile open). */
function crashingHolder(): Promise<{ crash: () => Promise<void> }> {
  const script = `
    import { acquireProfileLock } from ${JSON.stringify(lockModule)}
    acquireProfileLock(${JSON.stringify(dir)}) // the release function is dropped on purpose
    gc() // an unreachable lock must not be collected, and released, while the process runs
    process.stdout.write("held")
    setInterval(() => {}, 1000)
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let err = ""
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`the holder exited (${code}) before holding: ${err}`)))
    child.stdout.setEncoding("utf8").once("data", () =>
      resolve({
        crash: () =>
          new Promise((done) => {
            child.removeAllListeners("exit")
            child.once("exit", () => done())
            child.kill("SIGKILL")
          }),
      }),
    )
  })
}

function contender(start: number): Promise<string> {
  const script = `
    import { acquireProfileLock } from ${JSON.stringify(lockModule)}
    const start = Number(process.argv[1])
    while (Date.now() < start) {}
    try {
      const release = acquireProfileLock(${JSON.stringify(dir)})
      process.stdout.write("held")
      setTimeout(release, 2000)
    } catch (err) {
      process.stdout.write(err.code ?? String(err))
    }
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, String(start)], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let out = ""
    let err = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c))
    child.once("error", reject)
    child.once("exit", () => resolve(out !== "" ? out : `stderr: ${err}`))
  })
}

it("lets exactly one of several processes racing for the same profile hold it, in every round", async () => {
  for (let round = 0; round < 6; round++) {
    // Every other round starts right after a holder was killed with the profile open: the contenders must
    // find the profile free (nothing abandoned to take over), and still only one may hold it.
    if (round % 2 === 1) {
      const holder = await crashingHolder()
      expect(await contender(Date.now())).toBe("PROFILE_IN_USE")
      await holder.crash()
    }
    const start = Date.now() + 1000
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => contender(start)))
    expect(outcomes.filter((o) => o === "held")).toHaveLength(1)
    expect(outcomes.filter((o) => o === "PROFILE_IN_USE")).toHaveLength(5)
    // Only the lock file stays in the directory: no journal, no temporary file.
    expect(readdirSync(dir)).toEqual(["profile.lock.db"])
  }
})
