import { describe, expect, it } from "vitest"
import { HeldHashes, keyOf } from "./held-hashes.js"

const hash = (...head: number[]) => {
  const h = new Uint8Array(32)
  h.set(head)
  return h
}

describe("HeldHashes", () => {
  it("keys on the first 30 bits, always a non-negative small integer", () => {
    expect(keyOf(hash(0xff, 0xff, 0xff, 0xff))).toBe(2 ** 30 - 1)
    expect(keyOf(hash(0, 0, 0, 0b11))).toBe(0) // the last two bits of byte 3 are not part of it
    expect(keyOf(hash(0x80))).toBe(2 ** 29)
    expect(keyOf(hash(1, 2, 3, 4))).toBe((1 << 22) | (2 << 14) | (3 << 6) | 1)
  })

  it("lists every body under a shared key and forgets only the one removed", () => {
    const held = new HeldHashes()
    const a = hash(9, 9, 9, 9, 1)
    const b = hash(9, 9, 9, 9, 2) // same key, different hash
    held.add(a, 1)
    held.add(b, 2)
    held.add(a, 1) // already listed
    expect(held.candidates(a)).toEqual([1, 2])
    expect(held.size).toBe(2)
    held.remove(b, 2)
    expect(held.candidates(a)).toEqual([1])
    held.remove(b, 7) // not listed: nothing happens
    expect(held.candidates(b)).toEqual([1])
    held.remove(a, 1)
    expect(held.candidates(a)).toEqual([])
    expect(held.size).toBe(0)
  })

  it("undoes a rolled-back transaction, adds and removals alike", () => {
    const held = new HeldHashes()
    const a = hash(1)
    const b = hash(2)
    const c = hash(3)
    held.add(a, 1)
    held.add(b, 2)
    held.committed()
    held.add(c, 3)
    held.remove(a, 1)
    held.rolledBack()
    expect(held.candidates(a)).toEqual([1])
    expect(held.candidates(b)).toEqual([2])
    expect(held.candidates(c)).toEqual([])
    // After a commit there is nothing left to undo.
    held.remove(b, 2)
    held.committed()
    held.rolledBack()
    expect(held.candidates(b)).toEqual([])
  })

  it("undoes only what happened since the newest savepoint", () => {
    const held = new HeldHashes()
    const a = hash(1)
    const b = hash(2)
    const c = hash(3)
    held.add(a, 1)
    held.committed()
    // A replayed batch: op 1 succeeds, op 2 removes a and adds c, then fails.
    held.savepoint()
    held.add(b, 2)
    held.released()
    held.savepoint()
    held.remove(a, 1)
    held.add(c, 3)
    held.rolledBackTo()
    held.released()
    expect(held.candidates(a)).toEqual([1])
    expect(held.candidates(b)).toEqual([2])
    expect(held.candidates(c)).toEqual([])
    // The whole transaction rolled back after all: b goes too.
    held.rolledBack()
    expect(held.candidates(b)).toEqual([])
    expect(held.candidates(a)).toEqual([1])
  })

  it("restores a shared key's list in its original membership after an undo", () => {
    const held = new HeldHashes()
    const a = hash(5, 5, 5, 5, 1)
    const b = hash(5, 5, 5, 5, 2)
    const c = hash(5, 5, 5, 5, 3)
    held.add(a, 10)
    held.add(b, 20)
    held.committed()
    held.remove(a, 10)
    held.add(c, 30)
    held.remove(b, 20)
    held.rolledBack()
    expect([...held.candidates(a)].sort()).toEqual([10, 20])
  })
})
