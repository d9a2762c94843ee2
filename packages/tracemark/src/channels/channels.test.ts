import { createHash, randomBytes } from "node:crypto"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeImage } from "../decode/decode-image.js"
import { decodeText } from "../decode/decode-text.js"
import { foldToken } from "../decode/normalize.js"
import { resampleRgba } from "../image/resample.js"
import { markCopy } from "../mark-copy.js"
import type { SlotChannel } from "../slots.js"
import { buildTemplate } from "../template.js"
import { syntheticScreenshot } from "../testing/synthetic-screenshot.js"

const message =
  "Minister, thank you for today's call. We don't see a path to the summit on 12 March unless the " +
  '"core group" agrees first - the organisation\'s position is unchanged... Our delegation will arrive at ' +
  "14:30, and we have 12,500 observers, engineers, and medics ready. It is 15 per cent of the budget."

const secret = (): Uint8Array => new Uint8Array(randomBytes(32))
/** Fixed secrets for the synthetic-screenshot tests: their crude glyph boxes misread a word now and then. */
const seeded = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(label).digest())

function channelAgreement(
  channel: SlotChannel,
  observed: (number | null)[],
  choices: number[],
  channels: SlotChannel[],
) {
  let read = 0
  let wrong = 0
  observed.forEach((o, i) => {
    if (channels[i] !== channel || o === null) return
    read++
    if (o !== choices[i]) wrong++
  })
  return { read, wrong }
}

describe("text channels round trip", () => {
  const template = buildTemplate(message, { wording: true })
  const channels = template.slots.map((s) => s.channel)

  it("reads every glyph, sentence-space, invisible and wording slot back from a pasted copy", () => {
    for (let trial = 0; trial < 5; trial++) {
      const copy = markCopy({ text: message, messageId: "m", secret: secret(), template })
      const reading = decodeText(copy.text, template, "m")
      expect(reading.stripped).toBe(false)
      for (const channel of ["glyph", "invisible", "wording"] as const) {
        const total = channels.filter((c) => c === channel).length
        expect(total).toBeGreaterThan(0)
        expect(channelAgreement(channel, reading.observed, copy.choices, channels)).toEqual({
          read: total,
          wrong: 0,
        })
      }
      // Sentence spacing is read whenever at least one double space is present in the copy.
      const sentence = channelAgreement("sentence-space", reading.observed, copy.choices, channels)
      expect(sentence.wrong).toBe(0)
      // Layout and overlay marks cannot be seen in text: erasures.
      reading.observed.forEach((o, i) => {
        if (channels[i] === "shift" || channels[i] === "overlay") expect(o).toBeNull()
      })
    }
  })

  it("reports stripped invisible marks and keeps only the readings a stripper cannot forge", () => {
    const copy = markCopy({ text: message, messageId: "m", secret: secret(), template })
    const stripped = copy.text
      .normalize("NFKC")
      .replace(/[\u200b-\u200d\u2060]/g, "")
      .replace(/[\u2018\u2019]/g, "'")
      .replace(/[\u201c\u201d]/g, '"')
    const reading = decodeText(stripped, template, "m")
    expect(reading.stripped).toBe(true)
    expect(channelAgreement("invisible", reading.observed, copy.choices, channels).read).toBe(0)
    const wording = channelAgreement("wording", reading.observed, copy.choices, channels)
    expect(wording).toEqual({ read: channels.filter((c) => c === "wording").length, wrong: 0 })
    // No ASCII quote or three-dot reading survives stripping as evidence.
    template.slots.forEach((slot, i) => {
      const o = reading.observed[i]
      if (slot.channel !== "glyph" || o === undefined || o === null) return
      const label: string = slot.labels[o] ?? ""
      expect(["'", '"', "..."]).not.toContain(label.slice(label.lastIndexOf(" ") + 1))
    })
  })

  it("reads wording marks from a retyped copy with typos", () => {
    const copy = markCopy({ text: message, messageId: "m", secret: secret(), template })
    const retyped = foldToken(copy.text)
      .replace(/\s+/g, " ")
      .replace("minister", "ministr")
      .replace("budget", "budgt")
    const reading = decodeText(retyped, template, "m")
    const wording = channelAgreement("wording", reading.observed, copy.choices, channels)
    expect(wording.read).toBeGreaterThanOrEqual(channels.filter((c) => c === "wording").length - 1)
    expect(wording.wrong).toBe(0)
  })
})

describe("typographic marks", () => {
  const wordsOf = (text: string): string[] =>
    text
      .replace(/[\u200b-\u200d\u2060]/g, "")
      .normalize("NFC")
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w !== "")

  it("never change a word (property test over arbitrary text)", () => {
    const alphabet = fc.constantFrom(
      ..."abcdefgHIJK0123 ,.;:!?'\"-\u2013\u2014\u2026\u2018\u2019\u201c\u201d()\n".split(""),
      "...",
      " -- ",
      " - ",
    )
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 80 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (parts, key) => {
          const text = parts.join("")
          const copy = markCopy({ text, messageId: "p", secret: key, options: { wording: false } })
          expect(wordsOf(copy.text)).toEqual(wordsOf(text))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe("layout and overlay channels round trip (synthetic screenshots)", () => {
  const template = buildTemplate(message)
  const channels = template.slots.map((s) => s.channel)

  it.each([1, 2, 0.5])("reads word shifts, sentence spacing and the overlay at scale %f", (scale) => {
    const copy = markCopy({ text: message, messageId: "m", secret: seeded(`layout-${scale}`), template })
    let image = syntheticScreenshot(copy.plan, scale >= 1 ? scale : 1)
    if (scale < 1) image = resampleRgba(image, scale)
    const { reading } = decodeImage(image, template, "m")
    const shifts = channelAgreement("shift", reading.observed, copy.choices, channels)
    expect(shifts.read).toBeGreaterThanOrEqual(0.8 * channels.filter((c) => c === "shift").length)
    // The synthetic glyph boxes are cruder than real text; allow a bit error rate of a few per cent.
    expect(shifts.wrong).toBeLessThanOrEqual(2)
    const overlay = channelAgreement("overlay", reading.observed, copy.choices, channels)
    expect(overlay.read).toBeGreaterThanOrEqual(40)
    expect(overlay.wrong).toBe(0)
    expect(channelAgreement("sentence-space", reading.observed, copy.choices, channels).wrong).toBe(0)
  })

  it("reads wording choices from the layout of a screenshot", () => {
    const withWording = buildTemplate(message, { wording: true })
    const ch = withWording.slots.map((s) => s.channel)
    const copy = markCopy({
      text: message,
      messageId: "m",
      secret: seeded("wording-layout"),
      template: withWording,
    })
    const { reading } = decodeImage(syntheticScreenshot(copy.plan, 2), withWording, "m")
    const wording = channelAgreement("wording", reading.observed, copy.choices, ch)
    expect(wording.read).toBeGreaterThanOrEqual(5)
    expect(wording.wrong).toBe(0)
  })
})
