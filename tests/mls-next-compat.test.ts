import { createNodeCryptoProvider } from "@backchannel/mls-crypto/node"
import { getCiphersuiteFromName } from "ts-mls"
import { describe, expect, it } from "vitest"
import { nextImpls, nextUpdateCommits, nextVersion } from "../bench/mls/next.mjs"

// bench:mls times update commits on ts-mls' next major version (a release candidate Backchannel does not use
// yet) with our node provider, which is written against 1.6.4. These tests check what that measurement
// relies on: under 2.0 our provider interoperates with 2.0's own default provider in both directions (the
// member follows every commit and decrypts a message afterwards), and a member whose key derivation is off
// by one bit is refused rather than timed.

const suite = getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519")

describe(`our node provider under ts-mls ${nextVersion}`, () => {
  it("follows the commits of, and is followed by, ts-mls 2.0's default provider", async () => {
    const next = await nextImpls(createNodeCryptoProvider(), suite)
    const pairs = [
      [next.default, next.node],
      [next.node, next.default],
      [next.node, next.node],
    ] as const
    for (const [sender, receiver] of pairs) {
      const r = await nextUpdateCommits(sender, next.node, 6, 2, receiver)
      expect(r.sendMs).toBeGreaterThan(0)
      expect(r.receiveMs).toBeGreaterThan(0)
    }
  })

  it("refuses a member whose HKDF-Expand output differs by one bit", async () => {
    const next = await nextImpls(createNodeCryptoProvider(), suite)
    const kdf = next.node.kdf
    const broken = {
      ...next.node,
      kdf: {
        ...kdf,
        async expand(prk: Uint8Array, info: Uint8Array, length: number) {
          const out = await kdf.expand(prk, info, length)
          out[0] = (out[0] ?? 0) ^ 1
          return out
        },
      },
    }
    // Refused as a cryptographic failure (its Welcome no longer decrypts), not by some unrelated fault.
    await expect(nextUpdateCommits(next.node, next.node, 6, 2, broken)).rejects.toMatchObject({
      name: "CryptoError",
    })
  })
})
