import { hmac } from "@noble/hashes/hmac.js"
import { sha256, sha512 } from "@noble/hashes/sha2.js"
import type { Hash } from "ts-mls"
import { source, subtle } from "./subtle.js"

export type WebHashName = "SHA-256" | "SHA-512"

/** The same hash functions in @noble/hashes (synchronous, pure JavaScript, audited). */
export const nobleHashes = { "SHA-256": sha256, "SHA-512": sha512 } as const

/**
 * Inputs up to this size are hashed with @noble/hashes, larger ones with WebCrypto. ts-mls issues hundreds
 * of small digests and HMACs per commit in a large group (every ratchet-tree node, every secret-tree
 * derivation). An awaited WebCrypto call costs tens of µs in Node; in Chromium about 3 µs for a digest and
 * 6.5 µs for an HMAC with its key import, against noble's 2 and 6.7 µs (`npm run bench:mls-browser` measures
 * both). Past a few KiB, native hashing wins.
 */
export const smallInput = 4096

/**
 * RFC 9420 §5.1 `Hash` and `MAC` (HMAC). MAC keys are not cached: they are epoch secrets (confirmation
 * and membership keys) that must not outlive their epoch. Tags are verified by WebCrypto, which compares
 * in constant time.
 */
export function makeWebHash(name: WebHashName): Hash {
  const noble = nobleHashes[name]
  const hmacKey = (key: Uint8Array) =>
    subtle().importKey("raw", source(key), { name: "HMAC", hash: name }, false, ["sign", "verify"])
  return {
    async digest(data) {
      if (data.length <= smallInput) return noble(data)
      return new Uint8Array(await subtle().digest(name, source(data)))
    },
    async mac(key, data) {
      if (data.length <= smallInput) return hmac(noble, key, data)
      return new Uint8Array(await subtle().sign("HMAC", await hmacKey(key), source(data)))
    },
    // WebCrypto's HMAC verify compares in constant time and returns false for a tag of another length.
    async verifyMac(key, tag, data) {
      return subtle().verify("HMAC", await hmacKey(key), source(tag), source(data))
    },
  }
}
