import { fromB64, toB64 } from "@backchannel/protocol"
import type { QueueItem } from "@backchannel/protocol"
import type { WriteOp } from "../ports/store.js"
import { DeliveryUnavailableError } from "../ports/delivery.js"
import { decodeContent, decodeGroupMeta } from "../content/content.js"
import type { Content } from "../content/content.js"
import type { MlsMember, ProcessedMessage } from "../mls/mls-engine.js"
import { dropBeatenPending } from "./commits.js"
import type { Engine } from "./context.js"
import { loadConversation, loadGroup, MessageWriter, putGroup } from "./context.js"
import { findOwnKeyPackage } from "./key-packages.js"
import { storeLedgerEntries } from "./ledger-store.js"
import { ownCopy, recipientsOf } from "./marks.js"
import { outsidersAmong, rememberContacts } from "./people.js"
import { applyDefaults, expiryIndex, tombstone } from "./terms.js"
import { membersAfter, recordMembershipChange } from "./membership-records.js"
import { getJson, keys, putJson } from "./records.js"
import type { ConversationRecord, IdentityRecord } from "./records.js"

/**
 * Processes queue items in order. Each item's effects (group state, messages, conversation, and the
 * cursor) are written in one batch, so a crash replays at most the item in flight, and deduplication by
 * message id keeps a replayed message from showing twice. Returns the seq of the last item processed.
 *
 * An item that cannot be used (undecryptable, forged, for an unknown group) is reported as a warning
 * and skipped; a failure to reach the server (e.g. for a directory lookup) stops processing so the item
 * is retried later.
 */
export async function processItems(e: Engine, items: QueueItem[]): Promise<number | undefined> {
  let cursor = (await getJson<number>(e.store, keys.cursor)) ?? 0
  for (const item of items) {
    if (item.seq <= cursor) continue
    let ops: WriteOp[] = []
    const writer = new MessageWriter(e)
    let after: () => void = () => undefined
    try {
      const outcome = await processItem(e, item, writer)
      ops = outcome.ops
      after = outcome.after
    } catch (err) {
      if (err instanceof DeliveryUnavailableError) throw err
      e.events.emit("warning", {
        code: "ITEM_UNUSABLE",
        message: "A message could not be decrypted or verified and was skipped.",
        ...(item.groupId !== undefined ? { conversationId: item.groupId } : {}),
      })
    }
    cursor = item.seq
    await e.store.batch([...ops, ...writer.operations(), putJson(keys.cursor, cursor)])
    writer.emit()
    after()
  }
  return cursor
}

interface Outcome {
  ops: WriteOp[]
  after: () => void
}

const nothing: Outcome = { ops: [], after: () => undefined }

async function processItem(e: Engine, item: QueueItem, writer: MessageWriter): Promise<Outcome> {
  switch (item.kind) {
    case "welcome":
      return item.data === undefined ? nothing : processWelcome(e, fromB64(item.data), writer)
    case "commit":
    case "message":
      if (item.data === undefined || item.groupId === undefined) return nothing
      return processGroupMessage(e, item.groupId, fromB64(item.data), writer)
    case "event":
      if (
        item.event?.type === "device-enrolled" &&
        item.event.handle === e.identity.handle &&
        item.event.deviceId !== e.identity.deviceId
      ) {
        // Recorded with the cursor, so the work survives a crash; sync runs it after the queue.
        return {
          ops: [putJson(keys.todoAddDevice(item.event.deviceId), item.event.deviceId)],
          after: () => undefined,
        }
      }
      return nothing
  }
}

