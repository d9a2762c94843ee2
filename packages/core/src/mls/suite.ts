import { getCiphersuiteFromName, getCiphersuiteImpl } from "ts-mls"
import type { CiphersuiteImpl, CiphersuiteName, CryptoProvider } from "ts-mls"

/** Cipher suite 1 by default; X-Wing (post-quantum hybrid KEM) as an option. */
export const supportedSuites = [
  "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
] as const satisfies readonly CiphersuiteName[]

export type SuiteName = (typeof supportedSuites)[number]

export const defaultSuite: SuiteName = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"

export function isSupportedSuite(name: string): name is SuiteName {
  return (supportedSuites as readonly string[]).includes(name)
}

/** Loads the implementation of a suite, through the platform's crypto provider when one is given. */
export function loadSuite(name: SuiteName, provider?: CryptoProvider): Promise<CiphersuiteImpl> {
  return getCiphersuiteImpl(getCiphersuiteFromName(name), provider)
}
