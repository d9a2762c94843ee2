import type { Hash } from "ts-mls"
import { source, subtle } from "./subtle.js"

export type WebHashName = "SHA-256" | "SHA-512"

/**
 * RFC 9420 §5.1 `Hash` and `MAC` (HMAC) with WebCrypto. MAC keys are not cached: they are epoch
 * secrets (confirmation and membership keys) that must not outlive their epoch.
 */
export function makeWebHash(name: WebHashName): Hash {
  const hmacKey = (key: Uint8Array) =>
    subtle().importKey("raw", source(key), { name: "HMAC", hash: name }, false, ["sign", "verify"])
  return {
    async digest(data) {
      return new Uint8Array(await subtle().digest(name, source(data)))
    },
    async mac(key, data) {
      return new Uint8Array(await subtle().sign("HMAC", await hmacKey(key), source(data)))
    },
    // WebCrypto's HMAC verify compares in constant time and returns false for a tag of another length.
    async verifyMac(key, tag, data) {
      return subtle().verify("HMAC", await hmacKey(key), source(tag), source(data))
    },
  }
}
