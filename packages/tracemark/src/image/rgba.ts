import { TracemarkError } from "../errors.js"

/** Pixels as the platform decoded them: row-major RGBA, 8 bits per channel. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array | Uint8ClampedArray
}

export function checkImage(image: RgbaImage): void {
  const { width, height, data } = image
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8) {
    throw new TracemarkError("IMAGE_INVALID")
  }
  if (data.length !== width * height * 4) throw new TracemarkError("IMAGE_INVALID")
}

/** Relative luminance-like grey level (Rec. 601 weights on sRGB values), 0..255. */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b
}

export function lumaPlane(image: RgbaImage): Float32Array {
  const { width, height, data } = image
  const out = new Float32Array(width * height)
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    out[i] = luma(data[p] ?? 0, data[p + 1] ?? 0, data[p + 2] ?? 0)
  }
  return out
}
