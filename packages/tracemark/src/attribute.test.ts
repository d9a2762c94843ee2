import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { attribute, bandOf, type Candidate } from "./attribute.js"
import { decodeText } from "./decode/decode-text.js"
import { deriveCopySecret, tracemarkKeyPairFromSeed } from "./keys.js"
import { markCopy } from "./mark-copy.js"
import { matchLeakText } from "./match-message.js"
import type { Reading } from "./reading.js"
import { buildTemplate } from "./template.js"

const text =
  "Thank you for the frank exchange this morning. We will not object to the draft communiqué, but the " +
  "paragraph on sanctions needs the language we agreed in Vienna. Please keep this between our offices."

function setup(n: number) {
  const sender = tracemarkKeyPairFromSeed(new Uint8Array(randomBytes(32)))
  const devices = Array.from({ length: n }, () => tracemarkKeyPairFromSeed(new Uint8Array(randomBytes(32))))
  const secretOf = (i: number, messageId: string): Uint8Array =>
    deriveCopySecret({
      ownPrivateKey: sender.privateKey,
      peerPublicKey: devices[i]!.publicKey,
      senderPublicKey: sender.publicKey,
      recipientPublicKey: devices[i]!.publicKey,
      messageId,
    })
  const candidates = (ids: string[]): Candidate[] =>
    devices.map((_, i) => ({
      id: `device-${i}`,
      secretsPerMessage: Object.fromEntries(ids.map((id) => [id, secretOf(i, id)])),
    }))
  return { sender, devices, secretOf, candidates }
}

describe("attribution", () => {
  it("attributes a pasted copy to its device and to no other", () => {
    const { secretOf, candidates } = setup(20)
    const template = buildTemplate(text)
    const copy = markCopy({ text, messageId: "m1", secret: secretOf(7, "m1"), template })
    const results = attribute([decodeText(copy.text, template, "m1")], candidates(["m1"]))
    expect(results[0]?.id).toBe("device-7")
    expect(results[0]?.band).toBe("conclusive")
    expect(results.slice(1).every((r) => r.band === "inconclusive")).toBe(true)
  })

  it("cannot be framed: a recipient's forgery with what it holds still points at the forger, not the victim", () => {
    const { sender, devices, secretOf, candidates } = setup(10)
    const template = buildTemplate(text)
    // Device 3 wants to frame device 5. It can derive its own secret and guess with every key it holds.
    const guess = deriveCopySecret({
      ownPrivateKey: devices[3]!.privateKey,
      peerPublicKey: devices[5]!.publicKey,
      senderPublicKey: sender.publicKey,
      recipientPublicKey: devices[5]!.publicKey,
      messageId: "m1",
    })
    const forged = markCopy({ text, messageId: "m1", secret: guess, template })
    const results = attribute([decodeText(forged.text, template, "m1")], candidates(["m1"]))
    const victim = results.find((r) => r.id === "device-5")!
    expect(victim.band).toBe("inconclusive")
    expect(results.every((r) => r.band === "inconclusive")).toBe(true)
    // Leaking its own copy convicts the forger.
    const own = markCopy({ text, messageId: "m1", secret: secretOf(3, "m1"), template })
    expect(attribute([decodeText(own.text, template, "m1")], candidates(["m1"]))[0]?.id).toBe("device-3")
  })

  it("sums evidence across several leaked messages", () => {
    const { secretOf, candidates } = setup(30)
    const ids = ["a", "b", "c", "d", "e", "f"]
    const readings: Reading[] = ids.map((id) => {
      const template = buildTemplate(text, { wording: true })
      const copy = markCopy({ text, messageId: id, secret: secretOf(11, id), template })
      // Retyped: only wording survives.
      return decodeText(
        copy.text.replace(/[\u200b-\u200d\u2060]/g, "").replace(/[\u2019]/g, "'"),
        template,
        id,
      )
    })
    const one = attribute(readings.slice(0, 1), candidates(ids))
    const all = attribute(readings, candidates(ids))
    expect(one.find((r) => r.id === "device-11")?.band).toBe("inconclusive")
    const leaker = all.find((r) => r.id === "device-11")!
    const perLeak = readings.map((r) => r.observed.filter((o) => o !== null).length)
    expect(leaker.readable).toBe(perLeak.reduce((a, b) => a + b, 0))
    expect(leaker.pValue).toBeLessThan(one.find((r) => r.id === "device-11")!.pValue)
  })

  it("corrects for the number of candidates and leaks tested (Bonferroni)", () => {
    const { secretOf, candidates } = setup(4)
    const template = buildTemplate(text)
    const copy = markCopy({ text, messageId: "m1", secret: secretOf(0, "m1"), template })
    const reading = decodeText(copy.text, template, "m1")
    const r1 = attribute([reading], candidates(["m1"]))
    const r5 = attribute([reading], candidates(["m1"]), { leaksTested: 5 })
    for (const r of r1) if (r.adjustedP < 1) expect(r.adjustedP).toBeCloseTo(r.pValue * 4, 12)
    const innocent1 = r1.find((r) => r.pValue > 0.01 && r.pValue * 20 < 1)
    if (innocent1 !== undefined) {
      expect(r5.find((r) => r.id === innocent1.id)?.adjustedP).toBeCloseTo(innocent1.pValue * 20, 12)
    }
    expect(r5[0]!.adjustedP).toBeCloseTo(r1[0]!.pValue * 20, 12)
  })

  it("reports the documented bands at the documented thresholds", () => {
    expect(bandOf(1e-9)).toBe("conclusive")
    expect(bandOf(1.0001e-9)).toBe("attributable")
    expect(bandOf(1e-6)).toBe("attributable")
    expect(bandOf(1.0001e-6)).toBe("inconclusive")
  })

  it("finds which sent message a leaked text shows", () => {
    const others = [
      "The delegation lands at nine and goes straight to the ministry.",
      "We cannot support the amendment in its present form; please tell your team.",
      text,
      "Dinner is moved to Thursday; the ambassador sends her regards.",
    ]
    const messages = others.map((t, i) => ({ messageId: `m${i}`, template: buildTemplate(t) }))
    const leak = "thank you for the frank exchange this morning. we will not object to the draft communique"
    expect(matchLeakText(leak, messages)[0]?.messageId).toBe("m2")
  })
})
