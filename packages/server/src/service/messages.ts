import type { SendResponse } from "@backchannel/protocol"
import { sha256 } from "../crypto/ed25519.js"
import type { Caller, ServiceContext } from "./context.js"
import { decodeField } from "./input.js"
import { groupMessageFraming } from "./mls.js"
import { publishDeliveries } from "./publish.js"

/**
 * Sends an application message (HTTP POST /v1/groups/:groupId/messages and the WebSocket `send`
 * frame). It must be a PrivateMessage with application content for this group; the store checks the
 * epoch and membership, stores it once and queues it for every other member device. The reply is
 * sent only after that transaction has committed.
 */
export async function sendMessage(
  ctx: ServiceContext,
  caller: Caller,
  groupId: string,
  message: string,
  expiresAt?: number,
): Promise<SendResponse> {
  const bytes = decodeField(message, "message")
  const framing = groupMessageFraming(bytes, groupId, {
    wireFormats: ["privateMessage"],
    contentType: "application",
  })
  const at = ctx.clock.now()
  const result = await ctx.store.sendMessage({
    groupId,
    senderDeviceId: caller.deviceId,
    epoch: framing.epoch,
    message: bytes,
    messageHash: sha256(bytes),
    at,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  })
  publishDeliveries(ctx, result.delivered, {
    kind: "message",
    groupId,
    sender: { handle: caller.handle, deviceId: caller.deviceId },
    data: message,
    at,
  })
  return { epoch: result.epoch.toString(), recipients: result.delivered.length, duplicate: result.duplicate }
}
