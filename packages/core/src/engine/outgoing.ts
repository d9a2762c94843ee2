import { newId, ProtocolError } from "@backchannel/protocol"
import { DeliveryUnavailableError } from "../ports/delivery.js"
import { encodeContent, maxTextChars } from "../content/content.js"
import type { Content, Terms } from "../content/content.js"
import { CoreError } from "../errors.js"
import type { CatchUp } from "./commits.js"
import type { Engine } from "./context.js"
import { assertActive, MessageWriter, putGroup, requireConversation, requireGroup } from "./context.js"
import { outgoingMarks, recipientsOf } from "./marks.js"
import { expiryIndex } from "./terms.js"
import { decodeJson, getJson, keys, putJson } from "./records.js"
import type { MessageRecord, OutboxEntry } from "./records.js"

/**
 * Encrypts content for a conversation and hands it to the server. The advanced group state is stored
 * BEFORE the ciphertext leaves the device: a crash after sending must never let the same MLS generation
 * (key and nonce) encrypt a second, different message. On STALE_EPOCH the engine processes the commits
 * it missed and encrypts again in the new epoch.
 */
export async function sendContent(
  e: Engine,
  groupId: string,
  content: Content,
  catchUp: CatchUp,
): Promise<void> {
  for (let attempt = 0; attempt < e.settings.maxRetries; attempt++) {
    const conversation = await requireConversation(e, groupId)
    assertActive(conversation)
    const state = await requireGroup(e, groupId)
    const { message, newState } = await e.mls.encrypt(state, encodeContent(content))
    await e.store.batch([putGroup(e, groupId, newState)])
    // The expiry is the one term the server sees: it deletes the queued copies at that time.
    const expiresAt = content.type === "text" ? content.terms?.expiresAt : undefined
    try {
      await e.delivery.send(groupId, message, expiresAt !== undefined ? { expiresAt } : {})
      return
    } catch (err) {
      if (err instanceof ProtocolError && err.is("STALE_EPOCH")) {
        await catchUp(e)
        continue
      }
      throw err
    }
  }
  throw new CoreError("CONFLICT_RETRIES_EXHAUSTED", "the conversation kept changing while sending; try again")
}

/**
 * Sends a text message. The message and an outbox entry are stored before anything goes to the network,
 * so nothing the user wrote is lost: if the server cannot be reached the message stays "pending" and the
 * next sync sends it. A resend after a lost reply may reach the server twice; receivers keep one copy
 * (deduplication by message id). A refusal (e.g. removed from the conversation) deletes the message
 * again and is reported to the user.
 */
export interface SendOptions {
  replyTo?: string
  /** Opt in to wording marks (meaning-preserving word choices) for this message. */
  wordingMarks?: boolean
}

interface ResolvedSend extends SendOptions {
  terms?: Terms | undefined
  forwardedFrom?: string
}

export async function sendText(
  e: Engine,
  groupId: string,
  text: string,
  options: ResolvedSend,
  catchUp: CatchUp,
): Promise<MessageRecord> {
  if (text.trim().length === 0) throw new CoreError("INVALID_INPUT", "the message is empty")
  if (text.length > maxTextChars)
    throw new CoreError("INVALID_INPUT", `a message holds at most ${maxTextChars} characters`)
  const conversation = await requireConversation(e, groupId)
  assertActive(conversation)
  const id = newId((n) => e.random.bytes(n), 16)
  const sentAt = e.clock.now()
  const reply = options.replyTo !== undefined ? { replyTo: options.replyTo } : {}
  const tm = outgoingMarks(e, options.wordingMarks === true)
  const extras = {
    ...(options.terms !== undefined ? { terms: options.terms } : {}),
    ...(options.forwardedFrom !== undefined ? { forwardedFrom: options.forwardedFrom } : {}),
  }
  const content: Content = {
    v: 1,
    type: "text",
    id,
    text,
    sentAt,
    ...reply,
    ...(tm ? { tm } : {}),
    ...extras,
  }
  const traceable = tm
    ? { marks: { key: tm.key, wording: tm.wording === true }, recipients: recipientsOf(e, conversation) }
    : {}
  const writer = new MessageWriter(e)
  const record = await writer.add({
    id,
    conversationId: groupId,
    kind: "text",
    sender: { handle: e.identity.handle, deviceId: e.identity.deviceId },
    sentAt,
    receivedAt: sentAt,
    outgoing: true,
    status: "pending",
    text,
    ...reply,
    ...traceable,
    ...extras,
  })
  const outboxKey = keys.outbox(sentAt, id)
  const entry: OutboxEntry = { v: 1, conversationId: groupId, content }
  await e.store.batch([
    ...writer.operations(),
    ...expiryIndex(record),
    putJson(outboxKey, entry),
    putJson(keys.conversation(groupId), { ...conversation, lastActivityAt: sentAt }),
  ])
  writer.emit()
  const outcome = await deliverOutboxEntry(e, outboxKey, entry, catchUp)
  if (outcome.kind === "refused") throw outcome.error
  return { ...record, status: outcome.kind }
}

/** Sends every message still waiting in the outbox, oldest first; stops when the server is unreachable. */
export async function flushOutbox(e: Engine, catchUp: CatchUp): Promise<void> {
  for (const { key, value } of await e.store.list(keys.outboxPrefix)) {
    const outcome = await deliverOutboxEntry(e, key, decodeJson<OutboxEntry>(value), catchUp)
    if (outcome.kind === "pending") return
  }
}

async function deliverOutboxEntry(
  e: Engine,
  key: string,
  entry: OutboxEntry,
  catchUp: CatchUp,
): Promise<{ kind: "sent" | "pending" } | { kind: "refused"; error: Error }> {
  try {
    await sendContent(e, entry.conversationId, entry.content, catchUp)
  } catch (err) {
    if (err instanceof DeliveryUnavailableError) return { kind: "pending" }
    await e.store.batch([{ type: "delete", key }, ...(await removeMessage(e, entry.content.id))])
    if (err instanceof ProtocolError || err instanceof CoreError) {
      e.events.emit("warning", {
        code: err.code,
        message: "A message could not be sent and was removed.",
        conversationId: entry.conversationId,
      })
      return { kind: "refused", error: err }
    }
    throw err
  }
  const conversation = await requireConversation(e, entry.conversationId)
  await e.store.batch([
    { type: "delete", key },
    ...(await markSent(e, entry.content.id, recipientsOf(e, conversation))),
  ])
  e.events.emit("messageStatus", {
    id: entry.content.id,
    conversationId: entry.conversationId,
    status: "sent",
  })
  return { kind: "sent" }
}

/** Marks a message sent; its recipients are the members of the epoch it was finally sent in. */
async function markSent(e: Engine, id: string, recipients: MessageRecord["recipients"]) {
  const key = await getJson<string>(e.store, keys.messageId(id))
  const record = key === undefined ? undefined : await getJson<MessageRecord>(e.store, key)
  if (key === undefined || record === undefined) return []
  const updated: MessageRecord = { ...record, status: "sent", ...(record.marks ? { recipients } : {}) }
  return [putJson(key, updated)]
}

async function removeMessage(e: Engine, id: string) {
  const key = await getJson<string>(e.store, keys.messageId(id))
  if (key === undefined) return []
  return [
    { type: "delete" as const, key },
    { type: "delete" as const, key: keys.messageId(id) },
  ]
}
