import { createHmac, hash, timingSafeEqual } from "node:crypto"
import type { Hash } from "ts-mls"
import { ownedBytes } from "./bytes.js"

export type NodeHashName = "sha256" | "sha512"

/** RFC 9420 §5.1 `Hash` and `MAC` (HMAC, RFC 2104) with node:crypto, synchronously. */
export function makeNodeHash(name: NodeHashName): Hash {
  const mac = (key: Uint8Array, data: Uint8Array): Uint8Array =>
    ownedBytes(createHmac(name, key).update(data).digest())
  return {
    async digest(data) {
      // One-shot `crypto.hash` (Node >= 20.12) costs half of createHash().update().digest() on small inputs.
      return ownedBytes(hash(name, data, "buffer"))
    },
    async mac(key, data) {
      return mac(key, data)
    },
    async verifyMac(key, tag, data) {
      const expected = mac(key, data)
      // Constant-time comparison; a tag of the wrong length simply does not verify.
      return tag.length === expected.length && timingSafeEqual(tag, expected)
    },
  }
}
