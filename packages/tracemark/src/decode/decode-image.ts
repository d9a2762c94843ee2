import { fitLine, lineLimit } from "../layout/break-lines.js"
import { placeLine, type PlacedUnit } from "../layout/place-line.js"
import { checkImage, luma, lumaPlane, type RgbaImage } from "../image/rgba.js"
import type { Reading } from "../reading.js"
import { bubbleHeight, type LineTemplate, type MessageTemplate } from "../template.js"
import { locateBubble, type BubbleBox } from "./locate-bubble.js"
import { readOverlay } from "./read-overlay.js"
import { formArea, unitInk, type UnitInk } from "./unit-ink.js"

export interface ImageDecodeResult {
  reading: Reading
  box: BubbleBox
  /** Image pixels per CSS px. */
  scale: number
  /** Relative disagreement between the bubble's measured and expected aspect ratio. */
  aspectError: number
  /** Root-mean-square distance (CSS px) between measured and predicted word centroids. */
  fitResidual: number
}

interface LineMeasure {
  profile: Float64Array
}

interface Hypothesis {
  score: number
  values: Map<number, number>
  units: { placed: PlacedUnit; ink: UnitInk; measured: number; mass: number; pl: number; pr: number }[]
}

const maxEnumerated = 8

/** Every assignment of option values to `slots` (each slot from 0 to its option count − 1), in a fixed order. */
function* slotAssignments(
  template: MessageTemplate,
  slots: readonly number[],
): Generator<Map<number, number>> {
  const combos = slots.reduce((n, slot) => n * (template.slots[slot]?.options ?? 1), 1)
  for (let c = 0; c < combos; c++) {
    const values = new Map<number, number>()
    let rest = c
    for (const slot of slots) {
      const n = template.slots[slot]?.options ?? 1
      values.set(slot, rest % n)
      rest = Math.floor(rest / n)
    }
    yield values
  }
}

/**
 * Reads a screenshot of the reference bubble (any scale, cropped, JPEG'd) against the original message,
 * looking at no recipient. The bubble is located by colour; each line's words are measured as ink
 * centroids and compared with the layouts the template predicts for each hypothesis of wording and
 * sentence spacing; every word's ±shift is read from its centroid; dash glyphs from their ink area; the
 * overlay from cell averages. A global offset/scale correction is refitted from the words themselves.
 */
