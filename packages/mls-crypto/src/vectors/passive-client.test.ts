import {
  bytesToBase64,
  decodeMlsMessage,
  joinGroup,
  makePskIndex,
  processPrivateMessage,
  processPublicMessage,
  type ClientState,
  type CiphersuiteImpl,
} from "ts-mls"
import { decodeRatchetTree } from "ts-mls/ratchetTree.js"
import { describe, expect, it } from "vitest"
import { hpkeKeysMatch, signatureKeysMatch } from "../testing/key-match.js"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface PassiveClient {
  cipher_suite: number
  external_psks: { psk_id: string; psk: string }[]
  key_package: string
  signature_priv: string
  encryption_priv: string
  init_priv: string
  welcome: string
  ratchet_tree: string | null
  initial_epoch_authenticator: string
  epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[]
}

const families = [
  "passive-client-welcome.json",
  "passive-client-handling-commit.json",
  "passive-client-random.json",
]
const heavySuites = new Set([1, 2])

async function processHandshake(
  state: ClientState,
  bytes: Uint8Array,
  psks: Record<string, Uint8Array>,
  impl: CiphersuiteImpl,
): Promise<ClientState> {
  const message = decodeMlsMessage(bytes, 0)?.[0]
  if (message?.wireformat === "mls_private_message") {
    return (await processPrivateMessage(state, message.privateMessage, makePskIndex(state, psks), impl))
      .newState
  }
  if (message?.wireformat === "mls_public_message") {
    return (await processPublicMessage(state, message.publicMessage, makePskIndex(state, psks), impl))
      .newState
  }
  throw new Error("expected a handshake message")
}

for (const family of families) {
  const vectors = loadVectors<PassiveClient>(family)
  for (const { name, provider } of ourProviders()) {
    describe(`RFC 9420 ${family.replace(".json", "")} vectors, ${name} provider`, () => {
      it.each(casesOf(vectors).filter(([, v]) => heavySuites.has(v.cipher_suite)))(
        "%s",
        async (_label, v) => {
          const impl = await implFor(provider, v.cipher_suite)
          const keyPackage = decodeMlsMessage(hex(v.key_package), 0)?.[0]
          const welcome = decodeMlsMessage(hex(v.welcome), 0)?.[0]
          if (keyPackage?.wireformat !== "mls_key_package" || welcome?.wireformat !== "mls_welcome") {
            throw new Error("undecodable vector")
          }
          const kp = keyPackage.keyPackage
          expect(await hpkeKeysMatch(kp.initKey, hex(v.init_priv), impl)).toBe(true)
          expect(await hpkeKeysMatch(kp.leafNode.hpkePublicKey, hex(v.encryption_priv), impl)).toBe(true)
          expect(await signatureKeysMatch(kp.leafNode.signaturePublicKey, hex(v.signature_priv), impl)).toBe(
            true,
          )

          const psks: Record<string, Uint8Array> = {}
          for (const p of v.external_psks) psks[bytesToBase64(hex(p.psk_id))] = hex(p.psk)
          const tree = v.ratchet_tree === null ? undefined : decodeRatchetTree(hex(v.ratchet_tree), 0)?.[0]
          let state = await joinGroup(
            welcome.welcome,
            kp,
            {
              initPrivateKey: hex(v.init_priv),
              hpkePrivateKey: hex(v.encryption_priv),
              signaturePrivateKey: hex(v.signature_priv),
            },
            makePskIndex(undefined, psks),
            impl,
            tree,
          )
          expect(toHex(state.keySchedule.epochAuthenticator)).toBe(v.initial_epoch_authenticator)
          for (const epoch of v.epochs) {
            for (const proposal of epoch.proposals)
              state = await processHandshake(state, hex(proposal), psks, impl)
            state = await processHandshake(state, hex(epoch.commit), psks, impl)
            expect(toHex(state.keySchedule.epochAuthenticator)).toBe(epoch.epoch_authenticator)
          }
        },
        60_000,
      )
    })
  }
}
