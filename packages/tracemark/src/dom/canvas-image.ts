import type { RgbaImage } from "../index.js"

/** Decodes a dropped screenshot (PNG/JPEG file or blob) to RGBA with the browser's own codecs. */
export async function decodeCanvasImage(blob: Blob): Promise<RgbaImage> {
  const bitmap = await createImageBitmap(blob)
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
  const ctx = canvas.getContext("2d")
  if (ctx === null) throw new Error("no 2d canvas")
  ctx.drawImage(bitmap, 0, 0)
  const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height)
  bitmap.close()
  return { width: data.width, height: data.height, data: data.data }
}
