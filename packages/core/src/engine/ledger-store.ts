import type { WriteOp } from "../ports/store.js"
import type { LedgerEntry } from "../content/content.js"
import { keys, putJson } from "./records.js"

/** Writes for ledger entries (recorded here or received from this user's other devices). */
export function storeLedgerEntries(entries: LedgerEntry[]): WriteOp[] {
  return entries.map((entry) => putJson(keys.ledger(entry.handle, entry.id), entry))
}
