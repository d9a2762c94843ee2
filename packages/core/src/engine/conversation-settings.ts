import { newId } from "@backchannel/protocol"
import { CoreError } from "../errors.js"
import type { CatchUp } from "./commits.js"
import type { Engine } from "./context.js"
import { MessageWriter, requireConversation } from "./context.js"
import { sendContent } from "./outgoing.js"
import { keys, putJson } from "./records.js"
import type { ConversationRecord } from "./records.js"
import { applyDefaults, normaliseDefaults } from "./terms.js"
import type { TermsInput } from "./terms.js"

/** Sets a conversation's default terms for everyone: a `terms` message, shown to all as an event. */
export async function setDefaultTerms(
  e: Engine,
  conversationId: string,
  input: TermsInput,
  catchUp: CatchUp,
): Promise<ConversationRecord> {
  const conversation = await requireConversation(e, conversationId)
  if (conversation.status !== "active")
    throw new CoreError("NOT_A_MEMBER", "you are no longer in that conversation")
  const defaults = await normaliseDefaults(e, input)
  const id = newId((n) => e.random.bytes(n), 16)
  await sendContent(e, conversationId, { v: 1, type: "terms", id, sentAt: e.clock.now(), defaults }, catchUp)
  const writer = new MessageWriter(e)
  const me = { handle: e.identity.handle, deviceId: e.identity.deviceId }
  const updated = await applyDefaults(e, conversation, defaults, me, id, writer)
  await e.store.batch([putJson(keys.conversation(conversationId), updated), ...writer.operations()])
  writer.emit()
  e.events.emit("conversation", updated)
  return updated
}
