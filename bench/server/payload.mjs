// MLS-shaped bench messages: a syntactically valid MLSMessage (RFC 9420 §6) of wire format
// mls_private_message, content type application, for a given group at epoch 0, whose 1 KiB
// "ciphertext" carries the generator's bookkeeping (run step, sender index, sequence number,
// scheduled send time) followed by random filler. The server only reads the framing, so these are
// accepted exactly like real MLS application messages; every message is distinct (no dedup).
import { randomBytes } from "node:crypto"

export const CIPHERTEXT_BYTES = 1024
const SENDER_DATA_BYTES = 28
const filler = randomBytes(CIPHERTEXT_BYTES)

function header(groupIdBytes) {
  if (groupIdBytes.length !== 32) throw new Error("group id must be 32 bytes")
  const h = Buffer.alloc(2 + 2 + 1 + 32 + 8 + 1 + 1 + 1 + SENDER_DATA_BYTES + 2)
  let o = 0
  h.writeUInt16BE(1, o) // version mls10
  o += 2
  h.writeUInt16BE(2, o) // mls_private_message
  o += 2
  h[o++] = 32 // varint length of group_id
  groupIdBytes.copy(h, o)
  o += 32
  h.writeBigUInt64BE(0n, o) // epoch
  o += 8
  h[o++] = 1 // content type application
  h[o++] = 0 // authenticated_data: empty
  h[o++] = SENDER_DATA_BYTES // encrypted_sender_data
  randomBytes(SENDER_DATA_BYTES).copy(h, o)
  o += SENDER_DATA_BYTES
  h.writeUInt16BE(0x4000 | CIPHERTEXT_BYTES, o) // 2-byte varint length of the ciphertext
  return h
}

/** Offset of the ciphertext (and so of the bookkeeping) inside every message built here. */
export const PAYLOAD_OFFSET = header(Buffer.alloc(32)).length
export const MESSAGE_BYTES = PAYLOAD_OFFSET + CIPHERTEXT_BYTES

const headers = new Map()

/** A complete message for `groupId` (32 raw bytes, or null for XMPP where no group id is needed). */
export function buildMessage(groupIdBytes, step, sender, seq, scheduledMs) {
  const gid = groupIdBytes ?? Buffer.alloc(32)
  const key = gid.toString("hex")
  let h = headers.get(key)
  if (h === undefined) {
    h = header(gid)
    headers.set(key, h)
  }
  const out = Buffer.allocUnsafe(MESSAGE_BYTES)
  h.copy(out, 0)
  filler.copy(out, PAYLOAD_OFFSET)
  out.writeUInt32BE(step, PAYLOAD_OFFSET)
  out.writeUInt32BE(sender, PAYLOAD_OFFSET + 4)
  out.writeUInt32BE(seq, PAYLOAD_OFFSET + 8)
  out.writeDoubleBE(scheduledMs, PAYLOAD_OFFSET + 12)
  return out
}

/** Bookkeeping from an encoded message (base64url for ours, base64 for XMPP: the first chars suffice). */
export function readStamp(encoded, encoding) {
  const chars = Math.ceil((PAYLOAD_OFFSET + 20) / 3) * 4
  const b = Buffer.from(encoded.slice(0, chars), encoding)
  return {
    step: b.readUInt32BE(PAYLOAD_OFFSET),
    sender: b.readUInt32BE(PAYLOAD_OFFSET + 4),
    seq: b.readUInt32BE(PAYLOAD_OFFSET + 8),
    scheduledMs: b.readDoubleBE(PAYLOAD_OFFSET + 12),
  }
}
