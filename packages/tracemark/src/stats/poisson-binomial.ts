import { binomialLogPmf } from "./binomial.js"
import { logAddExp } from "./log-space.js"

/**
 * The distribution of the number of successes among independent trials with probabilities `ps`, as
 * ln P(X = j) for j = 0..n. Trials that share a probability are grouped into binomials, and the groups
 * are convolved in log space, so the result is exact up to double rounding however small the tail.
 */
export function poissonBinomialLogPmf(ps: readonly number[]): number[] {
  const groups = new Map<number, number>()
  for (const p of ps) {
    if (!(p > 0 && p < 1)) throw new RangeError("probabilities must lie strictly between 0 and 1")
    groups.set(p, (groups.get(p) ?? 0) + 1)
  }
  let dist: number[] = [0]
  for (const [p, n] of groups) {
    const pmf: number[] = []
    for (let k = 0; k <= n; k++) pmf.push(binomialLogPmf(n, k, p))
    const next: number[] = new Array<number>(dist.length + n).fill(-Infinity)
    for (let i = 0; i < dist.length; i++) {
      const a = dist[i] ?? -Infinity
      if (a === -Infinity) continue
      for (let k = 0; k <= n; k++)
        next[i + k] = logAddExp(next[i + k] ?? -Infinity, a + (pmf[k] ?? -Infinity))
    }
    dist = next
  }
  return dist
}

/** ln P(X ≥ k) from a log pmf. */
export function logTailFromPmf(logPmf: readonly number[], k: number): number {
  if (k <= 0) return 0
  let acc = -Infinity
  for (let j = logPmf.length - 1; j >= k; j--) acc = logAddExp(acc, logPmf[j] ?? -Infinity)
  return Math.min(0, acc)
}

export function poissonBinomialLogTail(ps: readonly number[], k: number): number {
  return logTailFromPmf(poissonBinomialLogPmf(ps), k)
}
