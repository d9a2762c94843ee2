import type { Slot } from "./slots.js"

/**
 * What a decoder read from one leaked copy, before looking at any recipient: for every slot of the
 * message the option it observed, or null (an erasure: unreadable, stripped, or ambiguous).
 */
export interface Reading {
  messageId: string
  slots: readonly Slot[]
  observed: (number | null)[]
  /** True when the message carries zero-width marks but the leak has none: they were stripped. */
  stripped: boolean
  source: "text" | "image"
}

export function readableCount(reading: Reading): number {
  return reading.observed.filter((o) => o !== null).length
}
