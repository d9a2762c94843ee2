import { alignUnits, tokenizeLeak } from "./decode/align-text.js"
import { decodeImage, type ImageDecodeResult } from "./decode/decode-image.js"
import type { RgbaImage } from "./image/rgba.js"
import type { MessageTemplate } from "./template.js"

export interface SentMessage {
  messageId: string
  template: MessageTemplate
}

export interface TextMatch {
  messageId: string
  /** Alignment cost per unit of the message (0 = identical words; about 1 = unrelated). */
  distance: number
}

/**
 * Ranks sent messages by how well a leaked text aligns with them (closest first): the CLI's `trace`
 * matches a leak against every message the user sent before decoding it.
 */
export function matchLeakText(leak: string, messages: readonly SentMessage[]): TextMatch[] {
  const tokens = tokenizeLeak(leak)
  return messages
    .map((m) => {
      const { cost } = alignUnits(m.template, tokens)
      const size = Math.max(1, m.template.units.length, tokens.length)
      return { messageId: m.messageId, distance: cost / size }
    })
    .sort((a, b) => a.distance - b.distance)
}

export interface ImageMatch {
  messageId: string
  /** Word-centroid fit residual in CSS px, plus a penalty for a wrong bubble aspect ratio. */
  distance: number
  result: ImageDecodeResult | null
}

/** Ranks sent messages by how well a screenshot fits each one's layout (best first). */
export function matchLeakImage(image: RgbaImage, messages: readonly SentMessage[]): ImageMatch[] {
  return messages
    .map((m): ImageMatch => {
      try {
        const result = decodeImage(image, m.template, m.messageId)
        const distance = result.fitResidual + (result.aspectError > 0.04 ? 10 : 0) + 20 * result.aspectError
        return { messageId: m.messageId, distance, result }
      } catch {
        return { messageId: m.messageId, distance: Infinity, result: null }
      }
    })
    .sort((a, b) => a.distance - b.distance)
}
