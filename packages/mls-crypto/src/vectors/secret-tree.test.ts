import { defaultKeyRetentionConfig } from "ts-mls/keyRetentionConfig.js"
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from "ts-mls/secretTree.js"
import { expandSenderDataKey, expandSenderDataNonce } from "ts-mls/sender.js"
import { leafToNodeIndex, toLeafIndex } from "ts-mls/treemath.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface Generation {
  generation: number
  handshake_key: string
  handshake_nonce: string
  application_key: string
  application_nonce: string
}

interface SecretTreeVector {
  cipher_suite: number
  sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string }
  encryption_secret: string
  leaves: Generation[][]
}

const vectors = loadVectors<SecretTreeVector>("secret-tree.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 secret-tree vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const sd = v.sender_data
      expect(toHex(await expandSenderDataKey(impl, hex(sd.sender_data_secret), hex(sd.ciphertext)))).toBe(
        sd.key,
      )
      expect(toHex(await expandSenderDataNonce(impl, hex(sd.sender_data_secret), hex(sd.ciphertext)))).toBe(
        sd.nonce,
      )

      const tree = await createSecretTree(v.leaves.length, hex(v.encryption_secret), impl.kdf)
      for (const [leaf, generations] of v.leaves.entries()) {
        const node = tree[leafToNodeIndex(toLeafIndex(leaf))]
        if (node === undefined) throw new Error("secret tree has no node for this leaf")
        for (const g of generations) {
          const [handshake] = await ratchetUntil(
            node.handshake,
            g.generation,
            defaultKeyRetentionConfig,
            impl.kdf,
          )
          expect(handshake.generation).toBe(g.generation)
          expect(toHex(await deriveKey(handshake.secret, handshake.generation, impl))).toBe(g.handshake_key)
          expect(toHex(await deriveNonce(handshake.secret, handshake.generation, impl))).toBe(
            g.handshake_nonce,
          )
          const [application] = await ratchetUntil(
            node.application,
            g.generation,
            defaultKeyRetentionConfig,
            impl.kdf,
          )
          expect(toHex(await deriveKey(application.secret, application.generation, impl))).toBe(
            g.application_key,
          )
          expect(toHex(await deriveNonce(application.secret, application.generation, impl))).toBe(
            g.application_nonce,
          )
        }
      }
    })
  })
}
