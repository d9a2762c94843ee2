import { textAdvance } from "../font/metrics.js"
import type { LineTemplate, MessageTemplate, WordTemplate } from "../template.js"

export interface PlacedUnit {
  unit: number
  /** Left edge of the unit in content coordinates, before its shift. */
  nominalX: number
  /** Left edge after the shift (fractional CSS px; Chromium positions text at sub-pixel offsets). */
  x: number
  variant: number
  /** Each word's left edge relative to the unit's left edge. */
  words: { word: WordTemplate; dx: number }[]
  width: number
}

/** Picks an option for a slot; `null` slots are absent. */
export type Pick = (slot: number) => number

/**
 * Places the units of one line (from `copyLines`) for given wording, sentence-spacing and shift options.
 * Which units share a line depends only on the line-break slots; positions within a line on the rest.
 */
export function placeLine(template: MessageTemplate, line: LineTemplate, pick: Pick): PlacedUnit[] {
  const g = template.options.geometry
  const space = textAdvance(" ", g.fontSize)
  const placed: PlacedUnit[] = []
  let cursor = g.shift
  line.units.forEach((u, k) => {
    const unit = template.units[u]
    if (unit === undefined) return
    if (k > 0) {
      cursor += space
      if (unit.sentenceSlot !== null && pick(unit.sentenceSlot) === 1) cursor += g.sentenceExtra
    }
    const variant = unit.wordingSlot === null ? 0 : pick(unit.wordingSlot)
    const words = unit.variants[variant] ?? []
    const width = unit.variantWidths[variant] ?? 0
    const shift = unit.shiftSlot === null ? 0 : pick(unit.shiftSlot) === 0 ? -g.shift : g.shift
    const x = cursor + shift
    let dx = 0
    const placedWords = words.map((word) => {
      const at = { word, dx }
      dx += word.width + space
      return at
    })
    placed.push({ unit: u, nominalX: cursor, x, variant, words: placedWords, width })
    cursor += width
  })
  return placed
}
