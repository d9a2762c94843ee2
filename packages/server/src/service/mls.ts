import { MlsWireError, ProtocolError, readMlsFraming, toB64 } from "@backchannel/protocol"
import type { MlsFraming } from "@backchannel/protocol"

/** Reads an MLSMessage's framing; anything malformed is MLS_MESSAGE_INVALID. */
export function framingOf(bytes: Uint8Array): MlsFraming {
  try {
    return readMlsFraming(bytes)
  } catch (err) {
    if (err instanceof MlsWireError) throw new ProtocolError("MLS_MESSAGE_INVALID")
    throw err
  }
}

/** A handshake or application message's framing, checked to be of `contentType` for `groupId`. */
export function groupMessageFraming(
  bytes: Uint8Array,
  groupId: string,
  accept: {
    wireFormats: readonly ("publicMessage" | "privateMessage")[]
    contentType: "application" | "commit"
  },
): { epoch: bigint } {
  const framing = framingOf(bytes)
  if (framing.wireFormat !== "publicMessage" && framing.wireFormat !== "privateMessage") {
    throw new ProtocolError("MLS_MESSAGE_INVALID")
  }
  if (!accept.wireFormats.includes(framing.wireFormat)) throw new ProtocolError("MLS_MESSAGE_INVALID")
  if (framing.contentType !== accept.contentType) throw new ProtocolError("MLS_MESSAGE_INVALID")
  if (toB64(framing.groupId) !== groupId) throw new ProtocolError("MLS_MESSAGE_INVALID")
  return { epoch: framing.epoch }
}
