import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  attribute,
  buildTemplate,
  decodeImage,
  markCopy,
  matchLeakImage,
  resampleRgba,
  type Candidate,
} from "@backchannel/tracemark"
import { decodeImageFile, encodeJpeg } from "@backchannel/tracemark/node"
import { launchBubbleRenderer } from "../bench/tracemark/chromium-bubble.mjs"

const text =
  "Thank you for the call tonight. We can accept the revised wording on the ceasefire monitors if " +
  "Ankara does the same, but not before the ministers meet on Friday. Please keep this within your office."

describe("tracemark end to end in Chromium", () => {
  let renderer: Awaited<ReturnType<typeof launchBubbleRenderer>>
  beforeAll(async () => {
    renderer = await launchBubbleRenderer()
  })
  afterAll(async () => {
    await renderer.close()
  })

  it("attributes a halved, JPEG-70 screenshot to the leaking device and to none of 11 others", async () => {
    const template = buildTemplate(text)
    const secrets = Array.from({ length: 12 }, () => new Uint8Array(randomBytes(32)))
    const candidates: Candidate[] = secrets.map((s, i) => ({
      id: `device-${i}`,
      secretsPerMessage: { m: s },
    }))
    const leaker = 4
    const copy = markCopy({ text, messageId: "m", secret: secrets[leaker]!, template })
    const tab = await renderer.open(1)
    const shot = await tab.screenshot(copy.plan)
    await tab.close()
    const degraded = decodeImageFile(encodeJpeg(resampleRgba(shot, 0.5), 70))
    const { reading, scale } = decodeImage(degraded, template, "m")
    expect(scale).toBeCloseTo(0.5, 1)
    // Line-break marks are read from where Chromium's lines end, and read correctly.
    const breaks = template.slots.filter((slot) => slot.channel === "line-break")
    const readBreaks = breaks.filter((slot) => reading.observed[slot.index] !== null)
    expect(readBreaks.length).toBeGreaterThanOrEqual(2)
    for (const slot of readBreaks) expect(reading.observed[slot.index]).toBe(copy.choices[slot.index])
    const results = attribute([reading], candidates)
    expect(results[0]?.id).toBe(`device-${leaker}`)
    expect(results[0]?.adjustedP).toBeLessThanOrEqual(1e-6)
    for (const other of results.slice(1)) expect(other.band).toBe("inconclusive")
    // The CLI's trace finds which sent message the screenshot shows before decoding it.
    const others = [
      "Dinner is moved to Thursday; the ambassador sends her regards and hopes you can still come.",
      text.replace("Friday", "Monday").replace("Ankara", "Athens"),
    ].map((t, i) => ({ messageId: `other-${i}`, template: buildTemplate(t) }))
    const ranked = matchLeakImage(degraded, [...others, { messageId: "m", template }])
    expect(ranked[0]?.messageId).toBe("m")
    // The page asked for nothing outside its own fake origin.
    expect(renderer.blocked).toEqual([])
  })
})
