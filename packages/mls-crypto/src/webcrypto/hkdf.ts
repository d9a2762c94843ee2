import { expand, extract } from "@noble/hashes/hkdf.js"
import type { Kdf } from "ts-mls"
import { nobleHashes, type WebHashName } from "./hash.js"

/**
 * ts-mls' `Kdf` port (RFC 9420 §5.1) with @noble/hashes' HKDF (RFC 5869): Extract (§2.2, PRK =
 * HMAC-Hash(salt, IKM); an empty salt is an empty HMAC key, which HMAC pads to the same block as HashLen
 * zero bytes) and Expand on its own (§2.3), which MLS ExpandWithLabel needs and WebCrypto's HKDF does not
 * offer. Synchronous: a commit in a large group runs hundreds of these on inputs of a few dozen bytes, where
 * an awaited WebCrypto HMAC (with its key import) costs tens of µs in Node and about as much as noble's in
 * Chromium (see hash.ts).
 */
export function makeWebKdf(name: WebHashName): Kdf {
  const hash = nobleHashes[name]
  const size = hash.outputLen
  return {
    async extract(salt, ikm) {
      return extract(hash, ikm, salt)
    },
    async expand(prk, info, length) {
      if (!Number.isSafeInteger(length) || length < 0 || length > 255 * size) {
        throw new RangeError("HKDF-Expand: invalid output length")
      }
      // Whole blocks are asked for, so that the bytes past `length` (noble would drop them unwiped) are
      // wiped here, as the node provider does.
      const whole = Math.ceil(length / size) * size
      const blocks = expand(hash, prk, info, whole)
      if (whole === length) return blocks
      const okm = blocks.slice(0, length)
      blocks.fill(0)
      return okm
    },
    size,
  }
}
