import type { CipherSuite } from "@hpke/core"
import type { Hpke, PrivateKey, PublicKey } from "ts-mls"
import { CryptoError } from "ts-mls/mlsError.js"
import type { LruCache } from "./lru-cache.js"

/** AES-GCM with a raw key, as ts-mls' `Hpke.encryptAead`/`decryptAead` need (RFC 9420 §6.3, §12.4.3.1). */
export interface DirectAead {
  /** Synchronous implementations (node:crypto) return the bytes directly. */
  encrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array | Promise<Uint8Array>
  /** Throws (or rejects) when the tag does not verify. */
  decrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array | Promise<Uint8Array>
  readonly keyLength: number
  readonly nonceLength: number
}

export interface MlsHpkeParts {
  /** An RFC 9180 cipher suite from @hpke/core, wired to our KEM, KDF and AEAD plug-ins. */
  readonly suite: CipherSuite
  readonly aead: DirectAead
  /** Cache of imported HPKE public keys, keyed by `fingerprint` of their encoding. */
  readonly publicKeys: LruCache<CryptoKey>
  readonly fingerprint: (bytes: Uint8Array) => string
}

const empty = new Uint8Array(0)

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  // A fresh copy: @hpke/* may keep or clear what it is given.
  return bytes.slice().buffer
}

/**
 * ts-mls' `Hpke` port on top of @hpke/core's RFC 9180 implementation (base mode: SetupBaseS/R, Seal,
 * Open, Export; RFC 9180 §5.1, §5.2, §5.3). HPKE keys are opaque objects of the KEM plug-in; ts-mls keeps
 * only their encodings in group state and re-imports them when needed.
 *
 * Failures that ts-mls' default provider reports as `CryptoError` are reported the same way here, with
 * fixed messages that carry no key or content.
 */
export function makeMlsHpke({ suite, aead, publicKeys, fingerprint }: MlsHpkeParts): Hpke {
  const kem = suite.kem
  return {
    async seal(publicKey, plaintext, info, aad) {
      const sealed = await suite.seal(
        { recipientPublicKey: publicKey, info: toArrayBuffer(info) },
        toArrayBuffer(plaintext),
        aad === undefined ? empty.buffer : toArrayBuffer(aad),
      )
      return { ct: new Uint8Array(sealed.ct), enc: new Uint8Array(sealed.enc) }
    },
    async open(privateKey, kemOutput, ciphertext, info, aad) {
      try {
        const opened = await suite.open(
          { recipientKey: privateKey, enc: toArrayBuffer(kemOutput), info: toArrayBuffer(info) },
          toArrayBuffer(ciphertext),
          aad === undefined ? empty.buffer : toArrayBuffer(aad),
        )
        return new Uint8Array(opened)
      } catch {
        throw new CryptoError("HPKE open failed")
      }
    },
    // RFC 9180 §6.2: single-shot secret export, used by MLS external joins (RFC 9420 §8.3).
    async exportSecret(publicKey, exporterContext, length, info) {
      const ctx = await suite.createSenderContext({
        recipientPublicKey: publicKey,
        info: toArrayBuffer(info),
      })
      const secret = await ctx.export(toArrayBuffer(exporterContext), length)
      return { enc: new Uint8Array(ctx.enc), secret: new Uint8Array(secret) }
    },
    async importSecret(privateKey, exporterContext, kemOutput, length, info) {
      try {
        const ctx = await suite.createRecipientContext({
          recipientKey: privateKey,
          enc: toArrayBuffer(kemOutput),
          info: toArrayBuffer(info),
        })
        return new Uint8Array(await ctx.export(toArrayBuffer(exporterContext), length))
      } catch {
        throw new CryptoError("HPKE secret import failed")
      }
    },
    async importPrivateKey(k) {
      // Not cached: TreeKEM private keys are replaced every epoch, and keeping old ones alive in a
      // cache would weaken forward secrecy (RFC 9420 §16.2). Each is imported about once per commit.
      try {
        return (await kem.deserializePrivateKey(toArrayBuffer(k))) as PrivateKey
      } catch {
        throw new CryptoError("invalid HPKE private key")
      }
    },
    async importPublicKey(k) {
      const id = fingerprint(k)
      const cached = publicKeys.get(id)
      if (cached !== undefined) return cached as PublicKey
      try {
        const key = await kem.deserializePublicKey(toArrayBuffer(k))
        publicKeys.set(id, key)
        return key as PublicKey
      } catch {
        throw new CryptoError("invalid HPKE public key")
      }
    },
    async exportPublicKey(k) {
      return new Uint8Array(await kem.serializePublicKey(k)).slice()
    },
    async exportPrivateKey(k) {
      return new Uint8Array(await kem.serializePrivateKey(k)).slice()
    },
    async encryptAead(key, nonce, aad, plaintext) {
      return await aead.encrypt(key, nonce, aad ?? empty, plaintext)
    },
    async decryptAead(key, nonce, aad, ciphertext) {
      try {
        return await aead.decrypt(key, nonce, aad ?? empty, ciphertext)
      } catch {
        throw new CryptoError("AEAD decryption failed")
      }
    },
    // RFC 9180 §7.1.3 DeriveKeyPair, as the KEM plug-in implements it.
    async deriveKeyPair(ikm) {
      const pair = await kem.deriveKeyPair(toArrayBuffer(ikm))
      return { privateKey: pair.privateKey as PrivateKey, publicKey: pair.publicKey as PublicKey }
    },
    async generateKeyPair() {
      const pair = await kem.generateKeyPair()
      return { privateKey: pair.privateKey as PrivateKey, publicKey: pair.publicKey as PublicKey }
    },
    keyLength: aead.keyLength,
    nonceLength: aead.nonceLength,
  }
}
