import type { Ciphersuite } from "ts-mls"

/**
 * The cipher suites our providers accelerate. Any other suite is delegated unchanged to ts-mls'
 * default provider.
 *
 * - `x25519`: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (suite 1), RFC 9420 §17.1.
 * - `xwing`: MLS_256_XWING_AES256GCM_SHA512_Ed25519 (suite 83, the post-quantum option): the X-Wing KEM
 *   itself comes from @hpke/hybridkem-x-wing; signature, AEAD, hash and KDF are ours.
 */
export type AcceleratedSuite =
  | { readonly kem: "x25519"; readonly hash: "SHA-256"; readonly aead: "AES128GCM" }
  | { readonly kem: "xwing"; readonly hash: "SHA-512"; readonly aead: "AES256GCM" }

export function acceleratedSuite(cs: Ciphersuite): AcceleratedSuite | undefined {
  const { hpke } = cs
  if (cs.signature !== "Ed25519") return undefined
  if (
    cs.name === "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" &&
    cs.hash === "SHA-256" &&
    hpke.kem === "DHKEM-X25519-HKDF-SHA256" &&
    hpke.kdf === "HKDF-SHA256" &&
    hpke.aead === "AES128GCM"
  ) {
    return { kem: "x25519", hash: "SHA-256", aead: "AES128GCM" }
  }
  if (
    cs.name === "MLS_256_XWING_AES256GCM_SHA512_Ed25519" &&
    cs.hash === "SHA-512" &&
    hpke.kem === "X-Wing" &&
    hpke.kdf === "HKDF-SHA512" &&
    hpke.aead === "AES256GCM"
  ) {
    return { kem: "xwing", hash: "SHA-512", aead: "AES256GCM" }
  }
  return undefined
}
