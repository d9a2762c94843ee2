import { createHash, randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { decodeImage } from "../decode/decode-image.js"
import { decodeText } from "../decode/decode-text.js"
import { resampleRgba } from "../image/resample.js"
import { markCopy, renderChoices } from "../mark-copy.js"
import { buildTemplate, copyLines } from "../template.js"
import { syntheticScreenshot } from "../testing/synthetic-screenshot.js"
import { textAdvance } from "../font/metrics.js"

const message =
  "Minister, thank you for today's call. We don't see a path to the summit on 12 March unless the " +
  '"core group" agrees first - the organisation\'s position is unchanged... Our delegation will arrive at ' +
  "14:30, and we have 12,500 observers, engineers, and medics ready. It is 15 per cent of the budget.\n" +
  "We will support the resolution, and we will say so at the council tomorrow morning."

const secret = (): Uint8Array => new Uint8Array(randomBytes(32))
/** Fixed secrets for the synthetic-screenshot tests: their crude glyph boxes misread a word now and then. */
const seeded = (label: string): Uint8Array => new Uint8Array(createHash("sha256").update(label).digest())
const words = (s: string): string[] =>
  s
    .replace(/[\u200b-\u200d\u2060]/g, "")
    .split(/\s+/)
    .filter((w) => w !== "")

describe("line-break marks", () => {
  const template = buildTemplate(message)
  const breakSlots = template.slots.filter((s) => s.channel === "line-break")

  it("gives every paragraph one slot per possible break; option 0 everywhere is the natural layout", () => {
    expect(template.paragraphs.flatMap((p) => p.breakSlots)).toEqual(breakSlots.map((s) => s.index))
    expect(template.paragraphs[0]?.breakSlots.length).toBeGreaterThanOrEqual(template.lines.length - 3)
    expect(template.paragraphs[1]?.breakSlots.length).toBeGreaterThanOrEqual(1)
    expect(breakSlots.every((s) => s.options === 2 && s.key.startsWith("b:"))).toBe(true)
    expect(copyLines(template, () => 0)).toEqual(template.lines)
    // Copies of different recipients break their lines in different places.
    const arrangements = new Set(
      Array.from({ length: 8 }, () =>
        JSON.stringify(
          markCopy({ text: message, messageId: "m", secret: secret(), template }).plan.words.map(
            (w) => w.line,
          ),
        ),
      ),
    )
    expect(arrangements.size).toBeGreaterThan(1)
    // Without layout marks there are no line-break slots.
    expect(buildTemplate(message, { layout: false }).slots.some((s) => s.channel === "line-break")).toBe(
      false,
    )
  })

  it("never changes a word, keeps every line inside the bubble and sizes the bubble to the copy", () => {
    const g = template.options.geometry
    for (let trial = 0; trial < 20; trial++) {
      const copy = markCopy({ text: message, messageId: "m", secret: secret(), template })
      const natural = renderChoices(
        template,
        copy.choices.map((c, i) => (template.slots[i]?.channel === "line-break" ? 0 : c)),
      )
      // The text (what is copied) does not depend on where lines break.
      expect(copy.text).toBe(natural.text)
      // Reading the bubble line by line, left to right, gives the message's words in order.
      const shown = copy.plan.words
        .slice()
        .sort((a, b) => (a.line !== b.line ? a.line - b.line : a.x - b.x))
        .map((w) => w.pieces.map((p) => p.text).join(""))
      expect(words(shown.join(" "))).toEqual(words(copy.text))
      for (const w of copy.plan.words) {
        const width = w.pieces.reduce((t, p) => t + (p.cellWidth ?? textAdvance(p.text, g.fontSize)), 0)
        expect(w.x).toBeGreaterThanOrEqual(0)
        expect(w.x + width).toBeLessThanOrEqual(template.width - 2 * g.padX + 1e-9)
      }
      const lines = Math.max(...copy.plan.words.map((w) => w.line)) + 1
      expect(copy.plan.height).toBe(lines * g.lineHeight + 2 * g.padY)
      expect(copy.plan.width).toBe(template.width)
    }
  })

  it.each([
    [1, false],
    [2, false],
    [0.5, false],
    [2, true],
    [0.5, true],
  ])("reads line breaks back from a synthetic screenshot at scale %f (wording %s)", (scale, wording) => {
    const t = buildTemplate(message, { wording })
    const slots = t.slots.filter((s) => s.channel === "line-break")
    let read = 0
    for (let trial = 0; trial < 4; trial++) {
      const copy = markCopy({
        text: message,
        messageId: "m",
        secret: seeded(`breaks-${scale}-${wording}-${trial}`),
        template: t,
      })
      let image = syntheticScreenshot(copy.plan, scale >= 1 ? scale : 1)
      if (scale < 1) image = resampleRgba(image, scale)
      const { reading, aspectError } = decodeImage(image, t, "m")
      expect(aspectError).toBeLessThan(0.02)
      for (const slot of slots) {
        const o = reading.observed[slot.index]
        if (o === null || o === undefined) continue
        read++
        expect(o).toBe(copy.choices[slot.index])
      }
    }
    // Every expressed break is read (the last slot of a paragraph is often unused).
    expect(read).toBeGreaterThanOrEqual(4 * (slots.length - 2))
  })

  it("reads a copy that breaks every line early", () => {
    const choices = markCopy({
      text: message,
      messageId: "m",
      secret: seeded("all-early"),
      template,
    }).choices.map((c, i) => (template.slots[i]?.channel === "line-break" ? 1 : c))
    const { plan } = renderChoices(template, choices)
    expect(plan.height).toBeGreaterThan(template.height)
    const { reading } = decodeImage(syntheticScreenshot(plan, 1), template, "m")
    const read = breakSlots.filter((s) => reading.observed[s.index] === 1).length
    expect(read).toBe(breakSlots.filter((s) => reading.observed[s.index] !== null).length)
    expect(read).toBeGreaterThanOrEqual(breakSlots.length - 2)
  })
})

describe("line-break marks in text leaks", () => {
  const template = buildTemplate(message, { wording: true })
  const breakSlots = template.slots.filter((s) => s.channel === "line-break")

  it("reads them from a leak that keeps the bubble's lines (OCR) and not from pasted text", () => {
    for (let trial = 0; trial < 5; trial++) {
      const copy = markCopy({ text: message, messageId: "m", secret: secret(), template })
      const pasted = decodeText(copy.text, template, "m")
      expect(breakSlots.every((s) => pasted.observed[s.index] === null)).toBe(true)
      // What OCR of the bubble gives: one text line per bubble line, ASCII punctuation.
      const byLine = new Map<number, string[]>()
      for (const w of copy.plan.words) {
        byLine.set(w.line, [...(byLine.get(w.line) ?? []), w.pieces.map((p) => p.text).join("")])
      }
      const ocr = [...byLine.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([, ws]) => ws.join(" "))
        .join("\n")
        .replace(/[\u2018\u2019]/g, "'")
        .replace(/[\u201c\u201d]/g, '"')
      const reading = decodeText(ocr, template, "m")
      const read = breakSlots.filter((s) => reading.observed[s.index] !== null)
      expect(read.length).toBeGreaterThanOrEqual(breakSlots.length - 3)
      for (const s of read) expect(reading.observed[s.index]).toBe(copy.choices[s.index])
    }
  })
})
