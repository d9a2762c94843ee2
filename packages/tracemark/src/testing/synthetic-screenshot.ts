import { addTextMoments, emptyMoments, inkExtent, textAdvance } from "../font/metrics.js"
import type { RgbaImage } from "../image/rgba.js"
import type { RenderPlan } from "../mark-copy.js"

/**
 * A stand-in for a browser screenshot, for fast unit tests of the decoders: the bubble and its overlay
 * cells are painted exactly, and every glyph is painted as a box with the glyph's ink area centred on
 * the glyph's ink centroid (anti-aliased horizontally). Chromium screenshots are tested end to end in
 * tests/tracemark-screenshot.test.ts.
 */
export function syntheticScreenshot(plan: RenderPlan, scale: number, margin = 20): RgbaImage {
  const g = plan.geometry
  const width = Math.ceil((plan.width + 2 * margin) * scale)
  const height = Math.ceil((plan.height + 2 * margin) * scale)
  const lum = new Float64Array(width * height).fill(-1)
  const color = new Float64Array(width * height * 3)
  const set = (x: number, y: number, rgb: readonly number[]): void => {
    const i = y * width + x
    lum[i] = 0
    for (let c = 0; c < 3; c++) color[i * 3 + c] = rgb[c] ?? 0
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / scale - margin
      const v = (y + 0.5) / scale - margin
      if (u < 0 || v < 0 || u >= plan.width || v >= plan.height) {
        set(x, y, [255, 255, 255])
        continue
      }
      let delta = 0
      if (plan.overlay !== null) {
        const col = Math.floor(u / g.overlayCell) % g.overlayCols
        const row = Math.floor(v / g.overlayCell) % g.overlayRows
        delta = (plan.overlay[row * g.overlayCols + col] ?? 0) * g.overlayAmplitude
      }
      set(
        x,
        y,
        g.background.map((c) => c + delta),
      )
    }
  }
  const paint = (cx: number, w: number, top: number, h: number): void => {
    const x0 = (margin + cx - w / 2) * scale
    const x1 = (margin + cx + w / 2) * scale
    const y0 = Math.round((margin + top) * scale)
    const y1 = Math.round((margin + top + h) * scale)
    for (let y = y0; y < y1; y++) {
      for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue
        const cover = Math.min(x + 1, x1) - Math.max(x, x0)
        const i = y * width + x
        for (let c = 0; c < 3; c++) {
          const cur = color[i * 3 + c] ?? 0
          color[i * 3 + c] = cur + cover * ((g.ink[c] ?? 0) - cur)
        }
      }
    }
  }
  for (const word of plan.words) {
    let pen = g.padX + word.x
    const lineTop = g.padY + word.line * g.lineHeight
    for (const piece of word.pieces) {
      const advance = piece.cellWidth ?? textAdvance(piece.text, g.fontSize)
      let glyphPen =
        pen +
        (piece.cellWidth === undefined ? 0 : (piece.cellWidth - textAdvance(piece.text, g.fontSize)) / 2)
      for (const ch of piece.text) {
        const m = emptyMoments()
        addTextMoments(ch, glyphPen, g.fontSize, m)
        const ext = inkExtent(ch, g.fontSize)
        if (m.area > 0) {
          const w = Math.max(0.5, ext.max - ext.min)
          const h = m.area / w
          paint(m.sx / m.area, w, lineTop + 16 - h, h)
        }
        glyphPen += textAdvance(ch, g.fontSize)
      }
      pen += advance
    }
  }
  const data = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++)
      data[i * 4 + c] = Math.max(0, Math.min(255, Math.round(color[i * 3 + c] ?? 0)))
    data[i * 4 + 3] = 255
  }
  return { width, height, data }
}
