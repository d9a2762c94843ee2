import { readFileSync } from "node:fs"
import {
  getCiphersuiteFromName,
  ciphersuites,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type CryptoProvider,
} from "ts-mls"
import { createNodeCryptoProvider } from "../node/index.js"
import { createWebCryptoProvider } from "../webcrypto/provider.js"

/** Reads one file of packages/mls-crypto/test-vectors/. */
export function loadVectors<T>(file: string): T[] {
  return JSON.parse(readFileSync(new URL(`../../test-vectors/${file}`, import.meta.url), "utf8")) as T[]
}

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"))
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex")
}

export const suiteName = (id: number): CiphersuiteName => {
  const entry = Object.entries(ciphersuites).find(([, value]) => value === id)
  if (entry === undefined) throw new Error(`unknown cipher suite ${id}`)
  return entry[0] as CiphersuiteName
}

export interface ProviderUnderTest {
  readonly name: string
  readonly provider: CryptoProvider
}

/** Our two providers, each a fresh instance (its own caches). */
export function ourProviders(): ProviderUnderTest[] {
  return [
    { name: "node", provider: createNodeCryptoProvider() },
    { name: "webcrypto", provider: createWebCryptoProvider() },
  ]
}

export function implFor(provider: CryptoProvider, suiteId: number): Promise<CiphersuiteImpl> {
  return provider.getCiphersuiteImpl(getCiphersuiteFromName(suiteName(suiteId)))
}

/**
 * The vectors each provider is run on: suite 1, which the providers implement themselves, and the
 * suites whose fallback (ts-mls' default provider) works with the packages installed here (P-256,
 * P-521, P-384). Suites 3, 4 and 6 need optional ts-mls peers (ChaCha20, X448, Ed448) we do not ship.
 */
export const vectorSuites = new Set([1, 2, 5, 7])

/** Vectors of the suites above, with a label naming the suite and the vector's index in its file. */
export function casesOf<T extends { cipher_suite: number }>(vectors: T[]): [string, T][] {
  return vectors
    .map((v, i): [string, T] => [`suite ${v.cipher_suite} #${i}`, v])
    .filter(([, v]) => vectorSuites.has(v.cipher_suite))
}
