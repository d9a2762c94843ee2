import { addTextMoments, emptyMoments, inkExtent, textAdvance, type InkMoments } from "../font/metrics.js"
import type { PlacedUnit } from "../layout/place-line.js"

/** Predicted ink of a placed unit, relative to its left edge: centroid, extent and area (CSS px). */
export interface UnitInk {
  centroid: number
  inkMin: number
  inkMax: number
  area: number
  /** Glyph cells of the unit: their slot, their left edge relative to the unit, width and forms. */
  cells: { slot: number; dx: number; width: number; forms: readonly string[] }[]
}

export function unitInk(placed: PlacedUnit, fontSize: number): UnitInk {
  const m: InkMoments = emptyMoments()
  let inkMin = Infinity
  let inkMax = -Infinity
  const cells: UnitInk["cells"] = []
  for (const { word, dx } of placed.words) {
    let pen = dx
    for (const piece of word.pieces) {
      if (piece.kind === "text") {
        const e = inkExtent(piece.text, fontSize)
        if (e.max > e.min) {
          inkMin = Math.min(inkMin, pen + e.min)
          inkMax = Math.max(inkMax, pen + e.max)
        }
        pen = addTextMoments(piece.text, pen, fontSize, m)
      } else {
        const form = piece.forms[0] ?? ""
        const inner = (piece.cellWidth - textAdvance(form, fontSize)) / 2
        addTextMoments(form, pen + inner, fontSize, m)
        inkMin = Math.min(inkMin, pen)
        inkMax = Math.max(inkMax, pen + piece.cellWidth)
        cells.push({ slot: piece.slot, dx: pen, width: piece.cellWidth, forms: piece.forms })
        pen += piece.cellWidth
      }
    }
  }
  if (inkMin === Infinity) {
    inkMin = 0
    inkMax = placed.width
  }
  return { centroid: m.area > 0 ? m.sx / m.area : placed.width / 2, inkMin, inkMax, area: m.area, cells }
}

/** Ink area of `form` in CSS px². */
export function formArea(form: string, fontSize: number): number {
  const m = emptyMoments()
  addTextMoments(form, 0, fontSize, m)
  return m.area
}
