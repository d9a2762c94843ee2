import type { RgbaImage } from "./rgba.js"

/**
 * Resizes an RGBA image by `factor` with area averaging (box filter over the source footprint of each
 * target pixel, fractional edges weighted), as image viewers and platforms do when they shrink a
 * screenshot. Enlarging falls back to the same integral, which is then nearest-neighbour-like.
 */
export function resampleRgba(image: RgbaImage, factor: number): RgbaImage {
  const width = Math.max(1, Math.round(image.width * factor))
  const height = Math.max(1, Math.round(image.height * factor))
  const sx = image.width / width
  const sy = image.height / height
  const out = new Uint8Array(width * height * 4)
  const acc = new Float64Array(4)
  for (let y = 0; y < height; y++) {
    const y0 = y * sy
    const y1 = y0 + sy
    for (let x = 0; x < width; x++) {
      const x0 = x * sx
      const x1 = x0 + sx
      acc.fill(0)
      let total = 0
      for (let yy = Math.floor(y0); yy < Math.min(image.height, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy)
        for (let xx = Math.floor(x0); xx < Math.min(image.width, Math.ceil(x1)); xx++) {
          const w = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx))
          const p = (yy * image.width + xx) * 4
          acc[0] = (acc[0] ?? 0) + w * (image.data[p] ?? 0)
          acc[1] = (acc[1] ?? 0) + w * (image.data[p + 1] ?? 0)
          acc[2] = (acc[2] ?? 0) + w * (image.data[p + 2] ?? 0)
          acc[3] = (acc[3] ?? 0) + w * (image.data[p + 3] ?? 0)
          total += w
        }
      }
      const q = (y * width + x) * 4
      for (let c = 0; c < 4; c++) out[q + c] = Math.round((acc[c] ?? 0) / (total > 0 ? total : 1))
    }
  }
  return { width, height, data: out }
}

/** Crops a rectangle (clamped to the image). */
export function cropRgba(
  image: RgbaImage,
  left: number,
  top: number,
  width: number,
  height: number,
): RgbaImage {
  const l = Math.max(0, Math.min(image.width - 1, Math.round(left)))
  const t = Math.max(0, Math.min(image.height - 1, Math.round(top)))
  const w = Math.max(1, Math.min(image.width - l, Math.round(width)))
  const h = Math.max(1, Math.min(image.height - t, Math.round(height)))
  const out = new Uint8Array(w * h * 4)
  for (let y = 0; y < h; y++) {
    const from = ((t + y) * image.width + l) * 4
    out.set(image.data.subarray(from, from + w * 4), y * w * 4)
  }
  return { width: w, height: h, data: out }
}
