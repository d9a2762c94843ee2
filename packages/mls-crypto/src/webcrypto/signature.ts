import type { Signature } from "ts-mls"
import { ed25519PublicKeyFromSpki, ed25519SeedFromPkcs8, ed25519SignKeyToPkcs8 } from "../key-encoding.js"
import type { LruCache } from "../lru-cache.js"
import { fingerprint } from "./fingerprint.js"
import { source, subtle } from "./subtle.js"

export interface WebEd25519Caches {
  readonly signing: LruCache<CryptoKey>
  readonly verifying: LruCache<CryptoKey>
}

/**
 * Ed25519 (RFC 8032 pure mode, for RFC 9420 §5.1.2 SignWithLabel) with WebCrypto's native algorithm.
 * Imported CryptoKeys (non-extractable) are cached by fingerprint, so a key is imported once rather than
 * for every signature and verification as ts-mls' default provider does.
 *
 * Semantics match the default provider: a signature that does not verify yields `false`; a public key
 * that cannot be imported rejects.
 */
export function makeWebEd25519(caches: WebEd25519Caches): Signature {
  const signingKey = async (signKey: Uint8Array): Promise<CryptoKey> => {
    const id = fingerprint(signKey)
    const cached = caches.signing.get(id)
    if (cached !== undefined) return cached
    const pkcs8 = source(ed25519SignKeyToPkcs8(signKey))
    const key = await subtle().importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"])
    caches.signing.set(id, key)
    return key
  }
  const verifyingKey = async (publicKey: Uint8Array): Promise<CryptoKey> => {
    const id = fingerprint(publicKey)
    const cached = caches.verifying.get(id)
    if (cached !== undefined) return cached
    const key = await subtle().importKey("raw", source(publicKey), { name: "Ed25519" }, false, ["verify"])
    caches.verifying.set(id, key)
    return key
  }
  return {
    async sign(signKey, message) {
      return new Uint8Array(await subtle().sign("Ed25519", await signingKey(signKey), source(message)))
    },
    async verify(publicKey, message, signature) {
      return subtle().verify("Ed25519", await verifyingKey(publicKey), source(signature), source(message))
    },
    async keygen() {
      const pair = await subtle().generateKey({ name: "Ed25519" }, true, ["sign", "verify"])
      const signKey = ed25519SeedFromPkcs8(new Uint8Array(await subtle().exportKey("pkcs8", pair.privateKey)))
      const spki = new Uint8Array(await subtle().exportKey("spki", pair.publicKey))
      return { signKey, publicKey: ed25519PublicKeyFromSpki(spki) }
    },
  }
}
