import { decodeMlsMessage } from "ts-mls"
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from "ts-mls/groupInfo.js"
import { makeKeyPackageRef } from "ts-mls/keyPackage.js"
import { decryptGroupInfo, decryptGroupSecrets } from "ts-mls/welcome.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface WelcomeVector {
  cipher_suite: number
  init_priv: string
  signer_pub: string
  key_package: string
  welcome: string
}

const vectors = loadVectors<WelcomeVector>("welcome.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 welcome vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const welcome = decodeMlsMessage(hex(v.welcome), 0)?.[0]
      const keyPackage = decodeMlsMessage(hex(v.key_package), 0)?.[0]
      if (welcome?.wireformat !== "mls_welcome" || keyPackage?.wireformat !== "mls_key_package") {
        throw new Error("undecodable vector")
      }
      const ref = await makeKeyPackageRef(keyPackage.keyPackage, impl.hash)
      expect(welcome.welcome.secrets.some((s) => toHex(s.newMember) === toHex(ref))).toBe(true)

      const initKey = await impl.hpke.importPrivateKey(hex(v.init_priv))
      const secrets = await decryptGroupSecrets(initKey, ref, welcome.welcome, impl.hpke)
      if (secrets === undefined) throw new Error("group secrets did not decrypt")
      const pskSecret = new Uint8Array(impl.kdf.size)
      const groupInfo = await decryptGroupInfo(welcome.welcome, secrets.joinerSecret, pskSecret, impl)
      if (groupInfo === undefined) throw new Error("GroupInfo did not decrypt")
      expect(await verifyGroupInfoConfirmationTag(groupInfo, secrets.joinerSecret, pskSecret, impl)).toBe(
        true,
      )
      expect(await verifyGroupInfoSignature(groupInfo, hex(v.signer_pub), impl.signature)).toBe(true)
    })
  })
}
