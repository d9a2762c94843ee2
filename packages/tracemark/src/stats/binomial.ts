import { logAddExp, logChoose } from "./log-space.js"

/** ln P(X = k) for X ~ Binomial(n, p), 0 < p < 1. */
export function binomialLogPmf(n: number, k: number, p: number): number {
  if (k < 0 || k > n) return -Infinity
  return logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p)
}

/** ln P(X ≥ k) for X ~ Binomial(n, p), summed exactly term by term in log space. */
export function binomialLogTail(n: number, k: number, p: number): number {
  if (k <= 0) return 0
  if (k > n) return -Infinity
  let acc = -Infinity
  for (let j = n; j >= k; j--) acc = logAddExp(acc, binomialLogPmf(n, j, p))
  return Math.min(0, acc)
}