async function processWelcome(e: Engine, bytes: Uint8Array, writer: MessageWriter): Promise<Outcome> {
  const refs = e.mls.welcomeRefs(bytes)
  let own
  for (const ref of refs) {
    own = await findOwnKeyPackage(e, ref)
    if (own) break
  }
  if (own === undefined) throw new Error("no key package of this device matches the Welcome")
  const { state, meta: metaBytes } = await e.mls.join(bytes, own)
  const groupId = toB64(e.mls.groupId(state))
  const ops: WriteOp[] = []
  if (!own.record.lastResort) ops.push({ type: "delete", key: keys.keyPackage(own.record.ref) })
  const existing = await loadConversation(e, groupId)
  if (existing?.status === "active" && (await loadGroup(e, groupId)) !== undefined)
    return { ops, after: () => undefined }
  const meta = metaBytes ? decodeGroupMeta(metaBytes) : undefined
  const now = e.clock.now()
  const members = membersAfter(e, state, [])
  const others = [...new Set(members.map((m) => m.handle))].filter((h) => h !== e.identity.handle)
  const kind = meta?.kind ?? (others.length === 1 ? "direct" : "group")
  // A verified-only conversation that already holds an outsider breaks its own rule: do not join it.
  const outsiders = meta?.verifiedOnly === true ? await outsidersAmong(e, others) : []
  const frozenReason =
    outsiders.length > 0
      ? `it is marked verified-only but includes outsiders (${outsiders.map((o) => o.handle).join(", ")})`
      : undefined
  const conversation: ConversationRecord = {
    v: 1,
    id: groupId,
    kind,
    ...(meta?.name !== undefined ? { name: meta.name } : {}),
    ...(kind === "direct" && others[0] !== undefined ? { peer: others[0] } : {}),
    createdBy: meta?.createdBy ?? "",
    createdAt: meta?.createdAt ?? now,
    members,
    status: frozenReason === undefined ? "active" : "frozen",
    ...(frozenReason !== undefined ? { frozenReason } : {}),
    ...(meta?.verifiedOnly === true ? { verifiedOnly: true } : {}),
    ...(meta?.defaultTerms !== undefined ? { defaultTerms: meta.defaultTerms } : {}),
    joinedAt: now,
    lastActivityAt: now,
    unread: 0,
  }
  if (frozenReason !== undefined) {
    await writer.addEvent(groupId, { type: "frozen", reason: frozenReason })
    ops.push(putJson(keys.conversation(groupId), conversation))
    return { ops, after: () => e.events.emit("conversation", conversation) }
  }
  ops.push(...rememberContacts(e, others))
  await writer.addEvent(groupId, { type: "joined" })
  ops.push(putGroup(e, groupId, state), putJson(keys.conversation(groupId), conversation))
  if (kind === "self" && meta?.createdBy === e.identity.handle) {
    const identity: IdentityRecord = { ...e.identity, selfGroupId: groupId }
    ops.push(putJson(keys.identity, identity))
    e.identity = identity
  }
  return { ops, after: () => e.events.emit("conversation", conversation) }
}

async function processGroupMessage(
  e: Engine,
  groupId: string,
  bytes: Uint8Array,
  writer: MessageWriter,
): Promise<Outcome> {
  const state = await loadGroup(e, groupId)
  const conversation = await loadConversation(e, groupId)
  if (state === undefined || conversation === undefined)
    throw new Error("message for a group this device is not in")
  const processed = await e.mls.process(state, bytes)
  if (processed.kind === "commit")
    return applyCommit(e, conversation, state.groupContext.epoch, processed, writer)
  const ops: WriteOp[] = [putGroup(e, groupId, processed.newState)]
  const content = decodeContent(processed.plaintext)
  const effect = await applyContent(e, conversation, processed.sender, content, writer)
  return { ops: [...ops, ...effect.ops], after: effect.after }
}

async function applyCommit(
  e: Engine,
  conversation: ConversationRecord,
  epochBefore: bigint,
  processed: Extract<ProcessedMessage, { kind: "commit" }>,
  writer: MessageWriter,
): Promise<Outcome> {
  const ops: WriteOp[] = await dropBeatenPending(e, conversation.id, epochBefore)
  if (ops.length > 0) {
    e.events.emit("warning", {
      code: "COMMIT_SUPERSEDED",
      message: "Another member changed the conversation first; your pending change was dropped.",
      conversationId: conversation.id,
    })
  }
  if (processed.removedSelf) {
    const updated: ConversationRecord = { ...conversation, status: "removed", lastActivityAt: e.clock.now() }
    await writer.addEvent(
      conversation.id,
      { type: "you-were-removed", ...(processed.committer ? { actor: processed.committer.handle } : {}) },
      processed.committer,
    )
    ops.push(
      { type: "delete", key: keys.group(conversation.id) },
      putJson(keys.conversation(conversation.id), updated),
    )
    return { ops, after: () => e.events.emit("conversation", updated) }
  }
  const members = membersAfter(e, processed.newState, conversation.members)
  const addedHandles = [...new Set(processed.added.map((m) => m.handle))]
  // Every member enforces a verified-only conversation: a commit that brings in an outsider is refused.
  // The new epoch is not taken, so this device stops sending into the conversation; it is frozen.
  const outsiders = conversation.verifiedOnly === true ? await outsidersAmong(e, addedHandles) : []
  if (outsiders.length > 0) {
    const who = outsiders.map((o) => `${o.displayName} (${o.handle})`).join(", ")
    const reason = `${processed.committer?.handle ?? "a member"} added ${who}, not verified by the operator, to a verified-only conversation`
    const frozen: ConversationRecord = {
      ...conversation,
      status: "frozen",
      frozenReason: reason,
      lastActivityAt: e.clock.now(),
    }
    await writer.addEvent(
      conversation.id,
      { type: "frozen", ...(processed.committer ? { actor: processed.committer.handle } : {}), reason },
      processed.committer,
    )
    ops.push(putJson(keys.conversation(conversation.id), frozen))
    return {
      ops,
      after: () => {
        e.events.emit("warning", {
          code: "POLICY_VIOLATION",
          message: `The conversation was frozen: ${reason}.`,
          conversationId: conversation.id,
        })
        e.events.emit("conversation", frozen)
      },
    }
  }
  await recordMembershipChange(e, conversation, conversation.members, members, processed.committer, writer)
  const updated: ConversationRecord = { ...conversation, members, lastActivityAt: e.clock.now() }
  ops.push(
    putGroup(e, conversation.id, processed.newState),
    putJson(keys.conversation(conversation.id), updated),
    ...rememberContacts(e, addedHandles),
  )
  return { ops, after: () => e.events.emit("conversation", updated) }
}

