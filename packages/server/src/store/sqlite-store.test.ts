import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { storeContract } from "../testing/store-contract.js"
import { SqliteStore } from "./sqlite-store.js"

const root = mkdtempSync(join(tmpdir(), "bc-sqlite-store-"))
let counter = 0
let last = ""

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

storeContract("sqlite", {
  create: () => {
    last = join(root, `store-${++counter}.db`)
    return Promise.resolve(new SqliteStore(last))
  },
  reopen: () => Promise.resolve(new SqliteStore(last)),
})
