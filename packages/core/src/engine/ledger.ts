import { newId } from "@backchannel/protocol"
import type { WriteOp } from "../ports/store.js"
import type { LedgerEntry } from "../content/content.js"
import { CoreError } from "../errors.js"
import type { CatchUp } from "./commits.js"
import type { Engine } from "./context.js"
import { sendContent } from "./outgoing.js"
import { decodeJson, getJson, keys, putJson } from "./records.js"
import type { ConversationRecord, MessageRecord } from "./records.js"
import { operatorLabels } from "./terms.js"
import type { TraceResult } from "./trace.js"

/**
 * The trust ledger: this user's own record of who leaked what, kept sealed with the user's other local
 * data and shared among the user's devices through the private self conversation. A breach can be
 * recorded only from a leak check that attributed the leak to that person (band attributable or
 * conclusive), with its evidence. A person's standing starts at the operator's most sensitive label
 * level and drops by one per recorded breach; sending a message labelled above a member's standing needs
 * confirmation.
 */

export interface Standing {
  handle: string
  breaches: LedgerEntry[]
  /** The highest label level this person may receive without a confirmation. */
  standing: number
}

/** Stores a trace result as the evidence a breach can later be recorded from. */
export function rememberTrace(result: TraceResult): WriteOp[] {
  return result.leaks.map((leak) => putJson(keys.trace(leak.message), result))
}

export async function ledger(e: Engine): Promise<LedgerEntry[]> {
  return (await e.store.list(keys.ledgerPrefix)).map((r) => decodeJson<LedgerEntry>(r.value))
}

export async function standingOf(e: Engine, handle: string, maxLevel?: number): Promise<Standing> {
  const top = maxLevel ?? Math.max(0, ...(await operatorLabels(e)).map((l) => l.level))
  const breaches = (await e.store.list(keys.ledgerOf(handle))).map((r) => decodeJson<LedgerEntry>(r.value))
  return { handle, breaches, standing: Math.max(0, top - breaches.length) }
}

/** The members of a conversation whose standing is below `level` (people with recorded breaches). */
export async function membersBelow(
  e: Engine,
  conversation: ConversationRecord,
  level: number,
): Promise<Standing[]> {
  const top = Math.max(0, ...(await operatorLabels(e)).map((l) => l.level))
  const handles = [...new Set(conversation.members.map((m) => m.handle))].filter(
    (h) => h !== e.identity.handle,
  )
  const out: Standing[] = []
  for (const handle of handles) {
    const standing = await standingOf(e, handle, top)
    if (standing.standing < level) out.push(standing)
  }
  return out
}

/** Records a breach against a person from the stored leak check of a message; shares it with this user's devices. */
export async function recordBreach(
  e: Engine,
  input: { handle: string; messageId: string; note?: string },
  catchUp: CatchUp,
): Promise<LedgerEntry> {
  const result = await getJson<TraceResult>(e.store, keys.trace(input.messageId))
  const candidate = result?.candidates.find((c) => c.handle === input.handle)
  if (result === undefined || candidate === undefined || candidate.band === "inconclusive") {
    throw new CoreError(
      "INVALID_INPUT",
      "no leak check of that message attributed it to that person; run a leak check (trace) first",
    )
  }
  if (input.note !== undefined && input.note.length > 1000)
    throw new CoreError("INVALID_INPUT", "a note holds at most 1000 characters")
  const messageKey = await getJson<string>(e.store, keys.messageId(input.messageId))
  const message = messageKey === undefined ? undefined : await getJson<MessageRecord>(e.store, messageKey)
  const entry: LedgerEntry = {
    v: 1,
    id: newId((n) => e.random.bytes(n), 16),
    handle: input.handle,
    messageId: input.messageId,
    band: candidate.band,
    pValue: candidate.pValue,
    adjustedP: candidate.adjustedP,
    ...(message?.terms?.label !== undefined ? { label: message.terms.label } : {}),
    ...(message?.terms?.level !== undefined ? { level: message.terms.level } : {}),
    ...(input.note !== undefined && input.note.trim() !== "" ? { note: input.note.trim() } : {}),
    recordedAt: e.clock.now(),
  }
  await e.store.batch([putJson(keys.ledger(entry.handle, entry.id), entry)])
  await shareLedger(e, [entry], catchUp)
  return entry
}

/** Sends ledger entries to this user's other devices, inside the self conversation. */
export async function shareLedger(e: Engine, entries: LedgerEntry[], catchUp: CatchUp): Promise<void> {
  const selfGroupId = e.identity.selfGroupId
  if (selfGroupId === undefined || entries.length === 0) return
  for (let i = 0; i < entries.length; i += 200) {
    const chunk = entries.slice(i, i + 200)
    await sendContent(
      e,
      selfGroupId,
      {
        v: 1,
        type: "ledger",
        id: newId((n) => e.random.bytes(n), 16),
        sentAt: e.clock.now(),
        entries: chunk,
      },
      catchUp,
    )
  }
}
