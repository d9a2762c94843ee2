import type { Kdf } from "ts-mls"
import type { WebHashName } from "./hash.js"
import { source, subtle } from "./subtle.js"

const hashLength: Record<WebHashName, number> = { "SHA-256": 32, "SHA-512": 64 }

function hmacKey(name: WebHashName, key: Uint8Array): Promise<CryptoKey> {
  // An empty HMAC key equals HashLen zero bytes (HMAC zero-pads keys to the block size), and some
  // WebCrypto implementations refuse empty raw keys.
  const raw = key.length === 0 ? new Uint8Array(hashLength[name]) : key
  return subtle().importKey("raw", source(raw), { name: "HMAC", hash: name }, false, ["sign"])
}

/**
 * ts-mls' `Kdf` port (RFC 9420 §5.1) with WebCrypto HMAC:
 * - Extract: RFC 5869 §2.2, PRK = HMAC-Hash(salt, IKM);
 * - Expand: RFC 5869 §2.3, T(i) = HMAC-Hash(PRK, T(i-1) | info | i), L <= 255 * HashLen.
 * (WebCrypto's own HKDF always runs both steps; MLS ExpandWithLabel needs Expand alone.)
 */
export function makeWebKdf(name: WebHashName): Kdf {
  const size = hashLength[name]
  return {
    async extract(salt, ikm) {
      return new Uint8Array(await subtle().sign("HMAC", await hmacKey(name, salt), source(ikm)))
    },
    async expand(prk, info, length) {
      if (!Number.isSafeInteger(length) || length < 0 || length > 255 * size) {
        throw new RangeError("HKDF-Expand: invalid output length")
      }
      const key = await hmacKey(name, prk)
      const okm = new Uint8Array(length)
      let previous = new Uint8Array(0)
      for (let i = 1, filled = 0; filled < length; i++) {
        const block = new Uint8Array(previous.length + info.length + 1)
        block.set(previous, 0)
        block.set(info, previous.length)
        block[previous.length + info.length] = i
        const next = new Uint8Array(await subtle().sign("HMAC", key, block))
        previous.fill(0)
        block.fill(0)
        previous = next
        okm.set(previous.subarray(0, Math.min(size, length - filled)), filled)
        filled += size
      }
      previous.fill(0)
      return okm
    },
    size,
  }
}
