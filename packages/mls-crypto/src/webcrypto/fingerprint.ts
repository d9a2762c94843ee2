import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"

/**
 * Cache index for key bytes: SHA-256 of the bytes, computed synchronously (@noble/hashes) so a cache
 * hit costs no WebCrypto round trip. The index reveals nothing about a private key; the bytes
 * themselves never become a map key.
 */
export function fingerprint(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes))
}
