import type { Clock, RateLimitConfig } from "../config.js"

interface Bucket {
  tokens: number
  updatedAt: number
}

/**
 * A token bucket per device, shared by HTTP requests and WebSocket frames: `perSecond` tokens flow in
 * up to `burst`; each request or frame takes one. Full buckets are forgotten by `sweep()`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly config: RateLimitConfig,
    private readonly clock: Clock,
  ) {}

  /** Takes a token; returns 0 if allowed, otherwise the milliseconds until one is available. */
  take(deviceId: string): number {
    const now = this.clock.now()
    let bucket = this.buckets.get(deviceId)
    if (bucket === undefined) {
      bucket = { tokens: this.config.burst, updatedAt: now }
      this.buckets.set(deviceId, bucket)
    } else {
      const elapsed = Math.max(0, now - bucket.updatedAt)
      bucket.tokens = Math.min(this.config.burst, bucket.tokens + (elapsed * this.config.perSecond) / 1000)
      bucket.updatedAt = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / this.config.perSecond))
  }

  /** Drops buckets that have refilled completely (they behave exactly like absent ones). */
  sweep(): void {
    const now = this.clock.now()
    for (const [id, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((now - bucket.updatedAt) * this.config.perSecond) / 1000
      if (tokens >= this.config.burst) this.buckets.delete(id)
    }
  }

  get size(): number {
    return this.buckets.size
  }
}
