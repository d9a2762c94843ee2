import { describe, expect, it } from "vitest"
import { defaultLabels } from "@backchannel/protocol"
import {
  describeDefaults,
  formatDuration,
  isEmptyTerms,
  noTerms,
  standingText,
  toTermsInput,
} from "./terms-format.js"

describe("terms in the web app", () => {
  it("formats the time left before a message disappears", () => {
    expect(formatDuration(9_200)).toBe("10 s")
    expect(formatDuration(-5)).toBe("0 s")
    expect(formatDuration(61_000)).toBe("2 min")
    expect(formatDuration(3 * 60 * 60_000)).toBe("3 h")
    expect(formatDuration(7 * 24 * 60 * 60_000)).toBe("7 days")
  })

  it("describes default terms in words, and no terms as none", () => {
    expect(describeDefaults(undefined)).toBe("none")
    expect(describeDefaults({})).toBe("none")
    expect(
      describeDefaults({ label: "Leaders only", expiresAfterMs: 3_600_000, viewOnce: true, noForward: true }),
    ).toBe("Leaders only · expires after 1 h · view once · no forwarding")
  })

  it("sends only the terms the user chose (empty choices fall back to the conversation's defaults)", () => {
    expect(toTermsInput(noTerms)).toEqual({})
    expect(isEmptyTerms(noTerms)).toBe(true)
    const chosen = { label: "Personal", expiresInMs: 10_000, viewOnce: false, noForward: true }
    expect(toTermsInput(chosen)).toEqual({ label: "Personal", expiresInMs: 10_000, noForward: true })
    expect(isEmptyTerms(chosen)).toBe(false)
  })

  it("states a person's standing as the most sensitive label they may receive without asking", () => {
    expect(standingText(0, defaultLabels)).toBe("Full standing")
    expect(standingText(1, defaultLabels)).toBe("Messages above “Not for publication” need your confirmation")
    expect(standingText(2, defaultLabels)).toBe("Messages above “Personal” need your confirmation")
    expect(standingText(3, defaultLabels)).toBe("Every labelled message to them needs your confirmation")
  })
})
