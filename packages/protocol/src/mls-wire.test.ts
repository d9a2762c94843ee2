import { describe, expect, it } from "vitest"
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  defaultCapabilities,
  defaultLifetime,
} from "ts-mls"
import { readMlsFraming } from "./mls-wire.js"
import { utf8 } from "./encoding.js"

// Real MLS messages from ts-mls, read back by the server-side framing reader.
async function fixtures() {
  const impl = await getCiphersuiteImpl(
    getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"),
  )
  const kp = (id: string) =>
    generateKeyPackage(
      { credentialType: "basic", identity: utf8(id) },
      defaultCapabilities(),
      defaultLifetime,
      [],
      impl,
    )
  const alice = await kp("alice/AAAAAAAAAAAAAAAAAAAAAA")
  const bob = await kp("bob/BBBBBBBBBBBBBBBBBBBBBB")
  const groupId = new Uint8Array(32).fill(7)
  const state = await createGroup(groupId, alice.publicPackage, alice.privatePackage, [], impl)
  const privateCommit = await createCommit(
    { state, cipherSuite: impl },
    {
      extraProposals: [{ proposalType: "add", add: { keyPackage: bob.publicPackage } }],
      ratchetTreeExtension: true,
    },
  )
  const publicCommit = await createCommit({ state, cipherSuite: impl }, { wireAsPublicMessage: true })
  const app = await createApplicationMessage(privateCommit.newState, utf8("hello"), impl)
  return {
    groupId,
    alice,
    keyPackage: encodeMlsMessage({
      keyPackage: alice.publicPackage,
      wireformat: "mls_key_package",
      version: "mls10",
    }),
    privateCommit: encodeMlsMessage(privateCommit.commit),
    publicCommit: encodeMlsMessage(publicCommit.commit),
    welcome: encodeMlsMessage({
      welcome: privateCommit.welcome!,
      wireformat: "mls_welcome",
      version: "mls10",
    }),
    application: encodeMlsMessage({
      privateMessage: app.privateMessage,
      wireformat: "mls_private_message",
      version: "mls10",
    }),
  }
}

describe("readMlsFraming", () => {
  it("reads group, epoch and content type of real messages", async () => {
    const f = await fixtures()
    expect(readMlsFraming(f.privateCommit)).toEqual({
      wireFormat: "privateMessage",
      groupId: f.groupId,
      epoch: 0n,
      contentType: "commit",
    })
    expect(readMlsFraming(f.publicCommit)).toEqual({
      wireFormat: "publicMessage",
      groupId: f.groupId,
      epoch: 0n,
      contentType: "commit",
    })
    expect(readMlsFraming(f.application)).toEqual({
      wireFormat: "privateMessage",
      groupId: f.groupId,
      epoch: 1n,
      contentType: "application",
    })
    expect(readMlsFraming(f.welcome)).toEqual({ wireFormat: "welcome", cipherSuite: 1 })
  })

  it("reads the signature key and credential of a key package", async () => {
    const f = await fixtures()
    const framing = readMlsFraming(f.keyPackage)
    expect(framing.wireFormat).toBe("keyPackage")
    if (framing.wireFormat !== "keyPackage") return
    expect(framing.cipherSuite).toBe(1)
    expect(framing.signatureKey).toEqual(f.alice.publicPackage.leafNode.signaturePublicKey)
    expect(new TextDecoder().decode(framing.identity)).toBe("alice/AAAAAAAAAAAAAAAAAAAAAA")
  })

  it("rejects truncated, extended and foreign bytes", async () => {
    const f = await fixtures()
    for (let cut = 0; cut < f.application.length; cut += 7) {
      expect(() => readMlsFraming(f.application.subarray(0, cut))).toThrow()
    }
    const extended = new Uint8Array(f.application.length + 1)
    extended.set(f.application)
    expect(() => readMlsFraming(extended)).toThrow(/trailing/)
    expect(() => readMlsFraming(utf8('{"not":"mls"}'))).toThrow()
    const wrongVersion = f.application.slice()
    wrongVersion[1] = 2
    expect(() => readMlsFraming(wrongVersion)).toThrow(/version/)
  })
})
