import { randomFillSync, type KeyObject } from "node:crypto"
import { CipherSuite } from "@hpke/core"
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
import { NodeAesGcm, makeNodeDirectAead } from "./aead.js"
import { fingerprint } from "./bytes.js"
import { makeNodeHash } from "./hash.js"
import { NodeHkdfSha256, NodeHkdfSha512, makeNodeKdf } from "./hkdf.js"
import { makeNodeEd25519 } from "./signature.js"
import { NodeDhkemX25519HkdfSha256 } from "./x25519.js"

/**
 * CSPRNG bytes for ts-mls. Requests of up to `pooledMax` bytes, in practice only the 4-byte reuse guard
 * of every PrivateMessage (RFC 9420 §6.3.2; it travels in the encrypted SenderData and is not a key), are
 * served from a small pool filled by one `randomFillSync` call, which spares a native call per message.
 * Bytes are wiped from the pool as they are handed out, so the pool never holds a value that has been
 * returned. Larger requests (path, epoch and init secrets, PSK nonces) always come straight from
 * `randomFillSync` and are never pooled.
 */
const pooledMax = 8
const pool = new Uint8Array(256)
let poolOffset = pool.length
const nodeRng: Rng = {
  randomBytes(n) {
    if (n > pooledMax) return randomFillSync(new Uint8Array(n))
    if (poolOffset + n > pool.length) {
      randomFillSync(pool)
      poolOffset = 0
    }
    const out = pool.slice(poolOffset, poolOffset + n)
    pool.fill(0, poolOffset, poolOffset + n)
    poolOffset += n
    return out
  },
}

/**
 * A ts-mls `CryptoProvider` on node:crypto: Ed25519, X25519, AES-GCM, SHA-2 and HMAC run natively and
 * synchronously (wrapped in the asynchronous interface), and parsed keys are cached. Serves suites 1
 * and 83 (see `acceleratedSuite`); every other suite is delegated to ts-mls' default provider.
 */
export function createNodeCryptoProvider(options: MlsCryptoProviderOptions = {}): MlsCryptoProvider {
  const size = options.keyCacheSize ?? defaultKeyCacheSize
  const signing = new LruCache<KeyObject>(size)
  const verifying = new LruCache<KeyObject>(size)
  const hpkePublic = new LruCache<CryptoKey>(size)
  const signature = makeNodeEd25519({ signing, verifying })
  const impls = new Map<string, CiphersuiteImpl>()

  const build = (cs: Ciphersuite, served: AcceleratedSuite): CiphersuiteImpl => {
    const x25519 = served.kem === "x25519"
    const suite = new CipherSuite({
      // X-Wing (draft-connolly-cfrg-xwing-kem) stays with @hpke/hybridkem-x-wing.
      kem: x25519 ? new NodeDhkemX25519HkdfSha256() : new XWing(),
      kdf: x25519 ? new NodeHkdfSha256() : new NodeHkdfSha512(),
      aead: new NodeAesGcm(x25519 ? "aes-128-gcm" : "aes-256-gcm"),
    })
    return {
      hash: makeNodeHash(x25519 ? "sha256" : "sha512"),
      kdf: makeNodeKdf(x25519 ? "sha256" : "sha512"),
      signature,
      hpke: makeMlsHpke({
        suite,
        aead: makeNodeDirectAead(x25519 ? "aes-128-gcm" : "aes-256-gcm"),
        publicKeys: hpkePublic,
        fingerprint,
      }),
      rng: nodeRng,
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
