import { describe, expect, it } from "vitest"
import { LruCache } from "./lru-cache.js"

describe("LruCache", () => {
  it("evicts the least recently used entry when full", () => {
    const cache = new LruCache<number>(2)
    cache.set("a", 1)
    cache.set("b", 2)
    expect(cache.get("a")).toBe(1) // a is now the most recent
    cache.set("c", 3)
    expect(cache.get("b")).toBeUndefined()
    expect(cache.get("a")).toBe(1)
    expect(cache.get("c")).toBe(3)
    expect(cache.size).toBe(2)
  })

  it("keeps the order right when the newest entry is read again", () => {
    const cache = new LruCache<number>(2)
    cache.set("a", 1)
    cache.set("b", 2)
    expect(cache.get("b")).toBe(2)
    expect(cache.get("b")).toBe(2)
    cache.set("c", 3) // evicts a, the oldest
    expect(cache.get("a")).toBeUndefined()
    expect(cache.get("b")).toBe(2)
    expect(cache.get("c")).toBe(3)
    const one = new LruCache<number>(1)
    one.set("a", 1)
    expect(one.get("a")).toBe(1)
    one.set("b", 2)
    expect(one.get("a")).toBeUndefined()
    expect(one.get("b")).toBe(2)
  })

  it("replaces a value without growing", () => {
    const cache = new LruCache<number>(2)
    cache.set("a", 1)
    cache.set("a", 5)
    expect(cache.size).toBe(1)
    expect(cache.get("a")).toBe(5)
  })

  it("clears every entry", () => {
    const cache = new LruCache<number>(3)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.get("a")).toBeUndefined()
  })

  it("refuses a capacity below one", () => {
    expect(() => new LruCache<number>(0)).toThrow(RangeError)
    expect(() => new LruCache<number>(1.5)).toThrow(RangeError)
  })
})
