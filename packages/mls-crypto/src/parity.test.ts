import {
  defaultCryptoProvider,
  getCiphersuiteFromName,
  type CiphersuiteImpl,
  type CiphersuiteName,
} from "ts-mls"
import { CryptoError } from "ts-mls/mlsError.js"
import { describe, expect, it } from "vitest"
import { createNodeCryptoProvider } from "./node/index.js"
import type { MlsCryptoProvider } from "./provider-types.js"
import { createWebCryptoProvider } from "./webcrypto/provider.js"

const suites: CiphersuiteName[] = [
  "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
]
const providers: [string, () => MlsCryptoProvider][] = [
  ["node", () => createNodeCryptoProvider()],
  ["webcrypto", () => createWebCryptoProvider()],
]

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
const flip = (b: Uint8Array, at: number) => {
  const c = b.slice()
  const i = at < 0 ? c.length + at : at
  c[i] = (c[i] ?? 0) ^ 0x01
  return c
}

/** How a promise settles: the value for booleans, or "throws". */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    return String(await p)
  } catch {
    return "throws"
  }
}

for (const [providerName, make] of providers) {
  for (const suiteName of suites) {
    describe(`${providerName} provider agrees with ts-mls' default provider on ${suiteName}`, () => {
      const cs = getCiphersuiteFromName(suiteName)
      const both = async (): Promise<[CiphersuiteImpl, CiphersuiteImpl]> => [
        await make().getCiphersuiteImpl(cs),
        await defaultCryptoProvider.getCiphersuiteImpl(cs),
      ]

      it("computes the same hashes, MACs and KDF outputs", async () => {
        // 4096 and 4097 bytes: either side of the size where the WebCrypto provider moves from @noble/hashes to WebCrypto.
        const [ours, theirs] = await both()
        for (const n of [0, 1, 55, 64, 200, 4096, 4097, 5000]) {
          const data = bytes(n, n)
          expect(hex(await ours.hash.digest(data))).toBe(hex(await theirs.hash.digest(data)))
          const key = bytes(ours.kdf.size, 7)
          expect(hex(await ours.hash.mac(key, data))).toBe(hex(await theirs.hash.mac(key, data)))
          expect(hex(await ours.kdf.extract(key, data))).toBe(hex(await theirs.kdf.extract(key, data)))
        }
        expect(hex(await ours.kdf.extract(new Uint8Array(), bytes(32, 1)))).toBe(
          hex(await theirs.kdf.extract(new Uint8Array(), bytes(32, 1))),
        )
        const prk = bytes(ours.kdf.size, 9)
        for (const length of [1, 16, 32, 33, 64, 65, 200]) {
          expect(hex(await ours.kdf.expand(prk, bytes(20, length), length))).toBe(
            hex(await theirs.kdf.expand(prk, bytes(20, length), length)),
          )
        }
        expect(ours.kdf.size).toBe(theirs.kdf.size)
        expect([ours.hpke.keyLength, ours.hpke.nonceLength]).toEqual([
          theirs.hpke.keyLength,
          theirs.hpke.nonceLength,
        ])
      })

      it("verifies MACs like the default provider", async () => {
        const [ours, theirs] = await both()
        const key = bytes(32, 3)
        const data = bytes(40, 4)
        const tag = await theirs.hash.mac(key, data)
        for (const [candidate, expected] of [
          [tag, true],
          [flip(tag, 0), false],
          [tag.subarray(0, tag.length - 1), false],
        ] as const) {
          expect(await ours.hash.verifyMac(key, candidate, data)).toBe(expected)
          expect(await theirs.hash.verifyMac(key, candidate, data)).toBe(expected)
        }
      })

      it("derives the same HPKE key pairs (RFC 9180 DeriveKeyPair)", async () => {
        const [ours, theirs] = await both()
        for (const seed of [1, 2, 3]) {
          const ikm = bytes(32, seed)
          const a = await ours.hpke.deriveKeyPair(ikm)
          const b = await theirs.hpke.deriveKeyPair(ikm)
          expect(hex(await ours.hpke.exportPublicKey(a.publicKey))).toBe(
            hex(await theirs.hpke.exportPublicKey(b.publicKey)),
          )
          expect(hex(await ours.hpke.exportPrivateKey(a.privateKey))).toBe(
            hex(await theirs.hpke.exportPrivateKey(b.privateKey)),
          )
        }
      })

      it("seals to and opens from the default provider, and rejects tampering with CryptoError", async () => {
        const [ours, theirs] = await both()
        const info = bytes(30, 5)
        const aad = bytes(12, 6)
        const plaintext = bytes(100, 7)
        for (const [sender, receiver] of [
          [ours, theirs],
          [theirs, ours],
        ] as const) {
          const pair = await receiver.hpke.generateKeyPair()
          const publicKey = await sender.hpke.importPublicKey(
            await receiver.hpke.exportPublicKey(pair.publicKey),
          )
          const privateKey = await receiver.hpke.importPrivateKey(
            await receiver.hpke.exportPrivateKey(pair.privateKey),
          )
          const { ct, enc } = await sender.hpke.seal(publicKey, plaintext, info, aad)
          expect(hex(await receiver.hpke.open(privateKey, enc, ct, info, aad))).toBe(hex(plaintext))
          await expect(receiver.hpke.open(privateKey, enc, flip(ct, 0), info, aad)).rejects.toThrow(
            CryptoError,
          )
          await expect(receiver.hpke.open(privateKey, enc, ct, flip(info, 0), aad)).rejects.toThrow(
            CryptoError,
          )
          await expect(receiver.hpke.open(privateKey, enc, ct, info, flip(aad, 0))).rejects.toThrow(
            CryptoError,
          )
          const other = await receiver.hpke.generateKeyPair()
          await expect(receiver.hpke.open(other.privateKey, enc, ct, info, aad)).rejects.toThrow(CryptoError)

          const context = bytes(16, 8)
          const exported = await sender.hpke.exportSecret(publicKey, context, 32, info)
          expect(hex(await receiver.hpke.importSecret(privateKey, context, exported.enc, 32, info))).toBe(
            hex(exported.secret),
          )
        }
      })

      it("encrypts and decrypts AEAD like the default provider, and rejects tampering with CryptoError", async () => {
        const [ours, theirs] = await both()
        const key = bytes(ours.hpke.keyLength, 1)
        const nonce = bytes(ours.hpke.nonceLength, 2)
        const aad = bytes(20, 3)
        const plaintext = bytes(200, 4)
        const sealed = await ours.hpke.encryptAead(key, nonce, aad, plaintext)
        expect(hex(sealed)).toBe(hex(await theirs.hpke.encryptAead(key, nonce, aad, plaintext)))
        expect(hex(await theirs.hpke.decryptAead(key, nonce, aad, sealed))).toBe(hex(plaintext))
        expect(
          hex(
            await ours.hpke.decryptAead(
              key,
              nonce,
              undefined,
              await theirs.hpke.encryptAead(key, nonce, undefined, plaintext),
            ),
          ),
        ).toBe(hex(plaintext))
        for (const impl of [ours, theirs]) {
          await expect(impl.hpke.decryptAead(key, nonce, aad, flip(sealed, 0))).rejects.toThrow(CryptoError)
          await expect(impl.hpke.decryptAead(key, nonce, aad, flip(sealed, -1))).rejects.toThrow(CryptoError)
          await expect(impl.hpke.decryptAead(key, nonce, flip(aad, 0), sealed)).rejects.toThrow(CryptoError)
          await expect(impl.hpke.decryptAead(flip(key, 0), nonce, aad, sealed)).rejects.toThrow(CryptoError)
          await expect(impl.hpke.decryptAead(key, nonce, aad, sealed.subarray(0, 10))).rejects.toThrow(
            CryptoError,
          )
        }
      })

      it("signs exactly like the default provider and fails verification the same way", async () => {
        const [ours, theirs] = await both()
        const message = bytes(80, 9)
        const mine = await ours.signature.keygen()
        expect(mine.signKey.length).toBe(32)
        expect(mine.publicKey.length).toBe(32)
        const defaults = await theirs.signature.keygen() // PKCS#8 private key from WebCrypto
        for (const keys of [mine, defaults]) {
          const signature = await ours.signature.sign(keys.signKey, message)
          // Ed25519 is deterministic: both providers must produce the same bytes from the same key.
          expect(hex(signature)).toBe(hex(await theirs.signature.sign(keys.signKey, message)))
          expect(await theirs.signature.verify(keys.publicKey, message, signature)).toBe(true)
          expect(await ours.signature.verify(keys.publicKey, message, signature)).toBe(true)
        }
        const signature = await theirs.signature.sign(mine.signKey, message)
        const cases: [string, Uint8Array, Uint8Array, Uint8Array, string][] = [
          ["tampered signature", mine.publicKey, message, flip(signature, 10), "false"],
          ["tampered message", mine.publicKey, flip(message, 0), signature, "false"],
          ["another key", defaults.publicKey, message, signature, "false"],
          ["truncated signature", mine.publicKey, message, signature.subarray(0, 63), "false"],
          ["empty signature", mine.publicKey, message, new Uint8Array(), "false"],
          ["31-byte public key", mine.publicKey.subarray(0, 31), message, signature, "throws"],
        ]
        for (const [, publicKey, m, s, expected] of cases) {
          expect(await outcome(theirs.signature.verify(publicKey, m, s))).toBe(expected)
          expect(await outcome(ours.signature.verify(publicKey, m, s))).toBe(expected)
        }
      })
    })
  }

  describe(`${providerName} provider, other suites and key caches`, () => {
    it("delegates a suite it does not accelerate to ts-mls' default provider", async () => {
      const cs = getCiphersuiteFromName("MLS_128_DHKEMP256_AES128GCM_SHA256_P256")
      const impl = await make().getCiphersuiteImpl(cs)
      expect(impl.name).toBe(cs.name)
      const keys = await impl.signature.keygen()
      expect(keys.publicKey.length).toBe(33) // a compressed P-256 point (noble), not a 32-byte Ed25519 key
      const message = bytes(10, 1)
      expect(
        await impl.signature.verify(
          keys.publicKey,
          message,
          await impl.signature.sign(keys.signKey, message),
        ),
      ).toBe(true)
    })

    it("keeps its key caches bounded and can clear them", async () => {
      const provider =
        providerName === "node"
          ? createNodeCryptoProvider({ keyCacheSize: 3 })
          : createWebCryptoProvider({ keyCacheSize: 3 })
      const impl = await provider.getCiphersuiteImpl(
        getCiphersuiteFromName(suites[0] ?? "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"),
      )
      const message = bytes(10, 2)
      const pairs = await Promise.all([1, 2, 3, 4, 5].map(() => impl.signature.keygen()))
      provider.clearKeyCache()
      for (const pair of pairs) {
        const signature = await impl.signature.sign(pair.signKey, message)
        expect(await impl.signature.verify(pair.publicKey, message, signature)).toBe(true)
      }
      expect(provider.keyCacheSizes()).toMatchObject({ signing: 3, verifying: 3 })
      // Evicted keys are imported again and still work.
      const first = pairs[0]
      if (first === undefined) throw new Error("no key pair")
      expect(
        await impl.signature.verify(
          first.publicKey,
          message,
          await impl.signature.sign(first.signKey, message),
        ),
      ).toBe(true)
      const hpkePair = await impl.hpke.generateKeyPair()
      await impl.hpke.importPublicKey(await impl.hpke.exportPublicKey(hpkePair.publicKey))
      expect(provider.keyCacheSizes().hpkePublic).toBe(1)
      provider.clearKeyCache()
      expect(provider.keyCacheSizes()).toEqual({ signing: 0, verifying: 0, hpkePublic: 0 })
    })
  })
}
