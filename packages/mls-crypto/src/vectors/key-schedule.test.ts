import type { GroupContext } from "ts-mls"
import { encodeGroupContext } from "ts-mls/groupContext.js"
import { initializeEpoch, mlsExporter } from "ts-mls/keySchedule.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, suiteName, toHex } from "../testing/vectors.js"

interface Epoch {
  tree_hash: string
  commit_secret: string
  psk_secret: string
  confirmed_transcript_hash: string
  group_context: string
  joiner_secret: string
  welcome_secret: string
  init_secret: string
  sender_data_secret: string
  encryption_secret: string
  exporter_secret: string
  epoch_authenticator: string
  external_secret: string
  confirmation_key: string
  membership_key: string
  resumption_psk: string
  external_pub: string
  exporter: { label: string; context: string; length: number; secret: string }
}

interface KeySchedule {
  cipher_suite: number
  group_id: string
  initial_init_secret: string
  epochs: Epoch[]
}

const vectors = loadVectors<KeySchedule>("key-schedule.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 key-schedule vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      let initSecret = hex(v.initial_init_secret)
      for (const [index, epoch] of v.epochs.entries()) {
        const context: GroupContext = {
          version: "mls10",
          cipherSuite: suiteName(v.cipher_suite),
          groupId: hex(v.group_id),
          epoch: BigInt(index),
          treeHash: hex(epoch.tree_hash),
          confirmedTranscriptHash: hex(epoch.confirmed_transcript_hash),
          extensions: [],
        }
        expect(toHex(encodeGroupContext(context))).toBe(epoch.group_context)

        const next = await initializeEpoch(
          initSecret,
          hex(epoch.commit_secret),
          context,
          hex(epoch.psk_secret),
          impl.kdf,
        )
        const ks = next.keySchedule
        expect(toHex(next.joinerSecret)).toBe(epoch.joiner_secret)
        expect(toHex(next.welcomeSecret)).toBe(epoch.welcome_secret)
        expect(toHex(next.encryptionSecret)).toBe(epoch.encryption_secret)
        expect(toHex(ks.initSecret)).toBe(epoch.init_secret)
        expect(toHex(ks.senderDataSecret)).toBe(epoch.sender_data_secret)
        expect(toHex(ks.exporterSecret)).toBe(epoch.exporter_secret)
        expect(toHex(ks.epochAuthenticator)).toBe(epoch.epoch_authenticator)
        expect(toHex(ks.externalSecret)).toBe(epoch.external_secret)
        expect(toHex(ks.confirmationKey)).toBe(epoch.confirmation_key)
        expect(toHex(ks.membershipKey)).toBe(epoch.membership_key)
        expect(toHex(ks.resumptionPsk)).toBe(epoch.resumption_psk)

        // external_pub = KEM.DeriveKeyPair(external_secret).public (RFC 9420 §8.3, RFC 9180 §7.1.3)
        const external = await impl.hpke.deriveKeyPair(ks.externalSecret)
        expect(toHex(await impl.hpke.exportPublicKey(external.publicKey))).toBe(epoch.external_pub)

        const x = epoch.exporter
        expect(toHex(await mlsExporter(ks.exporterSecret, x.label, hex(x.context), x.length, impl))).toBe(
          x.secret,
        )
        initSecret = ks.initSecret
      }
    })
  })
}
