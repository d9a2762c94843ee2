import type { Sealer } from "@backchannel/core"

const version = 1
const ivLength = 12

/**
 * The Sealer port with WebCrypto AES-256-GCM: a fresh random 96-bit nonce per value, the store key as
 * associated data. Layout: version byte (1) ‖ nonce (12) ‖ ciphertext with its 16-byte tag. The key is
 * normally non-extractable, so script running in the page can use it but never read it out.
 */
export class WebCryptoSealer implements Sealer {
  constructor(
    private readonly key: CryptoKey,
    private readonly subtle: SubtleCrypto = crypto.subtle,
  ) {}

  async seal(plaintext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
    const iv = crypto.getRandomValues(new Uint8Array(ivLength))
    const ciphertext = await this.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: associatedData as Uint8Array<ArrayBuffer> },
      this.key,
      plaintext as Uint8Array<ArrayBuffer>,
    )
    const out = new Uint8Array(1 + ivLength + ciphertext.byteLength)
    out[0] = version
    out.set(iv, 1)
    out.set(new Uint8Array(ciphertext), 1 + ivLength)
    return out
  }

  async open(sealed: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < 1 + ivLength + 16 || sealed[0] !== version) {
      throw new Error("a sealed value has an unknown format")
    }
    try {
      const plaintext = await this.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: sealed.slice(1, 1 + ivLength),
          additionalData: associatedData as Uint8Array<ArrayBuffer>,
        },
        this.key,
        sealed.slice(1 + ivLength),
      )
      return new Uint8Array(plaintext)
    } catch {
      throw new Error("a sealed value failed authentication")
    }
  }
}
