import { describe, expect, it } from "vitest"
import { WebCryptoSealer } from "./webcrypto-sealer.js"

const enc = new TextEncoder()

async function sealer(): Promise<WebCryptoSealer> {
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"])
  return new WebCryptoSealer(key)
}

describe("WebCryptoSealer", () => {
  it("opens what it sealed, and seals the same value differently each time", async () => {
    const s = await sealer()
    const a = await s.seal(enc.encode("minutes of the call"), enc.encode("msg/1"))
    const b = await s.seal(enc.encode("minutes of the call"), enc.encode("msg/1"))
    expect(a).not.toEqual(b)
    expect(new TextDecoder().decode(await s.open(a, enc.encode("msg/1")))).toBe("minutes of the call")
  })

  it("refuses a value moved to another key (associated data)", async () => {
    const s = await sealer()
    const sealed = await s.seal(enc.encode("x"), enc.encode("msg/1"))
    await expect(s.open(sealed, enc.encode("msg/2"))).rejects.toThrow("failed authentication")
  })

  it("refuses a tampered value and one sealed under another key", async () => {
    const s = await sealer()
    const sealed = await s.seal(enc.encode("x"), enc.encode("k"))
    const flipped = sealed.slice()
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1
    await expect(s.open(flipped, enc.encode("k"))).rejects.toThrow()
    await expect((await sealer()).open(sealed, enc.encode("k"))).rejects.toThrow()
    await expect(s.open(sealed.slice(0, 10), enc.encode("k"))).rejects.toThrow("unknown format")
  })
})
