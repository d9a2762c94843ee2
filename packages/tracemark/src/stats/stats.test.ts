import { describe, expect, it } from "vitest"
import { binomialLogTail } from "./binomial.js"
import { poissonBinomialLogTail } from "./poisson-binomial.js"

// Independent reference: exact rational arithmetic with BigInt.
interface Fraction {
  n: bigint
  d: bigint
}
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b))
const norm = (f: Fraction): Fraction => {
  const g = gcd(f.n, f.d)
  return { n: f.n / g, d: f.d / g }
}
const add = (a: Fraction, b: Fraction): Fraction => norm({ n: a.n * b.d + b.n * a.d, d: a.d * b.d })
const mul = (a: Fraction, b: Fraction): Fraction => norm({ n: a.n * b.n, d: a.d * b.d })

/** Exact P(X ≥ k) for independent trials with rational success probabilities, by full convolution. */
function exactTail(ps: Fraction[], k: number): Fraction {
  let dist: Fraction[] = [{ n: 1n, d: 1n }]
  for (const p of ps) {
    const q = { n: p.d - p.n, d: p.d }
    const next: Fraction[] = Array.from({ length: dist.length + 1 }, () => ({ n: 0n, d: 1n }))
    dist.forEach((v, j) => {
      next[j] = add(next[j] ?? { n: 0n, d: 1n }, mul(v, q))
      next[j + 1] = add(next[j + 1] ?? { n: 0n, d: 1n }, mul(v, p))
    })
    dist = next
  }
  return dist.slice(k).reduce((s, v) => add(s, v), { n: 0n, d: 1n })
}

/** ln of a positive fraction, accurate for huge numerators/denominators. */
function logFraction(f: Fraction): number {
  const ln = (x: bigint): number => {
    const s = x.toString()
    const head = Number(s.slice(0, 17))
    return Math.log(head) + (s.length - Math.min(17, s.length)) * Math.LN10
  }
  return ln(f.n) - ln(f.d)
}

describe("binomial tail", () => {
  it.each([
    [10, 7, 2],
    [27, 27, 2],
    [55, 40, 2],
    [120, 90, 2],
    [64, 30, 4],
    [200, 150, 3],
  ])("matches exact rational arithmetic for n=%i, k=%i, p=1/%i", (n, k, inv) => {
    const exact = exactTail(
      Array.from({ length: n }, () => ({ n: 1n, d: BigInt(inv) })),
      k,
    )
    const got = binomialLogTail(n, k, 1 / inv)
    expect(Math.abs(got - logFraction(exact))).toBeLessThan(1e-9 * Math.max(1, Math.abs(got)))
  })

  it("is exactly 2^-n when every one of n fair slots agrees", () => {
    expect(binomialLogTail(300, 300, 0.5)).toBeCloseTo(-300 * Math.LN2, 9)
  })

  it("is 1 for k ≤ 0 and 0 for k > n", () => {
    expect(binomialLogTail(10, 0, 0.5)).toBe(0)
    expect(binomialLogTail(10, 11, 0.5)).toBe(-Infinity)
  })

  it("matches a published value: P(X ≥ 60 | n=100, p=1/2) = 0.028443966820490", () => {
    // Standard tables (e.g. R: pbinom(59, 100, 0.5, lower.tail = FALSE)).
    expect(Math.exp(binomialLogTail(100, 60, 0.5))).toBeCloseTo(0.02844396682049, 12)
  })
})

describe("Poisson-binomial tail", () => {
  it("matches exact rational arithmetic for mixed option counts", () => {
    const invs = [2, 3, 4, 2, 2, 4, 3, 2, 4, 4, 2, 3, 2, 2, 2, 4, 3, 3, 2, 4, 2, 2, 4, 2, 3, 2, 4, 2, 2, 2]
    const ps = invs.map((i) => 1 / i)
    const exactPs = invs.map((i) => ({ n: 1n, d: BigInt(i) }))
    for (const k of [0, 5, 12, 20, 25, 30]) {
      const got = poissonBinomialLogTail(ps, k)
      const want = logFraction(exactTail(exactPs, k))
      expect(Math.abs(got - want)).toBeLessThan(1e-9 * Math.max(1, Math.abs(want)))
    }
  })

  it("stays exact far below double precision (all 400 mixed slots agree)", () => {
    const ps = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 0.5 : 0.25))
    const want = 200 * Math.log(0.5) + 200 * Math.log(0.25)
    expect(poissonBinomialLogTail(ps, 400)).toBeCloseTo(want, 8)
  })

  it("rejects probabilities outside (0, 1)", () => {
    expect(() => poissonBinomialLogTail([0.5, 1], 1)).toThrow(RangeError)
  })
})
