import type { BubbleGeometry } from "../layout/geometry.js"
import type { MessageTemplate } from "../template.js"
import type { BubbleBox } from "./locate-bubble.js"

export interface OverlayInput {
  luma: Float32Array
  width: number
  height: number
  box: BubbleBox
  scale: number
  background: number
  template: MessageTemplate
}

/**
 * Reads the tiled overlay: averages the grey level of every overlay cell over all tile repetitions,
 * using only pixels in the middle of a cell and away from text ink, then compares each Manchester pair.
 * A pair whose difference is not clearly above the noise is an erasure.
 */
export function readOverlay(input: OverlayInput, observed: (number | null)[]): void {
  const { luma, width, height, box, scale: s, background, template } = input
  const g: BubbleGeometry = template.options.geometry
  if (template.overlaySlots.length === 0) return
  const cells = g.overlayCols * g.overlayRows
  const sum = new Float64Array(cells)
  const sumSq = new Float64Array(cells)
  const count = new Float64Array(cells)
  // Ink mask, dilated by about one CSS px.
  const ink = new Uint8Array(width * height)
  const r = Math.max(1, Math.round(s * 1.2))
  const x0 = Math.max(0, Math.floor(box.left))
  const x1 = Math.min(width - 1, Math.ceil(box.right))
  const y0 = Math.max(0, Math.floor(box.top))
  const y1 = Math.min(height - 1, Math.ceil(box.bottom))
  const inkLevel = background - 3 * g.overlayAmplitude - 4
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if ((luma[y * width + x] ?? 255) < inkLevel) {
        for (let dy = -r; dy <= r; dy++) {
          const yy = y + dy
          if (yy < 0 || yy >= height) continue
          for (let dx = -r; dx <= r; dx++) {
            const xx = x + dx
            if (xx >= 0 && xx < width) ink[yy * width + xx] = 1
          }
        }
      }
    }
  }
  const w = (box.right - box.left) / s
  const h = (box.bottom - box.top) / s
  const R = g.radius
  for (let y = y0; y <= y1; y++) {
    const v = (y + 0.5 - box.top) / s
    if (v < 1.5 || v > h - 1.5) continue
    const cy = v / g.overlayCell
    const fy = cy - Math.floor(cy)
    if (fy < 0.2 || fy > 0.8) continue
    const row = Math.floor(cy) % g.overlayRows
    for (let x = x0; x <= x1; x++) {
      if (ink[y * width + x] === 1) continue
      const u = (x + 0.5 - box.left) / s
      if (u < 1.5 || u > w - 1.5) continue
      if ((u < R || u > w - R) && (v < R || v > h - R)) continue
      const cx = u / g.overlayCell
      const fx = cx - Math.floor(cx)
      if (fx < 0.2 || fx > 0.8) continue
      const col = Math.floor(cx) % g.overlayCols
      const i = row * g.overlayCols + col
      const value = luma[y * width + x] ?? 0
      sum[i] = (sum[i] ?? 0) + value
      sumSq[i] = (sumSq[i] ?? 0) + value * value
      count[i] = (count[i] ?? 0) + 1
    }
  }
  // Pooled within-cell variance; neighbouring pixels are correlated, so count CSS px, not device px.
  let ss = 0
  let n = 0
  for (let i = 0; i < cells; i++) {
    const c = count[i] ?? 0
    if (c < 2) continue
    const mean = (sum[i] ?? 0) / c
    ss += (sumSq[i] ?? 0) - c * mean * mean
    n += c - 1
  }
  const variance = n > 0 ? ss / n : 1
  const perCss = Math.max(1, s * s)
  const pairsPerRow = g.overlayCols / 2
  template.overlaySlots.forEach((slot, bit) => {
    const row = Math.floor(bit / pairsPerRow)
    const a = row * g.overlayCols + (bit % pairsPerRow) * 2
    const b = a + 1
    const na = count[a] ?? 0
    const nb = count[b] ?? 0
    if (na < 2 || nb < 2) return
    const diff = (sum[a] ?? 0) / na - (sum[b] ?? 0) / nb
    const se = Math.sqrt(variance * perCss * (1 / na + 1 / nb))
    if (Math.abs(diff) < 1.0 * se) return
    observed[slot] = diff > 0 ? 0 : 1
  })
}
