/**
 * Encryption at rest. A Sealer holds one symmetric key (derived by the platform from a passphrase or a
 * key file, or a non-extractable WebCrypto key) and seals every stored value with an AEAD, binding it to
 * its store key as associated data so records cannot be swapped. `open` throws on any tampering.
 */
export interface Sealer {
  seal(plaintext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>
  open(sealed: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>
}
