/**
 * `@backchannel/mls-crypto`: crypto providers for ts-mls (RFC 9420). This entry point is portable
 * (WebCrypto only); the node:crypto provider is `@backchannel/mls-crypto/node`.
 */
export { createWebCryptoProvider } from "./webcrypto/provider.js"
export { acceleratedSuite, type AcceleratedSuite } from "./served-suites.js"
export { LruCache } from "./lru-cache.js"
export type { MlsCryptoProvider, MlsCryptoProviderOptions } from "./provider-types.js"
