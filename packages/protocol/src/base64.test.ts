import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { codec, nativeBase64, portableBase64 } from "./base64.js"
import { fromB64, toB64 } from "./encoding.js"

const native = nativeBase64(Buffer)

/** Runs a decoder and reports either its bytes or that it refused. */
function attempt(decode: (text: string) => Uint8Array, text: string): Uint8Array | "refused" {
  try {
    return decode(text)
  } catch {
    return "refused"
  }
}

describe("base64url codecs", () => {
  it("uses Node's Buffer here (the server's and the CLI's path)", () => {
    expect(codec).not.toBe(portableBase64)
    expect(toB64(Uint8Array.of(0xfb, 0xff))).toBe("-_8")
    expect(fromB64("-_8")).toEqual(Uint8Array.of(0xfb, 0xff))
  })

  it("the native codec encodes every byte string as @scure/base does, and decodes it back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, shift) => {
        // A view that does not start at offset 0 of its buffer, as subarrays and pooled Buffers do.
        const backing = new Uint8Array(bytes.length + shift)
        backing.set(bytes, shift)
        const view = backing.subarray(shift)
        const text = native.encode(view)
        expect(text).toBe(portableBase64.encode(bytes))
        expect(native.decode(text)).toEqual(bytes)
      }),
      { numRuns: 2000 },
    )
  })

  it("the native codec refuses exactly what @scure/base refuses and otherwise agrees with it", () => {
    const alphabet = Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    const chars = [...alphabet, "=", "+", "/", " ", "\n", ".", "é", "\u0000"]
    const text = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((c) => c.join(""))
    // Mostly valid characters, so that lengths and trailing bits are what decides.
    const nearlyValid = fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((c) => c.join(""))
    fc.assert(
      fc.property(fc.oneof(text, nearlyValid), (input) => {
        expect(attempt(native.decode, input)).toEqual(attempt(portableBase64.decode, input))
      }),
      { numRuns: 20_000 },
    )
  })

  it("refuses bad lengths, padding, stray bits and other alphabets", () => {
    for (const bad of [
      "A",
      "AAAAA",
      "AB",
      "AAB",
      "AA==",
      "AA=",
      "AA A",
      " AA",
      "AA\n",
      "+/8",
      "ÀA",
      "AA\u0000",
    ]) {
      expect(attempt(native.decode, bad), bad).toBe("refused")
    }
    expect(native.decode("")).toEqual(new Uint8Array(0))
    expect(native.decode("AA")).toEqual(Uint8Array.of(0))
    expect(native.decode("AAE")).toEqual(Uint8Array.of(0, 1))
    expect(native.decode("AAAA")).toEqual(Uint8Array.of(0, 0, 0))
  })

  it("decodes into a plain Uint8Array that owns its memory", () => {
    const out = native.decode("AQID")
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype)
    expect(out.byteOffset).toBe(0)
    expect(out.buffer.byteLength).toBe(3)
  })
})
