import { isInvisible } from "../font/metrics.js"

/** Removes zero-width marks. */
export function removeInvisible(text: string): string {
  let out = ""
  for (const ch of text) if (!isInvisible(ch.codePointAt(0) ?? 0)) out += ch
  return out
}

/** A token's comparison key: NFKC, quotes, dashes and ellipses folded, lower case, no zero-width marks. */
export function foldToken(token: string): string {
  return removeInvisible(token)
    .normalize("NFKC")
    .replace(/[\u2018\u2019\u201a\u201b`\u00b4\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/\u2026/g, "...")
    .toLowerCase()
}

/** Levenshtein distance divided by the longer length (0 = equal, 1 = nothing in common). */
export function editRatio(a: string, b: string): number {
  if (a === b) return 0
  const n = a.length
  const m = b.length
  if (n === 0 || m === 0) return 1
  let prev = new Array<number>(m + 1)
  let cur = new Array<number>(m + 1)
  for (let j = 0; j <= m; j++) prev[j] = j
  for (let i = 1; i <= n; i++) {
    cur[0] = i
    for (let j = 1; j <= m; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      cur[j] = Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1)
    }
    ;[prev, cur] = [cur, prev]
  }
  return (prev[m] ?? 0) / Math.max(n, m)
}
