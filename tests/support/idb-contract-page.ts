// Bundled by tests/web-idb-chromium.test.ts into a page that runs the storage contract against the web
// app's IndexedDbStore on Chromium's own IndexedDB.
import { storeContractCases } from "@backchannel/core/testing"
import { IndexedDbStore } from "../../packages/web/src/storage/idb-store.js"

export interface CaseResult {
  name: string
  ok: boolean
  error?: string
}

let counter = 0
let name = "contract-0"

export async function runContract(): Promise<CaseResult[]> {
  const cases = storeContractCases({
    create: () => {
      name = `contract-${++counter}`
      return IndexedDbStore.open(name)
    },
    reopen: () => IndexedDbStore.open(name),
  })
  const results: CaseResult[] = []
  for (const c of cases) {
    try {
      await c.run()
      results.push({ name: c.name, ok: true })
    } catch (err) {
      results.push({ name: c.name, ok: false, error: err instanceof Error ? err.message : String(err) })
    }
  }
  return results
}
