import type { BubbleGeometry } from "./geometry.js"

/** What line breaking needs to know about one layout unit (recipient-independent). */
export interface BreakUnit {
  /** The widest of the unit's wording variants, CSS px. */
  reserve: number
  /** The gap before the unit when it is not first on its line: a space, plus the double-space extra. */
  gap: number
}

/** The units of one paragraph and the line-break slots its copies may use (one per possible break). */
export interface ParagraphTemplate {
  /** Unit indices, in order. */
  units: number[]
  /** The k-th break of the paragraph reads `breakSlots[k]`: 0 = natural break, 1 = one unit earlier. */
  breakSlots: number[]
}

export interface LineTemplate {
  paragraph: number
  units: number[]
}

/** The width usable by a line's units: the content box minus room for the word shift on both sides. */
export function lineLimit(g: BubbleGeometry): number {
  return g.maxContentWidth - 2 * g.shift
}

/**
 * Greedy fill from `start` (an index into `units`): the end (exclusive) of the longest run that fits
 * within `limit`, at least one unit, and that run's width.
 */
export function fitLine(
  units: readonly BreakUnit[],
  start: number,
  limit: number,
): { end: number; width: number } {
  let width = units[start]?.reserve ?? 0
  let end = start + 1
  while (end < units.length) {
    const u = units[end]
    if (u === undefined || width + u.gap + u.reserve > limit) break
    width += u.gap + u.reserve
    end++
  }
  return { end, width }
}

/**
 * Breaks one paragraph into lines for a copy. Lines are filled greedily; at the k-th break the copy's
 * choice for `breakSlots[k]` keeps the natural break (0) or breaks one unit earlier (1), moving the
 * line's last unit down to the next line. A line of one unit cannot break earlier (that slot is then
 * unexpressed). Returns each line's [start, end) range of indices into the paragraph's units.
 */
export function breakParagraph(
  units: readonly BreakUnit[],
  breakSlots: readonly number[],
  limit: number,
  pick: (slot: number) => number,
): [number, number][] {
  if (units.length === 0) return [[0, 0]]
  const lines: [number, number][] = []
  let start = 0
  let k = 0
  while (start < units.length) {
    let { end } = fitLine(units, start, limit)
    if (end < units.length) {
      const slot = breakSlots[k]
      if (slot !== undefined && end - start >= 2 && pick(slot) === 1) end--
      k++
    }
    lines.push([start, end])
    start = end
  }
  return lines
}

/**
 * Over every combination of break choices: the most breaks a paragraph can have (how many break slots
 * it needs) and the widest line any copy can have (the bubble's width is the same for every copy).
 */
export function breakBounds(
  units: readonly BreakUnit[],
  limit: number,
): { maxBreaks: number; maxWidth: number } {
  const memo = new Map<number, number>()
  let maxWidth = 0
  const breaksFrom = (start: number): number => {
    const known = memo.get(start)
    if (known !== undefined) return known
    const { end, width } = fitLine(units, start, limit)
    maxWidth = Math.max(maxWidth, width)
    let result = 0
    if (end < units.length) {
      result = 1 + breaksFrom(end)
      if (end - start >= 2) result = Math.max(result, 1 + breaksFrom(end - 1))
    }
    memo.set(start, result)
    return result
  }
  const maxBreaks = units.length === 0 ? 0 : breaksFrom(0)
  return { maxBreaks, maxWidth }
}
