import type { BubbleGeometry } from "./layout/geometry.js"

/** What kind of mark a slot carries. */
export type SlotChannel =
  "glyph" | "sentence-space" | "shift" | "line-break" | "overlay" | "invisible" | "wording"

/**
 * One place where copies differ. Slots depend only on (text, options), never on a recipient, so a
 * decoder reads a leak against the slot list without looking at any recipient.
 */
export interface Slot {
  index: number
  /** Unique within the message; the PRF input. */
  key: string
  channel: SlotChannel
  options: number
  /** A short human-readable name of each option, for the sender's preview. */
  labels: readonly string[]
}

export interface MarkOptions {
  /** Glyph forms (quotes, apostrophes, dashes, ellipses) and sentence spacing. Default on. */
  typographic?: boolean
  /** Per-word shifts of ±0.6 px and line-break positions in the rendered bubble. Default on. */
  layout?: boolean
  /** Faint tiled code behind the text. Default on. */
  overlay?: boolean
  /** Zero-width code points after spaces, for copy-paste leaks. Default on. */
  invisible?: boolean
  /** Meaning-preserving wording alternatives (opt-in by the sender). Default off. */
  wording?: boolean
  geometry?: BubbleGeometry
}

export interface ResolvedOptions {
  typographic: boolean
  layout: boolean
  overlay: boolean
  invisible: boolean
  wording: boolean
  geometry: BubbleGeometry
}

/** Zero-width marks: four forms (two bits), `invisiblePerGap` of them after each inter-word space. */
export const invisibleForms = ["\u200b", "\u200c", "\u200d", "\u2060"] as const
export const invisiblePerGap = 2
