import { fromB64, toB64 } from "@backchannel/protocol"
import { deriveCopySecret, markCopy } from "@backchannel/tracemark"
import type { MarkedCopy, MarkOptions, RenderPlan } from "@backchannel/tracemark"
import type { TracemarkContent } from "../content/content.js"
import { CoreError } from "../errors.js"
import { x25519PublicKey } from "../identity/device-keys.js"
import type { Engine } from "./context.js"
import type { ConversationRecord, MessageRecord } from "./records.js"

/**
 * Tracemark in the engine. A message's marks are decided per recipient device by a secret that only the
 * sender's user key and that device's key can derive. Recipients store only their own marked copy; the
 * sender's devices keep what tracing needs (the original, how it was marked, who received it).
 */

/** Typographic, layout, overlay and invisible marks are on by default; wording marks are the sender's choice. */
export function markOptions(wording: boolean): MarkOptions {
  return { wording }
}

/** The tracemark data this device puts in a message it sends, or undefined if it has no sender key yet. */
export function outgoingMarks(e: Engine, wording: boolean): TracemarkContent | undefined {
  const senderKey = e.identity.senderTracemarkPrivateKey
  if (senderKey === undefined) return undefined
  return { v: 1, key: toB64(x25519PublicKey(fromB64(senderKey))), ...(wording ? { wording: true } : {}) }
}

/** This device's own copy of a received message: the marked text and the plan its bubble is drawn from. */
export function ownCopy(
  e: Engine,
  messageId: string,
  text: string,
  tm: TracemarkContent,
): { text: string; plan: RenderPlan } | undefined {
  try {
    const senderPublicKey = fromB64(tm.key)
    const recipientPublicKey = fromB64(e.identity.tracemarkPublicKey)
    const secret = deriveCopySecret({
      ownPrivateKey: fromB64(e.identity.tracemarkPrivateKey),
      peerPublicKey: senderPublicKey,
      senderPublicKey,
      recipientPublicKey,
      messageId,
    })
    const copy = markCopy({ text, messageId, secret, options: markOptions(tm.wording === true) })
    return { text: copy.text, plan: copy.plan }
  } catch {
    // A malformed sender key only spoils the sender's own ability to trace; show the text unmarked.
    return undefined
  }
}

/** The other people's devices in a conversation: who receives a marked copy of what this user sends. */
export function recipientsOf(
  e: Engine,
  conversation: ConversationRecord,
): Array<{ handle: string; deviceId: string }> {
  return conversation.members
    .filter((m) => m.handle !== e.identity.handle)
    .map((m) => ({ handle: m.handle, deviceId: m.deviceId }))
}

/**
 * The sender side of a copy secret: this user's sender key and a recipient device's tracemark key. The
 * message must have been marked with the sender key this device holds.
 */
export function senderSecret(e: Engine, message: MessageRecord, recipientPublicKey: Uint8Array): Uint8Array {
  const senderKey = e.identity.senderTracemarkPrivateKey
  if (senderKey === undefined)
    throw new CoreError("INVALID_INPUT", "this device does not hold your tracemark key yet")
  const ownPrivateKey = fromB64(senderKey)
  const senderPublicKey = x25519PublicKey(ownPrivateKey)
  if (message.marks?.key !== toB64(senderPublicKey)) {
    throw new CoreError(
      "INVALID_INPUT",
      "that message was not marked with the tracemark key this device holds",
    )
  }
  return deriveCopySecret({
    ownPrivateKey,
    peerPublicKey: recipientPublicKey,
    senderPublicKey,
    recipientPublicKey,
    messageId: message.id,
  })
}

/** What one recipient device was shown for a message this user sent (the sender's preview). */
export async function previewCopy(
  e: Engine,
  message: MessageRecord,
  handle: string,
  deviceId: string,
): Promise<MarkedCopy> {
  if (message.marks === undefined || message.text === undefined) {
    throw new CoreError("INVALID_INPUT", "only marked messages written by you have per-recipient copies")
  }
  const device = await e.directory.device(handle, deviceId)
  if (device === undefined) throw new CoreError("UNKNOWN_PERSON", "that device is not in the directory")
  const secret = senderSecret(e, message, fromB64(device.tracemarkPublicKey))
  return markCopy({
    text: message.text,
    messageId: message.id,
    secret,
    options: markOptions(message.marks.wording),
  })
}
