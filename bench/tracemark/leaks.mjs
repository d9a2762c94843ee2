// Simulated leak transformations for the harness: what happens to a copy between the recipient's
// screen and the sender's desk.
import * as tm from "../../packages/tracemark/dist/index.js"
import { decodeImageFile, encodeJpeg } from "../../packages/tracemark/dist/node/index.js"

/** A text stripper: NFKC, zero-width removal, homoglyph folding (typographic punctuation to ASCII). */
export function stripText(text) {
  return text
    .normalize("NFKC")
    .replace(/[\u200b-\u200f\u2060\ufeff]/g, "")
    .replace(/[\u2018\u2019\u201a\u201b\u2032`\u00b4]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/[\u00a0\u2000-\u200a\u202f]/g, " ")
}

/**
 * A person retyping what they see: ASCII punctuation, single spaces, and a typo in about 1 % of letters
 * (substitution, deletion or doubling). Word choices are kept: the retyper copies the words.
 */
export function retypeText(text, random) {
  const plain = stripText(text).replace(/[ \t]+/g, " ")
  let out = ""
  for (const ch of plain) {
    if (/[a-z]/i.test(ch) && random() < 0.01) {
      const r = random()
      if (r < 0.4) out += String.fromCharCode(97 + Math.floor(random() * 26))
      else if (r < 0.7) continue
      else out += ch + ch
    } else out += ch
  }
  return out
}

/** Rescales, crops a random part of the page margin (the bubble stays whole) and JPEG-compresses. */
export function degradeScreenshot(shot, { scale, quality, marginPx, random }) {
  let img = scale === 1 ? shot : tm.resampleRgba(shot, scale)
  const m = Math.max(0, Math.floor(marginPx * scale) - 3)
  const l = Math.floor(random() * m)
  const t = Math.floor(random() * m)
  const r = Math.floor(random() * m)
  const b = Math.floor(random() * m)
  img = tm.cropRgba(img, l, t, img.width - l - r, img.height - t - b)
  const bytes = encodeJpeg(img, quality)
  return { image: decodeImageFile(bytes), bytes: bytes.length }
}
