import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
} from "node:crypto"
import { describe, expect, it } from "vitest"
import { TracemarkError } from "./errors.js"
import { deriveCopySecret, tracemarkKeyPairFromSeed } from "./keys.js"
import { slotChoice } from "./prf.js"

const label = Buffer.from("backchannel/tracemark/v1/copy-secret")

/** Independent reference with node:crypto (X25519 + HKDF-SHA256), from the documented construction. */
function referenceSecret(
  own: Uint8Array,
  peer: Uint8Array,
  sender: Uint8Array,
  recipient: Uint8Array,
  id: string,
): Buffer {
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), own])
  const spki = Buffer.concat([Buffer.from("302a300506032b656e032100", "hex"), peer])
  const shared = diffieHellman({
    privateKey: createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }),
    publicKey: createPublicKey({ key: spki, format: "der", type: "spki" }),
  })
  const idBytes = Buffer.from(id, "utf8")
  const info = Buffer.concat([
    label,
    Buffer.from([idBytes.length >> 8, idBytes.length & 0xff]),
    idBytes,
    sender,
    recipient,
  ])
  return Buffer.from(hkdfSync("sha256", shared, label, info, 32))
}

const seed = (): Uint8Array => new Uint8Array(randomBytes(32))

describe("copy secrets", () => {
  const sender = tracemarkKeyPairFromSeed(seed())
  const alice = tracemarkKeyPairFromSeed(seed())
  const bob = tracemarkKeyPairFromSeed(seed())
  const senderSide = (r: typeof alice, id = "msg-1"): Uint8Array =>
    deriveCopySecret({
      ownPrivateKey: sender.privateKey,
      peerPublicKey: r.publicKey,
      senderPublicKey: sender.publicKey,
      recipientPublicKey: r.publicKey,
      messageId: id,
    })

  it("matches an independent node:crypto computation of X25519 + HKDF", () => {
    const want = referenceSecret(
      sender.privateKey,
      alice.publicKey,
      sender.publicKey,
      alice.publicKey,
      "msg-1",
    )
    expect(Buffer.from(senderSide(alice)).equals(want)).toBe(true)
  })

  it("is the same on the sender's side and on the recipient device", () => {
    const recipientSide = deriveCopySecret({
      ownPrivateKey: alice.privateKey,
      peerPublicKey: sender.publicKey,
      senderPublicKey: sender.publicKey,
      recipientPublicKey: alice.publicKey,
      messageId: "msg-1",
    })
    expect(Buffer.from(recipientSide).equals(Buffer.from(senderSide(alice)))).toBe(true)
  })

  it("differs per message and per recipient device", () => {
    expect(Buffer.from(senderSide(alice, "msg-2")).equals(Buffer.from(senderSide(alice)))).toBe(false)
    expect(Buffer.from(senderSide(bob)).equals(Buffer.from(senderSide(alice)))).toBe(false)
  })

  it("cannot be computed by another recipient from what it holds (no framing)", () => {
    const target = Buffer.from(senderSide(alice))
    // Bob holds his private key and every public key; each combination he can form misses Alice's secret.
    const attempts = [
      [bob.privateKey, alice.publicKey],
      [bob.privateKey, sender.publicKey],
    ] as const
    for (const [own, peer] of attempts) {
      const forged = deriveCopySecret({
        ownPrivateKey: own,
        peerPublicKey: peer,
        senderPublicKey: sender.publicKey,
        recipientPublicKey: alice.publicKey,
        messageId: "msg-1",
      })
      expect(Buffer.from(forged).equals(target)).toBe(false)
    }
  })

  it("rejects keys of the wrong length and low-order points", () => {
    const base = {
      ownPrivateKey: sender.privateKey,
      peerPublicKey: alice.publicKey,
      senderPublicKey: sender.publicKey,
      recipientPublicKey: alice.publicKey,
      messageId: "m",
    }
    expect(() => deriveCopySecret({ ...base, peerPublicKey: new Uint8Array(31) })).toThrow(TracemarkError)
    expect(() => deriveCopySecret({ ...base, peerPublicKey: new Uint8Array(32) })).toThrow(TracemarkError)
    expect(() => deriveCopySecret({ ...base, messageId: "" })).toThrow(TracemarkError)
  })
})

describe("slot PRF", () => {
  it("takes the first HMAC byte below the rejection limit, as documented", () => {
    const secret = new Uint8Array(randomBytes(32))
    for (const options of [2, 3, 4, 7]) {
      const mac = createHmac("sha256", secret)
        .update(
          Buffer.concat([
            Buffer.from("backchannel/tracemark/v1/slot\u0000"),
            Buffer.from("s:12"),
            Buffer.from([0]),
          ]),
        )
        .digest()
      const limit = 256 - (256 % options)
      const byte = [...mac].find((b) => b < limit) ?? 0
      expect(slotChoice(secret, "s:12", options)).toBe(byte % options)
    }
  })

  it("spreads choices uniformly over options", () => {
    const secret = new Uint8Array(32).fill(7)
    for (const options of [2, 3, 4]) {
      const counts = new Array<number>(options).fill(0)
      const n = 6000
      for (let i = 0; i < n; i++) counts[slotChoice(secret, `k${i}`, options)]! += 1
      const expected = n / options
      const sd = Math.sqrt(n * (1 / options) * (1 - 1 / options))
      for (const c of counts) expect(Math.abs(c - expected)).toBeLessThan(5 * sd)
    }
  })
})
