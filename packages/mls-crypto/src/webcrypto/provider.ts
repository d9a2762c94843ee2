import { HkdfSha256Native, HkdfSha512Native } from "@hpke/common"
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256 } from "@hpke/core"
import { XWing } from "@hpke/hybridkem-x-wing"
import { defaultCryptoProvider, type Ciphersuite, type CiphersuiteImpl, type Rng } from "ts-mls"
import { LruCache } from "../lru-cache.js"
import { makeMlsHpke } from "../mls-hpke.js"
import {
  defaultKeyCacheSize,
  type MlsCryptoProvider,
  type MlsCryptoProviderOptions,
} from "../provider-types.js"
import { acceleratedSuite, type AcceleratedSuite } from "../served-suites.js"
import { makeWebDirectAead } from "./aead.js"
import { fingerprint } from "./fingerprint.js"
import { makeWebHash } from "./hash.js"
import { makeWebKdf } from "./hkdf.js"
import { makeWebEd25519 } from "./signature.js"

const webRng: Rng = {
  randomBytes(n) {
    return globalThis.crypto.getRandomValues(new Uint8Array(n))
  },
}

/**
 * A portable ts-mls `CryptoProvider` on WebCrypto (browsers, Web Workers, Node >= 20): native Ed25519,
 * X25519, AES-GCM, and SHA-2/HMAC on large inputs (small ones, hundreds per commit, go to @noble/hashes,
 * synchronously: see hash.ts), with imported signing, verification and HPKE public keys cached in
 * bounded LRU caches. Serves suites 1 and 83 (see `acceleratedSuite`); every other suite is delegated to
 * ts-mls' default provider.
 *
 * HPKE (RFC 9180) is @hpke/core's, with its WebCrypto DHKEM(X25519, HKDF-SHA256) or, for suite 83,
 * @hpke/hybridkem-x-wing's X-Wing KEM.
 */
export function createWebCryptoProvider(options: MlsCryptoProviderOptions = {}): MlsCryptoProvider {
  const size = options.keyCacheSize ?? defaultKeyCacheSize
  const signing = new LruCache<CryptoKey>(size)
  const verifying = new LruCache<CryptoKey>(size)
  const hpkePublic = new LruCache<CryptoKey>(size)
  const signature = makeWebEd25519({ signing, verifying })
  const impls = new Map<string, CiphersuiteImpl>()

  const build = (cs: Ciphersuite, served: AcceleratedSuite): CiphersuiteImpl => {
    const x25519 = served.kem === "x25519"
    const suite = new CipherSuite({
      kem: x25519 ? new DhkemX25519HkdfSha256() : new XWing(),
      kdf: x25519 ? new HkdfSha256Native() : new HkdfSha512Native(),
      aead: x25519 ? new Aes128Gcm() : new Aes256Gcm(),
    })
    return {
      hash: makeWebHash(served.hash),
      kdf: makeWebKdf(served.hash),
      signature,
      hpke: makeMlsHpke({
        suite,
        aead: makeWebDirectAead(x25519 ? 16 : 32),
        publicKeys: hpkePublic,
        fingerprint,
      }),
      rng: webRng,
      name: cs.name,
    }
  }

  return {
    async getCiphersuiteImpl(cs) {
      const served = acceleratedSuite(cs)
      if (served === undefined) return defaultCryptoProvider.getCiphersuiteImpl(cs)
      let impl = impls.get(cs.name)
      if (impl === undefined) {
        impl = build(cs, served)
        impls.set(cs.name, impl)
      }
      return impl
    },
    clearKeyCache() {
      signing.clear()
      verifying.clear()
      hpkePublic.clear()
    },
    keyCacheSizes() {
      return { signing: signing.size, verifying: verifying.size, hpkePublic: hpkePublic.size }
    },
  }
}