export function decodeImage(
  image: RgbaImage,
  template: MessageTemplate,
  messageId: string,
): ImageDecodeResult {
  checkImage(image)
  const g = template.options.geometry
  const box = locateBubble(image, g)
  const s = (box.right - box.left) / template.width
  const { width, height } = image
  const lum = lumaPlane(image)
  const samples: number[] = []
  for (let y = Math.ceil(box.top + 2 * s); y < box.bottom - 2 * s; y += 2) {
    for (let x = Math.ceil(box.left + 2 * s); x < box.right - 2 * s; x += 3)
      samples.push(lum[y * width + x] ?? 0)
  }
  samples.sort((a, b) => a - b)
  const bgLum = samples[Math.floor(samples.length * 0.6)] ?? luma(...g.background)
  const inkLum = luma(...g.ink)
  const span = Math.max(20, bgLum - inkLum)
  const floor = (3 * g.overlayAmplitude) / span
  const darkness = (x: number, y: number): number => {
    const d = (bgLum - (lum[y * width + x] ?? bgLum)) / span
    return d <= floor ? 0 : (d - floor) / (1 - floor)
  }
  const toX = (u: number): number => box.left + u * s
  const toY = (v: number): number => box.top + v * s
  const rows = new Map<number, LineMeasure>()
  /** The ink profile (column sums of darkness) of the bubble's l-th text line. */
  const rowMeasure = (l: number): LineMeasure => {
    const known = rows.get(l)
    if (known !== undefined) return known
    const profile = new Float64Array(width)
    const ya = Math.max(0, Math.round(toY(g.padY + l * g.lineHeight)))
    const yb = Math.min(height, Math.round(toY(g.padY + (l + 1) * g.lineHeight)))
    const xa = Math.max(0, Math.floor(box.left))
    const xb = Math.min(width, Math.ceil(box.right))
    for (let y = ya; y < yb; y++)
      for (let x = xa; x < xb; x++) profile[x] = (profile[x] ?? 0) + darkness(x, y)
    const measured = { profile }
    rows.set(l, measured)
    return measured
  }
  /** Ink centroid (bubble CSS x) and mass (CSS px²) of a line's columns between CSS x a and b. */
  const measure = (line: LineMeasure, a: number, b: number): { centroid: number; mass: number } => {
    const xa = Math.max(0, Math.ceil(toX(a) - 0.5))
    const xb = Math.min(width - 1, Math.floor(toX(b) - 0.5))
    let mass = 0
    let moment = 0
    for (let x = xa; x <= xb; x++) {
      const m = line.profile[x] ?? 0
      mass += m
      moment += m * ((x + 0.5 - box.left) / s)
    }
    return { centroid: mass > 0 ? moment / mass : (a + b) / 2, mass: mass / (s * s) }
  }

  const observed: (number | null)[] = template.slots.map(() => null)
  /** The right end of a text line's ink (bubble CSS x): where the last 0.5 CSS px² of ink begins. */
  const inkRightEdge = (l: number): number | null => {
    const { profile } = rowMeasure(l)
    const xa = Math.max(0, Math.floor(box.left))
    let mass = 0
    for (let x = Math.min(width - 1, Math.ceil(box.right)); x >= xa; x--) {
      mass += (profile[x] ?? 0) / (s * s)
      if (mass >= 0.5) return (x + 0.5 - box.left) / s
    }
    return null
  }
  const lines = readLineBreaks(template, { rowMeasure, measure, inkRightEdge }, observed)
  const sy = (box.bottom - box.top) / bubbleHeight(template, lines.length)
  const aspectError = Math.abs(sy / s - 1)
  let offset = 0
  let slope = 0
  const correction = (u: number): number => offset + slope * (u - template.width / 2)
  let allUnits: Hypothesis["units"] = []
  for (let iteration = 0; iteration < 3; iteration++) {
    allUnits = []
    const residuals: { u: number; e: number }[] = []
    lines.forEach((line, l) => {
      const measureLine = rowMeasure(l)
      const free: number[] = []
      line.units.forEach((u, k) => {
        const unit = template.units[u]
        if (unit === undefined) return
        if (unit.wordingSlot !== null) free.push(unit.wordingSlot)
        if (unit.sentenceSlot !== null && k > 0) free.push(unit.sentenceSlot)
      })
      const enumerated = free.slice(0, maxEnumerated)
      const hypotheses: Hypothesis[] = []
      for (const values of slotAssignments(template, enumerated)) {
        const placedLine = placeLine(template, line, (slot) => values.get(slot) ?? 0)
        const inks = placedLine.map((p) => unitInk(p, g.fontSize))
        let score = 0
        const units: Hypothesis["units"] = []
        placedLine.forEach((placed, k) => {
          const ink = inks[k]
          if (ink === undefined) return
          const base = g.padX + placed.nominalX
          const prev = placedLine[k - 1]
          const prevInk = inks[k - 1]
          const next = placedLine[k + 1]
          const nextInk = inks[k + 1]
          const a =
            prev === undefined || prevInk === undefined
              ? base + ink.inkMin - 4
              : (g.padX + prev.nominalX + prevInk.inkMax + base + ink.inkMin) / 2
          const b =
            next === undefined || nextInk === undefined
              ? base + ink.inkMax + 4
              : (base + ink.inkMax + g.padX + next.nominalX + nextInk.inkMin) / 2
          const m = measure(measureLine, a, b)
          const pl = g.padX + placed.nominalX - g.shift + ink.centroid
          const pr = g.padX + placed.nominalX + g.shift + ink.centroid
          const corr = correction(pl)
          const r = Math.min((m.centroid - pl - corr) ** 2, (m.centroid - pr - corr) ** 2, 9)
          score += r
          units.push({ placed, ink, measured: m.centroid, mass: m.mass, pl: pl + corr, pr: pr + corr })
        })
        hypotheses.push({ score, values, units })
      }
      hypotheses.sort((x, y) => x.score - y.score)
      const best = hypotheses[0]
      if (best === undefined) return
      for (const slot of enumerated) {
        const value = best.values.get(slot) ?? 0
        const rival = hypotheses.find((h) => h.values.get(slot) !== value)
        if (rival === undefined || rival.score - best.score > 1.0) observed[slot] = value
      }
      for (const unitHyp of best.units) {
        allUnits.push(unitHyp)
        const unit = template.units[unitHyp.placed.unit]
        const mid = (unitHyp.pl + unitHyp.pr) / 2
        const half = (unitHyp.pr - unitHyp.pl) / 2
        const z = (unitHyp.measured - mid) / half
        if (unit?.shiftSlot !== undefined && unit.shiftSlot !== null)
          observed[unit.shiftSlot] = Math.abs(z) >= 0.25 && Math.abs(z) < 3 ? (z > 0 ? 1 : 0) : null
        const decided = z > 0 ? unitHyp.pr : unitHyp.pl
        if (Math.abs(z) < 3) residuals.push({ u: decided, e: unitHyp.measured - decided })
        // Glyph cells whose forms differ in ink area (dashes): compare measured area with each form's.
        for (const cell of unitHyp.ink.cells) {
          const areas = cell.forms.map((f) => formArea(f, g.fontSize))
          const lo = Math.min(...areas)
          const hi = Math.max(...areas)
          if (hi < lo * 1.5) continue
          const x = (z > 0 ? unitHyp.pr : unitHyp.pl) - unitHyp.ink.centroid + cell.dx
          const m = measure(measureLine, x, x + cell.width)
          const logs = areas.map((a) => Math.abs(Math.log(Math.max(m.mass, 1e-3) / a)))
          const bestForm = logs.indexOf(Math.min(...logs))
          if ((logs[bestForm] ?? Infinity) < 0.35 * Math.log(hi / lo)) observed[cell.slot] = bestForm
        }
      }
    })
    // Refit the global offset and scale correction from the decided words (least squares).
    if (residuals.length >= 3) {
      const n = residuals.length
      const mu = residuals.reduce((t, r) => t + r.u, 0) / n
      const me = residuals.reduce((t, r) => t + r.e, 0) / n
      let sxx = 0
      let sxy = 0
      for (const r of residuals) {
        sxx += (r.u - mu) ** 2
        sxy += (r.u - mu) * (r.e - me)
      }
      const b = sxx > 0 ? sxy / sxx : 0
      slope += b
      offset += me + b * (template.width / 2 - mu)
    }
  }
  let sq = 0
  for (const u of allUnits) sq += Math.min((u.measured - u.pl) ** 2, (u.measured - u.pr) ** 2)
  const fitResidual = allUnits.length > 0 ? Math.sqrt(sq / allUnits.length) : Infinity
  readOverlay({ luma: lum, width, height, box, scale: s, background: bgLum, template }, observed)
  return {
    reading: { messageId, slots: template.slots, observed, stripped: false, source: "image" },
    box,
    scale: s,
    aspectError,
    fitResidual,
  }
}

