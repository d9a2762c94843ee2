import { IDBFactory } from "fake-indexeddb"
import { describe, expect, it } from "vitest"
import { createStateKey, eraseLocalState, storedProtection, unlockStateKey } from "./protection.js"
import { WebCryptoSealer } from "./webcrypto-sealer.js"

const ad = new TextEncoder().encode("k")

describe("local state protection", () => {
  it("keeps a non-extractable device key that unlocks the state again", async () => {
    const factory = new IDBFactory()
    expect(await storedProtection(factory)).toBeUndefined()
    const key = await createStateKey({ kind: "device-key" }, factory)
    expect(key.extractable).toBe(false)
    await expect(crypto.subtle.exportKey("raw", key)).rejects.toThrow()
    const sealed = await new WebCryptoSealer(key).seal(Uint8Array.of(7), ad)
    expect(await storedProtection(factory)).toBe("device-key")
    const again = await unlockStateKey(undefined, factory)
    expect(await new WebCryptoSealer(again).open(sealed, ad)).toEqual(Uint8Array.of(7))
  })

  it("derives the key from a passphrase, refuses a wrong one and a short one", async () => {
    const factory = new IDBFactory()
    await expect(createStateKey({ kind: "passphrase", passphrase: "short" }, factory)).rejects.toMatchObject({
      code: "WEB_WEAK_PASSPHRASE",
    })
    const key = await createStateKey({ kind: "passphrase", passphrase: "a long enough passphrase" }, factory)
    const sealed = await new WebCryptoSealer(key).seal(Uint8Array.of(9), ad)
    expect(await storedProtection(factory)).toBe("passphrase")
    await expect(unlockStateKey("the wrong passphrase", factory)).rejects.toMatchObject({
      code: "WEB_WRONG_PASSPHRASE",
    })
    const again = await unlockStateKey("a long enough passphrase", factory)
    expect(await new WebCryptoSealer(again).open(sealed, ad)).toEqual(Uint8Array.of(9))
  })

  it("erases the key and the store", async () => {
    const factory = new IDBFactory()
    await createStateKey({ kind: "device-key" }, factory)
    await eraseLocalState("backchannel-state", factory)
    expect(await storedProtection(factory)).toBeUndefined()
    await expect(unlockStateKey(undefined, factory)).rejects.toMatchObject({ code: "WEB_KEY_MISSING" })
  })
})
