import type { MessageTemplate, WordTemplate } from "../template.js"
import { editRatio, foldToken, removeInvisible } from "./normalize.js"

export interface LeakToken {
  /** The token as it appears in the leak, zero-width marks removed. */
  raw: string
  key: string
  /** Zero-width marks directly before the token (after the preceding whitespace), in order. */
  invisible: string[]
  /** Number of space characters between the previous token and this one. */
  spacesBefore: number
  /** Whether a line break separates this token from the previous one (OCR keeps a bubble's lines). */
  newlineBefore: boolean
}

/** Splits a leak into whitespace-separated tokens, remembering spacing and zero-width marks. */
export function tokenizeLeak(leak: string): LeakToken[] {
  const tokens: LeakToken[] = []
  const re = /(\s*)(\S+)/g
  for (const m of leak.matchAll(re)) {
    const ws = m[1] ?? ""
    let body = m[2] ?? ""
    const invisible: string[] = []
    for (;;) {
      const first = body.codePointAt(0) ?? 0
      if (!((first >= 0x200b && first <= 0x200d) || first === 0x2060)) break
      invisible.push(String.fromCodePoint(first))
      body = body.slice(1)
    }
    const raw = removeInvisible(body)
    if (raw === "") continue
    tokens.push({
      raw,
      key: foldToken(raw),
      invisible,
      spacesBefore: ws.replace(/[\n\r]/g, "").length,
      newlineBefore: /[\n\r]/.test(ws),
    })
  }
  return tokens
}

export function wordKey(word: WordTemplate, form = 0): string {
  return foldToken(word.pieces.map((p) => (p.kind === "text" ? p.text : (p.forms[form] ?? ""))).join(""))
}

export interface UnitMatch {
  unit: number
  /** Index of the first leak token matched to the unit, or -1 when the unit was not found. */
  token: number
  variant: number
  /** Cost of every variant at that position (same length only), for the wording decision. */
  variantCosts: number[]
}

const deleteCost = 1
const insertCost = 1

/**
 * Aligns a leak's tokens to the template's units by dynamic programming (words may be missing, added
 * or misspelt; a wording unit may match any of its variants). Returns one match per unit.
 */
export function alignUnits(
  template: MessageTemplate,
  tokens: readonly LeakToken[],
): { matches: UnitMatch[]; cost: number } {
  const U = template.units.length
  const M = tokens.length
  const keys = template.units.map((u) => u.variants.map((words) => words.map((w) => wordKey(w))))
  const wordCost = (k: string, t: number): number => {
    const tok = tokens[t]
    return tok === undefined ? 1 : Math.min(1, editRatio(k, tok.key) * 1.5)
  }
  const variantCost = (u: number, v: number, j: number): number => {
    const words = keys[u]?.[v] ?? []
    if (j + words.length > M) return Infinity
    let c = 0
    words.forEach((k, i) => (c += wordCost(k, j + i)))
    return c
  }
  // dp[u][j]: best cost of aligning units < u with tokens < j.
  const W = M + 1
  const dp = new Float64Array((U + 1) * W).fill(Infinity)
  const back = new Int32Array((U + 1) * W)
  const backVariant = new Int32Array((U + 1) * W)
  dp[0] = 0
  for (let j = 1; j <= M; j++) {
    dp[j] = j * insertCost
    back[j] = 1
  }
  for (let u = 1; u <= U; u++) {
    const variants = keys[u - 1] ?? []
    const minLen = Math.min(...variants.map((v) => v.length))
    for (let j = 0; j <= M; j++) {
      let best = (dp[(u - 1) * W + j] ?? Infinity) + deleteCost * Math.max(1, minLen)
      let how = 2
      let hv = 0
      if (j > 0) {
        const ins = (dp[u * W + j - 1] ?? Infinity) + insertCost
        if (ins < best) {
          best = ins
          how = 1
        }
      }
      variants.forEach((words, v) => {
        const len = words.length
        if (len === 0 || j < len) return
        const c = (dp[(u - 1) * W + j - len] ?? Infinity) + variantCost(u - 1, v, j - len)
        if (c < best) {
          best = c
          how = 3
          hv = v
        }
      })
      dp[u * W + j] = best
      back[u * W + j] = how
      backVariant[u * W + j] = hv
    }
  }
  const matches: UnitMatch[] = template.units.map((_, unit) => ({
    unit,
    token: -1,
    variant: -1,
    variantCosts: [],
  }))
  let u = U
  let j = M
  while (u > 0 || j > 0) {
    const how = u === 0 ? 1 : (back[u * W + j] ?? 1)
    if (how === 1) j--
    else if (how === 2) u--
    else {
      const v = backVariant[u * W + j] ?? 0
      const len = keys[u - 1]?.[v]?.length ?? 1
      const start = j - len
      const costs = (keys[u - 1] ?? []).map((_, vv) => variantCost(u - 1, vv, start))
      matches[u - 1] = { unit: u - 1, token: start, variant: v, variantCosts: costs }
      u--
      j = start
    }
  }
  return { matches, cost: dp[U * W + M] ?? Infinity }
}
