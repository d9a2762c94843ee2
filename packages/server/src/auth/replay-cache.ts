/**
 * Nonces seen per device, each remembered until the signed time it came with leaves the accepted
 * window (after which the time check rejects the request anyway). In memory only: after a restart
 * the server refuses requests signed before it started, so nothing can be replayed across restarts.
 */
export class ReplayCache {
  private readonly seen = new Map<string, Map<string, number>>()

  /** Records the nonce; false if it was already recorded and has not expired. */
  remember(deviceId: string, nonce: string, expiresAt: number, now: number): boolean {
    let nonces = this.seen.get(deviceId)
    if (nonces === undefined) {
      nonces = new Map()
      this.seen.set(deviceId, nonces)
    }
    const previous = nonces.get(nonce)
    if (previous !== undefined && previous > now) return false
    nonces.set(nonce, expiresAt)
    return true
  }

  /** Forgets expired nonces. */
  sweep(now: number): void {
    for (const [deviceId, nonces] of this.seen) {
      for (const [nonce, expiresAt] of nonces) if (expiresAt <= now) nonces.delete(nonce)
      if (nonces.size === 0) this.seen.delete(deviceId)
    }
  }

  get size(): number {
    let n = 0
    for (const nonces of this.seen.values()) n += nonces.size
    return n
  }
}
