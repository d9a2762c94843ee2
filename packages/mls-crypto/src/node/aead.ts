import { createCipheriv, createDecipheriv } from "node:crypto"
import { AeadId, type AeadEncryptionContext, type AeadInterface } from "@hpke/common"
import type { DirectAead } from "../mls-hpke.js"
import { asBytes, ownedArrayBuffer, ownedBytes } from "./bytes.js"

type GcmName = "aes-128-gcm" | "aes-256-gcm"
const tagLength = 16
const nonceLength = 12

/** AES-GCM (NIST SP 800-38D) with a 96-bit nonce and 128-bit tag; ciphertext = C || T (RFC 5116 §5.1). */
function gcmSeal(name: GcmName, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) {
  const cipher = createCipheriv(name, key, nonce, { authTagLength: tagLength })
  cipher.setAAD(aad)
  const head = cipher.update(plaintext)
  const tail = cipher.final()
  const tag = cipher.getAuthTag()
  const out = new Uint8Array(head.length + tail.length + tag.length)
  out.set(head, 0)
  out.set(tail, head.length)
  out.set(tag, head.length + tail.length)
  return out
}

/** Throws unless the tag verifies; no plaintext is released before that (`final()` checks the tag). */
function gcmOpen(name: GcmName, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) {
  if (sealed.length < tagLength) throw new Error("AES-GCM ciphertext shorter than its tag")
  const decipher = createDecipheriv(name, key, nonce, { authTagLength: tagLength })
  decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - tagLength))
  const head = decipher.update(sealed.subarray(0, sealed.length - tagLength))
  const tail = decipher.final()
  // GCM is a stream mode: everything comes out of update() and final() adds nothing.
  if (tail.length === 0) return ownedBytes(head)
  const out = new Uint8Array(head.length + tail.length)
  out.set(head, 0)
  out.set(tail, head.length)
  head.fill(0)
  return out
}

/** The AEAD ts-mls uses directly for message protection and Welcome (RFC 9420 §6.3.1, §12.4.3.1). */
export function makeNodeDirectAead(name: GcmName): DirectAead {
  const keyLength = name === "aes-128-gcm" ? 16 : 32
  const check = (key: Uint8Array, nonce: Uint8Array) => {
    if (key.length !== keyLength || nonce.length !== nonceLength)
      throw new RangeError("bad AES-GCM key or nonce")
  }
  // Synchronous: ts-mls awaits the result through `makeMlsHpke`, which saves a promise per call.
  return {
    encrypt(key, nonce, aad, plaintext) {
      check(key, nonce)
      return gcmSeal(name, key, nonce, aad, plaintext)
    },
    decrypt(key, nonce, aad, ciphertext) {
      check(key, nonce)
      return gcmOpen(name, key, nonce, aad, ciphertext)
    },
    keyLength,
    nonceLength,
  }
}

/** @hpke/core AEAD plug-in (RFC 9180 §5.2 Seal/Open use it with the key schedule's key and nonces). */
export class NodeAesGcm implements AeadInterface {
  readonly id: AeadId
  readonly keySize: number
  readonly nonceSize = nonceLength
  readonly tagSize = tagLength
  readonly #name: GcmName

  constructor(name: GcmName) {
    this.#name = name
    this.id = name === "aes-128-gcm" ? AeadId.Aes128Gcm : AeadId.Aes256Gcm
    this.keySize = name === "aes-128-gcm" ? 16 : 32
  }

  createEncryptionContext(key: ArrayBufferLike | ArrayBufferView): AeadEncryptionContext {
    const name = this.#name
    const raw = asBytes(key).slice()
    return {
      async seal(iv, data, aad) {
        return ownedArrayBuffer(gcmSeal(name, raw, asBytes(iv), asBytes(aad), asBytes(data)))
      },
      async open(iv, data, aad) {
        return ownedArrayBuffer(gcmOpen(name, raw, asBytes(iv), asBytes(aad), asBytes(data)))
      },
    }
  }
}
