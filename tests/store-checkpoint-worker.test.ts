import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { afterAll, expect, it } from "vitest"
import { repoRoot } from "./support/paths.js"

// The server store's checkpoint worker must not keep a process alive while it is idle, yet a process
// that awaits the store (a checkpoint, close) must not exit in the middle of it: with nothing else on the
// event loop, an unreferenced worker would let Node end the process with `await store.close()` unsettled.

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), "bc-checkpoint-exit-"))
const storeModule = pathToFileURL(join(repoRoot, "packages/server/dist/store/sqlite-store.js")).href

afterAll(() => rmSync(dir, { recursive: true, force: true }))

it("a process with nothing else to do waits for the store's checkpoints and close", async () => {
  const db = join(dir, "closing.db")
  const script = `
    import { SqliteStore } from ${JSON.stringify(storeModule)}
    const store = new SqliteStore(${JSON.stringify(db)}, { checkpointer: { minIntervalMs: 0 } })
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.setSetting("k" + round + "-" + i, "x".repeat(60000))))
      await store.checkpointsIdle()
    }
    const { checkpoints } = store.checkpointStats
    await store.close()
    process.stdout.write(JSON.stringify({ checkpoints }))
  `
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script])
  expect(JSON.parse(stdout)).toEqual({ checkpoints: 4 })
  // close() ran to its end: the last connection removed the WAL.
  expect(existsSync(`${db}-wal`)).toBe(false)
})

it("a process that never closes its store still exits once its work is done", async () => {
  const db = join(dir, "forgotten.db")
  const script = `
    import { SqliteStore } from ${JSON.stringify(storeModule)}
    const store = new SqliteStore(${JSON.stringify(db)})
    await store.setSetting("k", "v")
    await store.checkpointsIdle()
    process.stdout.write(String(store.checkpointStats.checkpoints))
  `
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 })
  expect(stdout).toBe("1")
})
