import { createPrivateKey, sign, verify, type KeyObject } from "node:crypto"
import type { Signature } from "ts-mls"
import type { LruCache } from "../lru-cache.js"
import { fingerprint, ownedBytes } from "./bytes.js"
import { okpGenerate, okpPrivateKey, okpPublicKey } from "./okp-jwk.js"

export interface Ed25519Caches {
  readonly signing: LruCache<KeyObject>
  readonly verifying: LruCache<KeyObject>
}

/**
 * Ed25519 (RFC 8032, pure mode, as RFC 9420 §5.1.2 SignWithLabel requires) with node:crypto. Parsed
 * `KeyObject`s are cached, so a key is decoded once rather than per signature as ts-mls' default
 * provider does.
 *
 * Semantics match the default provider: a signature that does not verify (tampered, wrong key, wrong
 * length) yields `false`; a public key that cannot be decoded rejects.
 */
export function makeNodeEd25519(caches: Ed25519Caches): Signature {
  const signingKey = (signKey: Uint8Array): KeyObject => {
    const id = fingerprint(signKey)
    let key = caches.signing.get(id)
    if (key === undefined) {
      // 32 bytes: the RFC 8032 private key (test vectors, noble, this provider); anything else is taken
      // as PKCS#8 DER (what ts-mls' default provider generates), exactly as the default provider does.
      key =
        signKey.length === 32
          ? okpPrivateKey("Ed25519", signKey)
          : createPrivateKey({ key: Buffer.from(signKey), format: "der", type: "pkcs8" })
      if (key.asymmetricKeyType !== "ed25519") throw new TypeError("not an Ed25519 signing key")
      caches.signing.set(id, key)
    }
    return key
  }
  const verifyingKey = (publicKey: Uint8Array): KeyObject => {
    const id = fingerprint(publicKey)
    let key = caches.verifying.get(id)
    if (key === undefined) {
      key = okpPublicKey("Ed25519", publicKey)
      caches.verifying.set(id, key)
    }
    return key
  }
  return {
    async sign(signKey, message) {
      return ownedBytes(sign(null, message, signingKey(signKey)))
    },
    async verify(publicKey, message, signature) {
      return verify(null, message, verifyingKey(publicKey), signature)
    },
    async keygen() {
      const pair = okpGenerate("Ed25519")
      // A new key is about to sign its KeyPackage and LeafNode: keep the KeyObject we already have.
      caches.signing.set(fingerprint(pair.d), pair.privateKey)
      return { signKey: pair.d, publicKey: pair.x }
    },
  }
}
