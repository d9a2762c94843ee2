import { createPublicKey, hash, verify } from "node:crypto"
import type { KeyObject } from "node:crypto"
import { toB64 } from "@backchannel/protocol"

/**
 * Ed25519 verification with node:crypto (OpenSSL), an order of magnitude faster than pure-JS
 * verification. Public keys are imported once and cached by their bytes: the cache maps a key to
 * its own KeyObject, so it never goes stale (revocation is checked against the store separately).
 */
export class Ed25519Verifier {
  private readonly cache = new Map<string, KeyObject>()

  constructor(private readonly maxCached = 50_000) {}

  /** False for a malformed key or signature as well as for a signature that does not verify. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    const key = this.keyObject(publicKey)
    if (key === undefined) return false
    try {
      return verify(null, message, key, signature)
    } catch {
      return false
    }
  }

  private keyObject(publicKey: Uint8Array): KeyObject | undefined {
    const id = toB64(publicKey)
    const cached = this.cache.get(id)
    if (cached !== undefined) return cached
    let key: KeyObject
    try {
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: id }, format: "jwk" })
    } catch {
      return undefined
    }
    if (this.cache.size >= this.maxCached) this.cache.clear()
    this.cache.set(id, key)
    return key
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  // One-shot (no Hash object per call): this runs once per message sent.
  const digest = hash("sha256", data, "buffer")
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}
