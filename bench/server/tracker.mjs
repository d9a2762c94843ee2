// Delivery accounting for the load generator. A stream is one sender → one receiver; the sender numbers
// its messages on that stream 0, 1, 2, … and the receiver reports each sequence number it gets.
// From that alone the tracker counts lost (sent, never received), duplicated (received again) and
// out-of-order (received after a higher number of the same stream) messages, plus latencies.

export class DeliveryTracker {
  constructor() {
    /** @type {Map<string, {sent: number, seen: Set<number>, max: number}>} */
    this.streams = new Map()
    this.received = 0
    this.duplicated = 0
    this.outOfOrder = 0
    this.unknown = 0
    /** @type {number[]} */
    this.latencies = []
  }

  stream(key) {
    let s = this.streams.get(key)
    if (s === undefined) {
      s = { sent: 0, seen: new Set(), max: -1 }
      this.streams.set(key, s)
    }
    return s
  }

  /** Records that the next message of `key` was sent; returns its sequence number. */
  sent(key) {
    const s = this.stream(key)
    return s.sent++
  }

  /** Records a receipt; returns "new", "duplicate", "reordered" or "unknown" (never sent). */
  receive(key, seq, latencyMs) {
    const s = this.streams.get(key)
    if (s === undefined || !Number.isInteger(seq) || seq < 0 || seq >= s.sent) {
      this.unknown++
      return "unknown"
    }
    if (s.seen.has(seq)) {
      this.duplicated++
      return "duplicate"
    }
    s.seen.add(seq)
    this.received++
    if (latencyMs !== undefined) this.latencies.push(latencyMs)
    if (seq < s.max) {
      this.outOfOrder++
      return "reordered"
    }
    s.max = seq
    return "new"
  }

  get sentTotal() {
    let n = 0
    for (const s of this.streams.values()) n += s.sent
    return n
  }

  /** Sent but not (yet) received. */
  get lost() {
    return this.sentTotal - this.received
  }

  counts() {
    return {
      sent: this.sentTotal,
      received: this.received,
      lost: this.lost,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      unknown: this.unknown,
    }
  }
}

/** Nearest-rank percentile of an unsorted array (p in 0..100); NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]
}

export function median(values) {
  return percentile(values, 50)
}
