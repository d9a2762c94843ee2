import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { storeContract } from "@backchannel/core/testing"
import { SqliteStore } from "./sqlite-store.js"

const dir = mkdtempSync(join(tmpdir(), "bc-sqlite-store-"))
let n = 0
let current = ""
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

storeContract("SQLite file", {
  create: () => {
    current = join(dir, `store-${n++}.db`)
    return Promise.resolve(new SqliteStore(current))
  },
  reopen: () => Promise.resolve(new SqliteStore(current)),
})
