import { ed25519, x25519 } from "@noble/curves/ed25519.js"
import type { Random } from "../ports/platform.js"

export interface DeviceKeys {
  /** Ed25519: the MLS signature key of this device; it also signs requests. signKey is the 32-byte seed. */
  signature: { signKey: Uint8Array; publicKey: Uint8Array }
  /** X25519: senders derive this device's tracemark secret from its public half. */
  tracemark: { privateKey: Uint8Array; publicKey: Uint8Array }
}

/** Fresh keys for a new device, from the platform's secure randomness. */
export function generateDeviceKeys(random: Random): DeviceKeys {
  const seed = random.bytes(32)
  const tracemarkPrivate = random.bytes(32)
  return {
    signature: { signKey: seed, publicKey: ed25519.getPublicKey(seed) },
    tracemark: { privateKey: tracemarkPrivate, publicKey: x25519.getPublicKey(tracemarkPrivate) },
  }
}

/** A user-level X25519 key pair (the tracemark sender key shared by all of a user's devices). */
export function generateX25519(random: Random): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = random.bytes(32)
  return { privateKey, publicKey: x25519.getPublicKey(privateKey) }
}

export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(privateKey)
}
