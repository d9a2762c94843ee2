import { x25519 } from "@noble/curves/ed25519.js"
import { hkdf } from "@noble/hashes/hkdf.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js"
import { TracemarkError } from "./errors.js"

/** An X25519 key pair: a device's recipient key, or a user's sender key shared by the user's devices. */
export interface TracemarkKeyPair {
  privateKey: Uint8Array
  publicKey: Uint8Array
}

const secretLabel = utf8ToBytes("backchannel/tracemark/v1/copy-secret")

/** A fresh key pair from 32 random bytes supplied by the caller's randomness port. */
export function tracemarkKeyPairFromSeed(seed: Uint8Array): TracemarkKeyPair {
  if (seed.length !== 32) throw new TracemarkError("KEY_INVALID")
  const privateKey = seed.slice()
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) }
}

export interface CopySecretInput {
  /** The private half held by this side: the sender user key (sender) or the device key (recipient). */
  ownPrivateKey: Uint8Array
  /** The other side's public key. */
  peerPublicKey: Uint8Array
  senderPublicKey: Uint8Array
  recipientPublicKey: Uint8Array
  messageId: string
}

/**
 * The 32-byte secret that decides one recipient device's marks for one message:
 * HKDF-SHA256(ikm = X25519(own, peer), salt = label, info = label ‖ len‖messageId ‖ senderPub ‖ recipientPub).
 * The sender (any device holding the user's sender key) and that recipient device compute the same
 * value; any other party lacks both private keys and cannot (no framing).
 */
export function deriveCopySecret(input: CopySecretInput): Uint8Array {
  const { ownPrivateKey, peerPublicKey, senderPublicKey, recipientPublicKey, messageId } = input
  for (const key of [ownPrivateKey, peerPublicKey, senderPublicKey, recipientPublicKey]) {
    if (key.length !== 32) throw new TracemarkError("KEY_INVALID")
  }
  if (messageId.length === 0) throw new TracemarkError("MESSAGE_ID_INVALID")
  let shared: Uint8Array
  try {
    shared = x25519.getSharedSecret(ownPrivateKey, peerPublicKey)
  } catch {
    throw new TracemarkError("KEY_INVALID")
  }
  const id = utf8ToBytes(messageId)
  const idLength = new Uint8Array([(id.length >>> 8) & 0xff, id.length & 0xff])
  const info = concatBytes(secretLabel, idLength, id, senderPublicKey, recipientPublicKey)
  const secret = hkdf(sha256, shared, secretLabel, info, 32)
  shared.fill(0)
  return secret
}
