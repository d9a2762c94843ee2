import { ProtocolError, toB64 } from "@backchannel/protocol"
import { encodeContent, maxTextChars } from "../content/content.js"
import type { Content } from "../content/content.js"
import { CoreError } from "../errors.js"
import type { CatchUp } from "./commits.js"
import type { Engine } from "./context.js"
import { MessageWriter, putGroup, requireConversation, requireGroup } from "./context.js"
import { keys, putJson } from "./records.js"
import type { MessageRecord } from "./records.js"

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
    if (conversation.status !== "active")
      throw new CoreError("NOT_A_MEMBER", "you are no longer in that conversation")
    const state = await requireGroup(e, groupId)
    const { message, newState } = await e.mls.encrypt(state, encodeContent(content))
    await e.store.batch([putGroup(e, groupId, newState)])
    try {
      await e.delivery.send(groupId, message)
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

export async function sendText(
  e: Engine,
  groupId: string,
  text: string,
  options: { replyTo?: string },
  catchUp: CatchUp,
): Promise<MessageRecord> {
  if (text.trim().length === 0) throw new CoreError("INVALID_INPUT", "the message is empty")
  if (text.length > maxTextChars)
    throw new CoreError("INVALID_INPUT", `a message holds at most ${maxTextChars} characters`)
  const id = toB64(e.random.bytes(16))
  const sentAt = e.clock.now()
  const content: Content = {
    v: 1,
    type: "text",
    id,
    text,
    sentAt,
    ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
  }
  await sendContent(e, groupId, content, catchUp)
  const writer = new MessageWriter(e)
  const record = await writer.add({
    id,
    conversationId: groupId,
    kind: "text",
    sender: { handle: e.identity.handle, deviceId: e.identity.deviceId },
    sentAt,
    receivedAt: sentAt,
    outgoing: true,
    text,
    ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
  })
  const conversation = await requireConversation(e, groupId)
  await e.store.batch([
    ...writer.operations(),
    putJson(keys.conversation(groupId), { ...conversation, lastActivityAt: sentAt }),
  ])
  writer.emit()
  return record
}
