import { xchacha20poly1305 } from "@noble/ciphers/chacha.js"
import { concatBytes } from "@backchannel/protocol"
import type { Sealer } from "../ports/sealer.js"
import type { Random } from "../ports/platform.js"

const NONCE_BYTES = 24
const VERSION = 1

/**
 * A portable Sealer: XChaCha20-Poly1305 (@noble/ciphers) with a random 192-bit nonce per record, so
 * nonces never need coordination. Layout: version (1 byte) ‖ nonce (24) ‖ ciphertext+tag.
 * Node and browser adapters may use native AES-GCM instead; all Sealers pass the same tests.
 */
export class NobleSealer implements Sealer {
  private readonly key: Uint8Array

  constructor(
    key: Uint8Array,
    private readonly random: Random,
  ) {
    if (key.length !== 32) throw new RangeError("the sealing key is 32 bytes")
    this.key = key.slice()
  }

  seal(plaintext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
    const nonce = this.random.bytes(NONCE_BYTES)
    const body = xchacha20poly1305(this.key, nonce, associatedData).encrypt(plaintext)
    return Promise.resolve(concatBytes(Uint8Array.of(VERSION), nonce, body))
  }

  open(sealed: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < 1 + NONCE_BYTES + 16 || sealed[0] !== VERSION) {
      return Promise.reject(new Error("sealed record is malformed"))
    }
    const nonce = sealed.subarray(1, 1 + NONCE_BYTES)
    try {
      return Promise.resolve(
        xchacha20poly1305(this.key, nonce, associatedData).decrypt(sealed.subarray(1 + NONCE_BYTES)),
      )
    } catch {
      return Promise.reject(new Error("sealed record failed authentication"))
    }
  }
}
