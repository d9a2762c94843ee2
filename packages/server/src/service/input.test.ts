import { randomBytes } from "node:crypto"
import { fromB64, ProtocolError, toB64 } from "@backchannel/protocol"
import { describe, expect, it } from "vitest"
import { decodeField } from "./input.js"

function outcome(decode: () => Uint8Array): string {
  try {
    return `ok:${toB64(decode())}`
  } catch (err) {
    return err instanceof ProtocolError ? `refused:${err.details.field ?? ""}` : "refused"
  }
}

describe("decodeField", () => {
  it("refuses non-canonical base64url as VALIDATION_FAILED naming the field", () => {
    // Fixed cases, independent of any decoder: alphabet, padding, length, stray bits in the last character.
    for (const bad of ["A", "AB", "AAB", "ab+c", "ab/c", "abc=", "AQ==", "ab c", "é", "Zm9vYh", "Zm9vYmF"]) {
      expect(
        outcome(() => decodeField(bad, "message")),
        bad,
      ).toBe("refused:message")
    }
    expect(outcome(() => decodeField("Zm9vYmE", "message"))).toBe("ok:Zm9vYmE")
    expect(decodeField("Zm9vYg", "x")).toEqual(new TextEncoder().encode("foob"))
  })

  it("accepts exactly what the protocol's strict decoder accepts, with the same bytes", () => {
    const samples: string[] = [
      "",
      "A",
      "AA",
      "AB",
      "AAA",
      "AAB",
      "AAAA",
      "Zm9v",
      "Zm9vYg",
      "Zm9vYh",
      "Zm9vYmE",
      "Zm9vYmF",
    ]
    samples.push("ab+c", "ab/c", "abc=", "ab c", "é", "-_-_", "____", "AQ==", "AQ")
    for (let i = 0; i < 300; i++) {
      const valid = toB64(randomBytes(i % 40))
      samples.push(valid)
      // Flip the last character to each of a few others, producing non-canonical and invalid forms.
      for (const c of ["A", "B", "Q", "w", "_", "="]) samples.push(valid.slice(0, -1) + c)
    }
    for (const s of samples) {
      const expected = outcome(() => fromB64(s)).replace(/^refused.*/, "refused:message")
      expect(
        outcome(() => decodeField(s, "message")),
        JSON.stringify(s),
      ).toBe(expected)
    }
  })

  it("returns a plain view of the decoded bytes", () => {
    const bytes = new Uint8Array(randomBytes(1000))
    expect(decodeField(toB64(bytes), "x")).toEqual(bytes)
  })
})
