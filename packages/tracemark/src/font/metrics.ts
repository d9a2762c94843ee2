import { fontAscender, fontDescender, fontUnitsPerEm, glyphRows } from "./metrics-data.js"

/** Outline moments of ink in px (at a given font size), relative to the pen origin on the baseline. */
export interface InkMoments {
  area: number
  sx: number
  sy: number
  sxx: number
  syy: number
}

interface GlyphMetrics {
  advance: number
  moments: InkMoments
  inkMin: number
  inkMax: number
}

const table = new Map<number, GlyphMetrics>()
for (const row of glyphRows) {
  const [code = 0, advance = 0, area = 0, sx = 0, sy = 0, sxx = 0, syy = 0, inkMin = 0, inkMax = 0] = row
  table.set(code, { advance, moments: { area, sx, sy, sxx, syy }, inkMin, inkMax })
}
const fallback = table.get(0x6e) // "n": unknown characters are laid out as an average letter

/** Characters the layout treats as zero-width and invisible. */
export function isInvisible(code: number): boolean {
  return (code >= 0x200b && code <= 0x200f) || code === 0x2060 || code === 0xfeff
}

function metrics(code: number): GlyphMetrics | undefined {
  if (isInvisible(code)) return undefined
  return table.get(code) ?? fallback
}

/** Whether the bundled font has a glyph for every visible character of `text`. */
export function fontCovers(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (!isInvisible(code) && !table.has(code)) return false
  }
  return true
}

export const fontMetrics = {
  unitsPerEm: fontUnitsPerEm,
  ascender: fontAscender,
  descender: fontDescender,
}

/** Advance width of `text` in px at `fontSize` (no kerning, no ligatures: the renderer turns both off). */
export function textAdvance(text: string, fontSize: number): number {
  let units = 0
  for (const ch of text) units += metrics(ch.codePointAt(0) ?? 0)?.advance ?? 0
  return (units * fontSize) / fontUnitsPerEm
}

/** Adds the ink moments of `text` drawn with its pen origin at (x, 0) into `into`. */
export function addTextMoments(text: string, x: number, fontSize: number, into: InkMoments): number {
  const k = fontSize / fontUnitsPerEm
  let pen = x
  for (const ch of text) {
    const g = metrics(ch.codePointAt(0) ?? 0)
    if (g === undefined) continue
    const m = g.moments
    const area = m.area * k * k
    const cx = (m.sx * k * k * k) / (area === 0 ? 1 : area)
    into.area += area
    into.sx += m.sx * k * k * k + pen * area
    into.sy += m.sy * k * k * k
    into.sxx += m.sxx * k * k * k * k + 2 * pen * cx * area + pen * pen * area
    into.syy += m.syy * k * k * k * k
    pen += g.advance * k
  }
  return pen
}

/** Horizontal ink extent of `text` drawn at pen origin 0, in px. */
export function inkExtent(text: string, fontSize: number): { min: number; max: number } {
  const k = fontSize / fontUnitsPerEm
  let pen = 0
  let min = Infinity
  let max = -Infinity
  for (const ch of text) {
    const g = metrics(ch.codePointAt(0) ?? 0)
    if (g === undefined) continue
    if (g.moments.area > 0) {
      min = Math.min(min, pen + g.inkMin * k)
      max = Math.max(max, pen + g.inkMax * k)
    }
    pen += g.advance * k
  }
  return min === Infinity ? { min: 0, max: 0 } : { min, max }
}

export function emptyMoments(): InkMoments {
  return { area: 0, sx: 0, sy: 0, sxx: 0, syy: 0 }
}
