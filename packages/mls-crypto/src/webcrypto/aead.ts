import type { DirectAead } from "../mls-hpke.js"
import { source, subtle } from "./subtle.js"

/**
 * AES-GCM (96-bit nonce, 128-bit tag, ciphertext = C || T) with WebCrypto, for RFC 9420 message
 * protection and Welcome. Keys are not cached: each message key is used once (RFC 9420 §9).
 */
export function makeWebDirectAead(keyLength: 16 | 32): DirectAead {
  const importKey = (key: Uint8Array, usage: "encrypt" | "decrypt") => {
    if (key.length !== keyLength) throw new RangeError("bad AES-GCM key length")
    return subtle().importKey("raw", source(key), { name: "AES-GCM" }, false, [usage])
  }
  const params = (nonce: Uint8Array, aad: Uint8Array): AesGcmParams =>
    aad.length > 0
      ? { name: "AES-GCM", iv: source(nonce), additionalData: source(aad) }
      : { name: "AES-GCM", iv: source(nonce) }
  return {
    async encrypt(key, nonce, aad, plaintext) {
      const k = await importKey(key, "encrypt")
      return new Uint8Array(await subtle().encrypt(params(nonce, aad), k, source(plaintext)))
    },
    async decrypt(key, nonce, aad, ciphertext) {
      const k = await importKey(key, "decrypt")
      return new Uint8Array(await subtle().decrypt(params(nonce, aad), k, source(ciphertext)))
    },
    keyLength,
    nonceLength: 12,
  }
}
