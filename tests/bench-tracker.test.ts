import { describe, expect, it } from "vitest"
import { DeliveryTracker, percentile } from "../bench/server/tracker.mjs"

// The server benchmark's loss/duplicate/reorder accounting, fed crafted receipt sequences.
describe("bench delivery tracker", () => {
  function sendAll(tracker: DeliveryTracker, key: string, n: number): void {
    for (let i = 0; i < n; i++) expect(tracker.sent(key)).toBe(i)
  }

  it("counts a clean in-order run as complete", () => {
    const t = new DeliveryTracker()
    sendAll(t, "a>b", 5)
    for (let i = 0; i < 5; i++) expect(t.receive("a>b", i, 1)).toBe("new")
    expect(t.counts()).toEqual({ sent: 5, received: 5, lost: 0, duplicated: 0, outOfOrder: 0, unknown: 0 })
  })

  it("detects loss, duplication and reordering per stream", () => {
    const t = new DeliveryTracker()
    sendAll(t, "a>b", 6)
    sendAll(t, "c>b", 3)
    const receipts = [
      t.receive("a>b", 0),
      t.receive("a>b", 2),
      t.receive("a>b", 1), // reordered: 2 came first
      t.receive("a>b", 2), // duplicate
      t.receive("c>b", 0), // other stream: its own order
      t.receive("a>b", 5),
      t.receive("c>b", 2),
    ]
    expect(receipts).toEqual(["new", "new", "reordered", "duplicate", "new", "new", "new"])
    // a>b: 3 and 4 missing; c>b: 1 missing
    expect(t.counts()).toEqual({ sent: 9, received: 6, lost: 3, duplicated: 1, outOfOrder: 1, unknown: 0 })
  })

  it("rejects receipts that were never sent", () => {
    const t = new DeliveryTracker()
    sendAll(t, "a>b", 2)
    expect(t.receive("a>b", 2)).toBe("unknown")
    expect(t.receive("x>y", 0)).toBe("unknown")
    expect(t.receive("a>b", -1)).toBe("unknown")
    expect(t.counts().unknown).toBe(3)
    expect(t.lost).toBe(2)
  })

  it("keeps latencies of first receipts only and computes nearest-rank percentiles", () => {
    const t = new DeliveryTracker()
    sendAll(t, "s", 4)
    t.receive("s", 0, 10)
    t.receive("s", 0, 999)
    t.receive("s", 1, 30)
    t.receive("s", 2, 20)
    expect(t.latencies).toEqual([10, 30, 20])
    expect(percentile([10, 30, 20, 40], 50)).toBe(20)
    expect(percentile([10, 30, 20, 40], 99)).toBe(40)
    expect(percentile([], 50)).toBeNaN()
  })
})
