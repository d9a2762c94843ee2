import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { runCli } from "./support/cli.js"
import { startServerProcess } from "./support/server-process.js"

// `backchannel serve` as an operator runs it: a second server on the same data directory, or on an address
// already taken, is refused with a stable code and advice, not "something went wrong"; the lock it holds on
// the directory goes with the process, even when the process is killed.

const root = mkdtempSync(join(tmpdir(), "bc-serve-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe("backchannel serve refuses what it cannot do, and says why", () => {
  it("one server per data directory; the admin CLI works beside it; a killed server frees it", async () => {
    const data = join(root, "shared")
    const first = await startServerProcess(data)
    try {
      const second = await runCli(["serve", "--data", data, "--port", "0"])
      expect(second.code).toBe(1)
      expect(second.stderr).toContain("(DATA_DIR_IN_USE)")
      expect(second.stderr).toContain("stop it first")
      expect(second.stdout).toBe("")

      const invite = await runCli(["admin", "invite", "--data", data, "--handle", "beside", "--name", "B"])
      expect(invite.code).toBe(0)
      expect((await fetch(`${first.url}/v1/health`)).status).toBe(200)

      const taken = await runCli(["serve", "--data", join(root, "other"), "--port", String(first.port)])
      expect(taken.code).toBe(1)
      expect(taken.stderr).toContain(`127.0.0.1:${first.port} is already in use`)
      expect(taken.stderr).toContain("(ADDRESS_IN_USE)")
    } finally {
      await first.stop("SIGKILL")
    }
    // The kernel dropped the killed server's lock: a new server starts on the same directory at once.
    const next = await startServerProcess(data)
    expect((await fetch(`${next.url}/v1/health`)).status).toBe(200)
    expect(await next.stop()).toBe(0)
  }, 60_000)
})
