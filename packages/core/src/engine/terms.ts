import { defaultLabels } from "@backchannel/protocol"
import type { Label } from "@backchannel/protocol"
import { DeliveryUnavailableError } from "../ports/delivery.js"
import type { WriteOp } from "../ports/store.js"
import type { DefaultTerms, Terms } from "../content/content.js"
import { CoreError } from "../errors.js"
import type { Engine } from "./context.js"
import type { MessageWriter } from "./context.js"
import { decodeJson, getJson, keys, putJson } from "./records.js"
import type { ConversationRecord, MessageRecord } from "./records.js"

/** What a user asks for when sending; unset fields fall back to the conversation's default terms. */
export interface TermsInput {
  label?: string
  expiresInMs?: number
  viewOnce?: boolean
  noForward?: boolean
}

const maxExpiryMs = 365 * 24 * 60 * 60 * 1000

/** The operator's labels (most sensitive first): from the server, else as last fetched, else the defaults. */
export async function operatorLabels(e: Engine): Promise<Label[]> {
  try {
    const { labels } = await e.delivery.config()
    await e.store.batch([putJson(keys.labels, labels)])
    return labels
  } catch (err) {
    if (!(err instanceof DeliveryUnavailableError)) throw err
    return (await getJson<Label[]>(e.store, keys.labels)) ?? defaultLabels
  }
}

function findLabel(labels: Label[], name: string): Label {
  const label = labels.find((l) => l.name.toLowerCase() === name.trim().toLowerCase())
  if (label === undefined) {
    throw new CoreError(
      "INVALID_INPUT",
      `"${name}" is not one of the operator's labels: ${labels.map((l) => l.name).join(", ")}`,
    )
  }
  return label
}

/** Checks and normalises default terms (the label must be the operator's). */
export async function normaliseDefaults(e: Engine, input: TermsInput): Promise<DefaultTerms> {
  const label = input.label === undefined ? undefined : findLabel(await operatorLabels(e), input.label)
  if (input.expiresInMs !== undefined && !(input.expiresInMs > 0 && input.expiresInMs <= maxExpiryMs)) {
    throw new CoreError("INVALID_INPUT", "an expiry is between one second and one year")
  }
  return {
    ...(label ? { label: label.name, level: label.level } : {}),
    ...(input.expiresInMs !== undefined ? { expiresAfterMs: input.expiresInMs } : {}),
    ...(input.viewOnce === true ? { viewOnce: true } : {}),
    ...(input.noForward === true ? { noForward: true } : {}),
  }
}

/** The terms of a new message: what the sender chose, else the conversation's defaults. */
export async function resolveTerms(
  e: Engine,
  conversation: ConversationRecord,
  input: TermsInput,
): Promise<Terms | undefined> {
  const chosen = await normaliseDefaults(e, input)
  const defaults = conversation.defaultTerms ?? {}
  const label = chosen.label !== undefined ? chosen : defaults
  const expiresAfterMs = chosen.expiresAfterMs ?? defaults.expiresAfterMs
  const terms: Terms = {
    ...(label.label !== undefined
      ? { label: label.label, ...(label.level !== undefined ? { level: label.level } : {}) }
      : {}),
    ...(expiresAfterMs !== undefined ? { expiresAt: e.clock.now() + expiresAfterMs } : {}),
    ...(chosen.viewOnce === true || defaults.viewOnce === true ? { viewOnce: true } : {}),
    ...(chosen.noForward === true || defaults.noForward === true ? { noForward: true } : {}),
  }
  return Object.keys(terms).length === 0 ? undefined : terms
}

/** The record and event of new default terms (sent by this device or received). */
export async function applyDefaults(
  e: Engine,
  conversation: ConversationRecord,
  defaults: DefaultTerms,
  actor: { handle: string; deviceId: string },
  id: string,
  writer: MessageWriter,
): Promise<ConversationRecord> {
  await writer.addEvent(conversation.id, { type: "terms", actor: actor.handle, defaults }, actor, id)
  const { defaultTerms: _previous, ...rest } = conversation
  return Object.keys(defaults).length === 0 ? rest : { ...rest, defaultTerms: defaults }
}

/** Writes for a message with an expiry: the index entry the sweep uses. */
export function expiryIndex(record: Pick<MessageRecord, "id" | "terms">): WriteOp[] {
  const expiresAt = record.terms?.expiresAt
  return expiresAt === undefined ? [] : [putJson(keys.expiry(expiresAt, record.id), record.id)]
}

/** A message whose content is gone from this device: text and render plan deleted, metadata kept. */
export function tombstone(record: MessageRecord, why: "expired" | "viewed"): MessageRecord {
  const { text: _text, plan: _plan, recipients: _recipients, marks: _marks, ...rest } = record
  return { ...rest, removed: why }
}

/**
 * Deletes the content of every message whose expiry has passed, on this device. Run before messages are
 * listed and on every sync; an expired message is deleted from storage, not hidden.
 */
export async function sweepExpired(e: Engine): Promise<number> {
  const now = e.clock.now()
  const due = await e.store.list(keys.expiryPrefix, { limit: 500 })
  let swept = 0
  for (const { key, value } of due) {
    const expiresAt = Number(key.split("/")[1])
    if (expiresAt > now) break
    const messageKey = await getJson<string>(e.store, keys.messageId(decodeJson<string>(value)))
    const record = messageKey === undefined ? undefined : await getJson<MessageRecord>(e.store, messageKey)
    const ops: WriteOp[] = [{ type: "delete", key }]
    if (messageKey !== undefined && record !== undefined && record.removed === undefined) {
      const gone = tombstone(record, "expired")
      ops.push(putJson(messageKey, gone))
      e.events.emit("message", gone)
      swept += 1
    }
    await e.store.batch(ops)
  }
  return swept
}

/** Shows a view-once message once: returns its text and deletes it from this device in the same step. */
export async function viewOnce(e: Engine, messageId: string): Promise<MessageRecord> {
  const key = await getJson<string>(e.store, keys.messageId(messageId))
  const record = key === undefined ? undefined : await getJson<MessageRecord>(e.store, key)
  if (key === undefined || record === undefined)
    throw new CoreError("INVALID_INPUT", "no message has that id on this device")
  if (record.terms?.viewOnce !== true || record.outgoing)
    throw new CoreError("INVALID_INPUT", "that is not a view-once message you received")
  if (record.removed !== undefined)
    throw new CoreError("POLICY_REFUSED", `that message was already ${record.removed}`)
  const gone = tombstone(record, "viewed")
  await e.store.batch([putJson(key, gone)])
  e.events.emit("message", gone)
  return record
}
