import { randomBytes } from "node:crypto"
import { parseArgs } from "node:util"
import { describe, expect, it } from "vitest"
import { deviceIdPattern, groupIdPattern, idBytes, newId } from "./ids.js"
import { toB64 } from "./encoding.js"

describe("random identifiers", () => {
  it("redraws bytes whose base64url would start with '-' and keeps the others as drawn", () => {
    const draws = [Uint8Array.of(0xf8, 1, 2), Uint8Array.of(0xfb, 3, 4), Uint8Array.of(0x04, 5, 6)]
    let calls = 0
    const draw = (n: number) => {
      expect(n).toBe(3)
      return draws[calls++] ?? Uint8Array.of(0, 0, 0)
    }
    // 0xf8 and 0xfb both begin with the six bits 62 ('-'); 0x04 begins with 1 ('B').
    expect(toB64(Uint8Array.of(0xf8, 1, 2)).startsWith("-")).toBe(true)
    expect(toB64(Uint8Array.of(0xfb, 3, 4)).startsWith("-")).toBe(true)
    expect(idBytes(draw, 3)).toEqual(Uint8Array.of(0x04, 5, 6))
    expect(calls).toBe(3)
    const keep = Uint8Array.of(0xf4, 9, 9) // '9' + …: '_' and digits are fine
    expect(idBytes(() => keep, 3)).toBe(keep)
  })

  it("makes ids a command-line parser takes as option values, in the protocol's formats", () => {
    const firsts = new Set<string>()
    for (let i = 0; i < 4000; i++) {
      const id = newId(randomBytes, 16)
      const group = toB64(idBytes(randomBytes, 32))
      expect(id).toMatch(deviceIdPattern)
      expect(group).toMatch(groupIdPattern)
      firsts.add(id.charAt(0))
      // What failed before: `--message -Xyz…` is an error for node:util parseArgs (the CLI's parser).
      const { values } = parseArgs({
        args: ["--message", id, "--group", group],
        options: { message: { type: "string" }, group: { type: "string" } },
        strict: true,
      })
      expect(values).toEqual({ message: id, group })
    }
    expect(firsts.has("-")).toBe(false)
    expect(firsts.size).toBe(63) // every other base64url character still starts an id
  })
})
