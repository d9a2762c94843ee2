import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js"
import { TracemarkError } from "./errors.js"

const slotLabel = utf8ToBytes("backchannel/tracemark/v1/slot\u0000")

/**
 * The option (0 ≤ choice < options) that a copy secret selects for one slot: HMAC-SHA256 keyed by the
 * copy secret over the slot's key, read byte by byte with rejection sampling so every option is exactly
 * equally likely. The secret is already per (message, recipient device), so slot keys only need to be
 * unique within one message.
 */
export function slotChoice(secret: Uint8Array, slotKey: string, options: number): number {
  if (secret.length !== 32) throw new TracemarkError("SECRET_INVALID")
  if (!Number.isInteger(options) || options < 2 || options > 256) throw new RangeError("options out of range")
  const limit = 256 - (256 % options)
  for (let counter = 0; ; counter++) {
    const block = hmac(
      sha256,
      secret,
      concatBytes(slotLabel, utf8ToBytes(slotKey), new Uint8Array([counter])),
    )
    for (const byte of block) if (byte < limit) return byte % options
  }
}
