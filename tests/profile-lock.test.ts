import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
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

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout)
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
    // Every other round starts from a lock abandoned by a crashed process: all contenders find it stale
    // at the same moment, and still only one may take it over.
    if (round % 2 === 1) writeFileSync(join(dir, "profile.lock"), String(deadPid()))
    const start = Date.now() + 1000
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => contender(start)))
    expect(outcomes.filter((o) => o === "held")).toHaveLength(1)
    expect(outcomes.filter((o) => o === "PROFILE_IN_USE")).toHaveLength(5)
    // The holder released the lock before exiting; no temporary file is left behind.
    expect(readdirSync(dir)).toEqual([])
  }
})