type Measure = (line: LineMeasure, a: number, b: number) => { centroid: number; mass: number }

/** Ink in the surely-covered part of a unit, relative to the unit's ink: ≈1 when present, ≈0 when not. */
const presentAbove = 0.4
const absentBelow = 0.12

/**
 * Reads the line-break slots and returns the copy's lines. Paragraph by paragraph, line by line: greedy
 * filling gives the natural break; the line's last unit is either on this line (natural break) or was
 * moved to the next (a break one unit earlier). Its ink is measured over the part of its place that it
 * covers under every wording and sentence-spacing hypothesis of the line; a clear presence or absence is
 * read, anything in between is an erasure (the more likely layout is followed).
 */
function readLineBreaks(
  template: MessageTemplate,
  image: {
    rowMeasure: (l: number) => LineMeasure
    measure: Measure
    inkRightEdge: (l: number) => number | null
  },
  observed: (number | null)[],
): LineTemplate[] {
  const { rowMeasure, measure } = image
  const g = template.options.geometry
  const limit = lineLimit(g)
  const lines: LineTemplate[] = []
  const widthOf = (unit: number, pickMax: boolean): number => {
    const widths = template.units[unit]?.variantWidths ?? [0]
    const target = pickMax ? Math.max(...widths) : Math.min(...widths)
    return Math.max(0, widths.indexOf(target))
  }
  template.paragraphs.forEach((paragraph, p) => {
    const breakUnits = paragraph.units.map((u) => ({
      reserve: template.units[u]?.reserve ?? 0,
      gap: template.units[u]?.gap ?? 0,
    }))
    if (breakUnits.length === 0) {
      lines.push({ paragraph: p, units: [] })
      return
    }
    let start = 0
    let k = 0
    while (start < breakUnits.length) {
      let { end } = fitLine(breakUnits, start, limit)
      if (end < breakUnits.length) {
        const slot = paragraph.breakSlots[k]
        if (slot !== undefined && end - start >= 2) {
          const line: LineTemplate = { paragraph: p, units: paragraph.units.slice(start, end) }
          const extremes = [false, true].map((pickMax) => {
            const placed = placeLine(template, line, (sl) => {
              const owner = template.slots[sl]
              if (owner?.channel === "sentence-space") return pickMax ? 1 : 0
              if (owner?.channel !== "wording") return 0
              const unit = line.units.find((u) => template.units[u]?.wordingSlot === sl)
              return unit === undefined ? 0 : widthOf(unit, pickMax)
            })
            const last = placed[placed.length - 1]
            if (last === undefined) return null
            const ink = unitInk(last, g.fontSize)
            return {
              left: g.padX + last.nominalX + ink.inkMin,
              right: g.padX + last.nominalX + ink.inkMax,
              ink,
            }
          })
          const [lo, hi] = extremes
          if (lo !== null && lo !== undefined && hi !== null && hi !== undefined) {
            const a = Math.max(lo.left, hi.left) + g.shift
            const b = Math.min(lo.right, hi.right) - g.shift
            const expected = Math.min(
              (lo.ink.area * (b - a)) / Math.max(1, lo.right - lo.left),
              (hi.ink.area * (b - a)) / Math.max(1, hi.right - hi.left),
            )
            if (b - a >= 2 && expected > 0) {
              const ratio = measure(rowMeasure(lines.length), a, b).mass / expected
              if (ratio >= presentAbove) observed[slot] = 0
              else if (ratio <= absentBelow) observed[slot] = 1
              if (ratio < (presentAbove + absentBelow) / 2) end--
            } else {
              // Wording variants move the last unit too much: compare where the line's ink ends with
              // where it would end, with and without the last unit, under every hypothesis of the line.
              const option = readByRightEdge(template, line, image.inkRightEdge(lines.length))
              if (option.clear) observed[slot] = option.value
              if (option.value === 1) end--
            }
          }
        }
        k++
      }
      lines.push({ paragraph: p, units: paragraph.units.slice(start, end) })
      start = end
    }
  })
  return lines
}

