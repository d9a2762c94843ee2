import { describe, it } from "vitest"
import { storeContractCases } from "./store-contract-cases.js"
import type { StoreFactory } from "./store-contract-cases.js"

export type { StoreFactory } from "./store-contract-cases.js"

/**
 * The contract every KeyValueStore implementation passes (memory, SQLite, IndexedDB), as vitest cases.
 * Each implementation's test file calls this with a factory; the cases themselves live in
 * store-contract-cases.ts so that a browser page can run them too.
 */
export function storeContract(name: string, factory: StoreFactory): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    for (const c of storeContractCases(factory)) it(c.name, () => c.run())
  })
}
