import type { CryptoProvider } from "ts-mls"

/** Options shared by both providers. */
export interface MlsCryptoProviderOptions {
  /**
   * How many imported keys each cache keeps (signing keys, verification keys and HPKE public keys are
   * cached separately). Default 1024.
   */
  readonly keyCacheSize?: number
}

/** A ts-mls `CryptoProvider` whose key caches can be inspected and emptied. */
export interface MlsCryptoProvider extends CryptoProvider {
  /** Drops every cached imported key (for example when a device locks or a user signs out). */
  clearKeyCache(): void
  /** How many keys the caches hold now, per cache (for tests and diagnostics; no key material). */
  keyCacheSizes(): { readonly signing: number; readonly verifying: number; readonly hpkePublic: number }
}

export const defaultKeyCacheSize = 1024