const maxEnumeratedBreak = 8

/**
 * Decides whether a line ends with its last unit (0) or with the one before (1) from where the line's
 * ink ends, against the ends every wording and sentence-spacing hypothesis predicts. Clear when the
 * measured end is within 1.5 px of one option's predictions and at least 3 px from the other's.
 */
function readByRightEdge(
  template: MessageTemplate,
  line: LineTemplate,
  measured: number | null,
): { value: 0 | 1; clear: boolean } {
  if (measured === null) return { value: 1, clear: false }
  const g = template.options.geometry
  const free: number[] = []
  line.units.forEach((u, k) => {
    const unit = template.units[u]
    if (unit === undefined) return
    if (unit.wordingSlot !== null) free.push(unit.wordingSlot)
    if (unit.sentenceSlot !== null && k > 0) free.push(unit.sentenceSlot)
  })
  const enumerated = free.slice(0, maxEnumeratedBreak)
  const distance = [Infinity, Infinity]
  for (const values of slotAssignments(template, enumerated)) {
    const placed = placeLine(template, line, (slot) => values.get(slot) ?? 0)
    const ends = [placed[placed.length - 1], placed[placed.length - 2]].map((p) =>
      p === undefined ? null : g.padX + p.nominalX + unitInk(p, g.fontSize).inkMax,
    )
    ends.forEach((end, option) => {
      if (end === null) return
      const d = Math.max(0, Math.abs(measured - end) - g.shift)
      distance[option] = Math.min(distance[option] ?? Infinity, d)
    })
  }
  const [d0 = Infinity, d1 = Infinity] = distance
  const value = d0 <= d1 ? 0 : 1
  const near = Math.min(d0, d1)
  const far = Math.max(d0, d1)
  return { value, clear: near <= 1.5 && far >= 3 }
}
