import { TracemarkError } from "../errors.js"
import type { BubbleGeometry } from "../layout/geometry.js"
import type { RgbaImage } from "../image/rgba.js"

/** The bubble's border box in image pixels (sub-pixel edges). */
export interface BubbleBox {
  left: number
  top: number
  right: number
  bottom: number
}

function longestRun(values: ArrayLike<number>, threshold: number): [number, number] | null {
  let best: [number, number] | null = null
  let start = -1
  for (let i = 0; i <= values.length; i++) {
    const on = i < values.length && (values[i] ?? 0) >= threshold
    if (on && start < 0) start = i
    if (!on && start >= 0) {
      if (best === null || i - 1 - start > best[1] - best[0]) best = [start, i - 1]
      start = -1
    }
  }
  return best
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}

/**
 * Finds the reference renderer's bubble by its background colour: a coarse box from the pixels close to
 * that colour, then sub-pixel edges from the straight parts of each side, where the page colour (read
 * from the image border) blends into the bubble colour.
 */
export function locateBubble(image: RgbaImage, g: BubbleGeometry): BubbleBox {
  const { width, height, data } = image
  const [br, bg, bb] = g.background
  // Page colour: median of the image's outer frame.
  const frame: number[][] = [[], [], []]
  const push = (x: number, y: number): void => {
    const p = (y * width + x) * 4
    for (let c = 0; c < 3; c++) frame[c]?.push(data[p + c] ?? 0)
  }
  for (let x = 0; x < width; x++) {
    push(x, 0)
    push(x, height - 1)
  }
  for (let y = 0; y < height; y++) {
    push(0, y)
    push(width - 1, y)
  }
  const page = frame.map(median)
  // A pixel belongs to the bubble (background, overlay or text) when it is closer to the bubble colour
  // than to the page colour.
  const mask = new Uint8Array(width * height)
  const rows = new Float64Array(height)
  const [pr = 255, pg = 255, pb = 255] = page
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4
      const r = data[p] ?? 0
      const gg = data[p + 1] ?? 0
      const b = data[p + 2] ?? 0
      const toBubble = Math.abs(r - br) + Math.abs(gg - bg) + Math.abs(b - bb)
      const toPage = Math.abs(r - pr) + Math.abs(gg - pg) + Math.abs(b - pb)
      if (toBubble < toPage) {
        mask[y * width + x] = 1
        rows[y] = (rows[y] ?? 0) + 1
      }
    }
  }
  const rowMax = Math.max(...rows)
  if (rowMax < 8) throw new TracemarkError("BUBBLE_NOT_FOUND")
  const yRun = longestRun(rows, rowMax * 0.3)
  if (yRun === null) throw new TracemarkError("BUBBLE_NOT_FOUND")
  const cols = new Float64Array(width)
  for (let y = yRun[0]; y <= yRun[1]; y++)
    for (let x = 0; x < width; x++) cols[x] = (cols[x] ?? 0) + (mask[y * width + x] ?? 0)
  const xRun = longestRun(cols, Math.max(...cols) * 0.3)
  if (xRun === null || xRun[1] - xRun[0] < 8 || yRun[1] - yRun[0] < 8)
    throw new TracemarkError("BUBBLE_NOT_FOUND")

  const dir = [br - (page[0] ?? 0), bg - (page[1] ?? 0), bb - (page[2] ?? 0)]
  const norm = dir.reduce((s, v) => s + v * v, 0)
  if (norm < 100) throw new TracemarkError("BUBBLE_NOT_FOUND")
  /** How far a pixel is from the page colour towards the bubble colour, clamped to 0..1. */
  const t = (x: number, y: number): number => {
    if (x < 0 || y < 0 || x >= width || y >= height) return 0
    const p = (y * width + x) * 4
    let dot = 0
    for (let c = 0; c < 3; c++) dot += ((data[p + c] ?? 0) - (page[c] ?? 0)) * (dir[c] ?? 0)
    return Math.max(0, Math.min(1, dot / norm))
  }
  const reach = 3
  const edge = (along: [number, number], at: number, horizontal: boolean, inward: 1 | -1): number => {
    let sum = 0
    let n = 0
    for (let a = along[0]; a <= along[1]; a++) {
      let outside = 0
      for (let k = -reach; k < reach; k++) {
        const pos = at + inward * k
        outside += 1 - (horizontal ? t(pos, a) : t(a, pos))
      }
      // Pixels from at - reach*inward (outside) to the edge count as outside.
      sum += outside
      n++
    }
    const outsideWidth = n === 0 ? reach : sum / n
    return inward === 1 ? at - reach + outsideWidth : at + reach + 1 - outsideWidth
  }
  const h = yRun[1] - yRun[0]
  const w = xRun[1] - xRun[0]
  const midRows: [number, number] = [Math.round(yRun[0] + 0.3 * h), Math.round(yRun[1] - 0.3 * h)]
  const midCols: [number, number] = [Math.round(xRun[0] + 0.3 * w), Math.round(xRun[1] - 0.3 * w)]
  return {
    left: edge(midRows, xRun[0], true, 1),
    right: edge(midRows, xRun[1], true, -1),
    top: edge(midCols, yRun[0], false, 1),
    bottom: edge(midCols, yRun[1], false, -1),
  }
}
