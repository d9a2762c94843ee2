import { refhash } from "ts-mls/crypto/hash.js"
import { decryptWithLabel, encryptWithLabel } from "ts-mls/crypto/hpke.js"
import { deriveSecret, deriveTreeSecret, expandWithLabel } from "ts-mls/crypto/kdf.js"
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface CryptoBasics {
  cipher_suite: number
  ref_hash: { label: string; value: string; out: string }
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string }
  derive_secret: { secret: string; label: string; out: string }
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string }
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string }
  encrypt_with_label: {
    priv: string
    pub: string
    label: string
    context: string
    plaintext: string
    kem_output: string
    ciphertext: string
  }
}

const vectors = loadVectors<CryptoBasics>("crypto-basics.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 crypto-basics vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)

      const r = v.ref_hash
      expect(toHex(await refhash(r.label, hex(r.value), impl.hash))).toBe(r.out)

      const e = v.expand_with_label
      expect(toHex(await expandWithLabel(hex(e.secret), e.label, hex(e.context), e.length, impl.kdf))).toBe(
        e.out,
      )

      const d = v.derive_secret
      expect(toHex(await deriveSecret(hex(d.secret), d.label, impl.kdf))).toBe(d.out)

      const t = v.derive_tree_secret
      expect(toHex(await deriveTreeSecret(hex(t.secret), t.label, t.generation, t.length, impl.kdf))).toBe(
        t.out,
      )

      const s = v.sign_with_label
      expect(
        await verifyWithLabel(hex(s.pub), s.label, hex(s.content), hex(s.signature), impl.signature),
      ).toBe(true)
      const ours = await signWithLabel(hex(s.priv), s.label, hex(s.content), impl.signature)
      expect(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), ours, impl.signature)).toBe(true)
      if (v.cipher_suite === 1) {
        // Ed25519 is deterministic (RFC 8032 §5.1.6): our signature must be the vector's, byte for byte.
        expect(toHex(ours)).toBe(s.signature)
      }
      const flipped = hex(s.signature)
      flipped[0] = (flipped[0] ?? 0) ^ 1
      expect(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), flipped, impl.signature)).toBe(false)

      const h = v.encrypt_with_label
      const privateKey = await impl.hpke.importPrivateKey(hex(h.priv))
      const publicKey = await impl.hpke.importPublicKey(hex(h.pub))
      const opened = await decryptWithLabel(
        privateKey,
        h.label,
        hex(h.context),
        hex(h.kem_output),
        hex(h.ciphertext),
        impl.hpke,
      )
      expect(toHex(opened)).toBe(h.plaintext)
      const sealed = await encryptWithLabel(publicKey, h.label, hex(h.context), hex(h.plaintext), impl.hpke)
      const reopened = await decryptWithLabel(
        privateKey,
        h.label,
        hex(h.context),
        sealed.enc,
        sealed.ct,
        impl.hpke,
      )
      expect(toHex(reopened)).toBe(h.plaintext)
    })
  })
}
