import jpeg from "jpeg-js"
import { PNG } from "pngjs"
import type { RgbaImage } from "../index.js"

/** Decodes a PNG or JPEG file's bytes to RGBA (pure JS: pngjs, jpeg-js). */
export function decodeImageFile(bytes: Uint8Array): RgbaImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buffer.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    const png = PNG.sync.read(buffer)
    return { width: png.width, height: png.height, data: new Uint8Array(png.data) }
  }
  if (buffer[0] === 0xff && buffer[1] === 0xd8) {
    const img = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 })
    return { width: img.width, height: img.height, data: img.data }
  }
  throw new Error("not a PNG or JPEG file")
}

export function encodeJpeg(image: RgbaImage, quality: number): Uint8Array {
  const out = jpeg.encode(
    { width: image.width, height: image.height, data: Buffer.from(image.data) },
    quality,
  )
  return new Uint8Array(out.data)
}

export function encodePng(image: RgbaImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height })
  png.data = Buffer.from(image.data)
  return new Uint8Array(PNG.sync.write(png))
}
