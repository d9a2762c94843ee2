import { computePskSecret, type PreSharedKeyIdExternal } from "ts-mls/presharedkey.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface PskSecret {
  cipher_suite: number
  psks: { psk_id: string; psk: string; psk_nonce: string }[]
  psk_secret: string
}

const vectors = loadVectors<PskSecret>("psk_secret.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 psk_secret vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const psks = v.psks.map((p): [PreSharedKeyIdExternal, Uint8Array] => [
        { psktype: "external", pskId: hex(p.psk_id), pskNonce: hex(p.psk_nonce) },
        hex(p.psk),
      ])
      expect(toHex(await computePskSecret(psks, impl))).toBe(v.psk_secret)
    })
  })
}