async function applyContent(
  e: Engine,
  conversation: ConversationRecord,
  sender: MlsMember,
  content: Content,
  writer: MessageWriter,
): Promise<Outcome> {
  if (content.type === "text") {
    if ((await e.store.get(keys.messageId(content.id))) !== undefined) return nothing
    const fromMe = sender.handle === e.identity.handle
    // Someone else's message is shown (and kept) only as this device's own marked copy; a message this
    // user wrote on another device is kept as written, with what tracing a leak of it needs.
    const expired = content.terms?.expiresAt !== undefined && content.terms.expiresAt <= e.clock.now()
    const copy =
      !fromMe && !expired && content.tm ? ownCopy(e, content.id, content.text, content.tm) : undefined
    const traceable =
      fromMe && content.tm
        ? {
            marks: { key: content.tm.key, wording: content.tm.wording === true },
            recipients: recipientsOf(e, conversation),
          }
        : {}
    const received = await writer.add({
      id: content.id,
      conversationId: conversation.id,
      kind: "text",
      sender: { handle: sender.handle, deviceId: sender.deviceId },
      sentAt: content.sentAt,
      receivedAt: e.clock.now(),
      outgoing: fromMe,
      text: copy?.text ?? content.text,
      ...(copy ? { plan: copy.plan } : {}),
      ...traceable,
      ...(content.replyTo !== undefined ? { replyTo: content.replyTo } : {}),
      ...(content.terms !== undefined ? { terms: content.terms } : {}),
      ...(content.forwardedFrom !== undefined ? { forwardedFrom: content.forwardedFrom } : {}),
    })
    // Already past its expiry (this device was offline): store only that it existed.
    if (expired) writer.replace(tombstone(received, "expired"))
    const updated: ConversationRecord = {
      ...conversation,
      lastActivityAt: e.clock.now(),
      unread: fromMe ? conversation.unread : conversation.unread + 1,
    }
    return {
      ops: [putJson(keys.conversation(conversation.id), updated), ...(expired ? [] : expiryIndex(received))],
      after: () => e.events.emit("conversation", updated),
    }
  }
  if (content.type === "terms") {
    const updated = await applyDefaults(e, conversation, content.defaults, sender, content.id, writer)
    return {
      ops: [putJson(keys.conversation(conversation.id), updated)],
      after: () => e.events.emit("conversation", updated),
    }
  }
  if (content.type === "meta") {
    const updated: ConversationRecord = {
      ...conversation,
      ...(content.meta.name !== undefined ? { name: content.meta.name } : {}),
    }
    return {
      ops: [putJson(keys.conversation(conversation.id), updated)],
      after: () => e.events.emit("conversation", updated),
    }
  }
  // User-level secrets and the ledger are accepted only from this user's own devices, in the self group.
  if (conversation.kind !== "self" || sender.handle !== e.identity.handle) return nothing
  if (content.type === "ledger") return { ops: storeLedgerEntries(content.entries), after: () => undefined }
  if (content.senderTracemarkPrivateKey === undefined || e.identity.senderTracemarkPrivateKey !== undefined) {
    return nothing
  }
  const identity: IdentityRecord = {
    ...e.identity,
    senderTracemarkPrivateKey: content.senderTracemarkPrivateKey,
  }
  e.identity = identity
  return { ops: [putJson(keys.identity, identity)], after: () => undefined }
}
