import { fitLine, lineLimit } from "../layout/break-lines.js"
import type { Reading } from "../reading.js"
import { invisibleForms } from "../slots.js"
import type { MessageTemplate, WordTemplate } from "../template.js"
import { alignUnits, tokenizeLeak, type LeakToken, type UnitMatch } from "./align-text.js"

/** Forms that a stripper folds other forms into: reading one of these from a stripped text proves nothing. */
const foldTargets = new Set(["'", '"', "..."])

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
}

const glyphClass = "(\\.\\.\\.|\u2026|[\"'\u2018\u2019\u201c\u201d`\u00b4\u2013\u2014\u2012\u2015-]+)"

/** Reads the glyph slots of one template word from the leak token it was aligned to. */
function readGlyphs(
  word: WordTemplate,
  token: LeakToken,
  observed: (number | null)[],
  stripped: boolean,
): void {
  const glyphs = word.pieces.filter((p) => p.kind === "glyph")
  if (glyphs.length === 0) return
  const pattern = word.pieces.map((p) => (p.kind === "text" ? escapeRegExp(p.text) : glyphClass)).join("")
  const m = new RegExp(`^${pattern}$`, "i").exec(token.raw.normalize("NFC"))
  if (m === null) return
  glyphs.forEach((piece, i) => {
    const seen = m[i + 1] ?? ""
    const option = piece.forms.indexOf(seen)
    if (option < 0) return
    if (stripped && foldTargets.has(seen)) return
    observed[piece.slot] = option
  })
}

/**
 * Reads a leaked text (pasted, stripped, OCR'd or retyped) against the original message, looking at no
 * recipient. Tokens are aligned to the message's units; each slot is read where its unit landed, and
 * anything unreadable is an erasure. When the message had zero-width marks and the leak has none, the
 * leak was stripped: then readings that a stripper or an OCR engine produces from every form (ASCII
 * quotes, three dots) are erasures, and collapsed spacing is not read as single spacing.
 */
export function decodeText(leak: string, template: MessageTemplate, messageId: string): Reading {
  const observed: (number | null)[] = template.slots.map(() => null)
  const tokens = tokenizeLeak(leak)
  const hasInvisibleSlots = template.slots.some((s) => s.channel === "invisible")
  const anyInvisible = tokens.some((t) => t.invisible.length > 0)
  const stripped = hasInvisibleSlots && !anyInvisible
  const doubleSpaces = tokens.some((t) => t.spacesBefore >= 2)
  const { matches } = alignUnits(template, tokens)
  matches.forEach((match, u) => {
    const unit = template.units[u]
    if (unit === undefined || match.token < 0) return
    const first = tokens[match.token]
    if (first === undefined) return
    if (unit.wordingSlot !== null) {
      const costs = match.variantCosts
      const best = costs[match.variant] ?? Infinity
      const words = unit.variants[match.variant]?.length ?? 1
      const unique = costs.every((c, v) => v === match.variant || c > best + 0.1)
      if (unique && best <= 0.34 * words) observed[unit.wordingSlot] = match.variant
    }
    const words = unit.variants[match.variant] ?? []
    words.forEach((word, i) => {
      const token = tokens[match.token + i]
      if (token !== undefined) readGlyphs(word, token, observed, stripped)
    })
    const previous = matches[u - 1]
    const adjacent =
      previous !== undefined &&
      previous.token >= 0 &&
      previous.token + (template.units[u - 1]?.variants[previous.variant]?.length ?? 1) === match.token
    if (unit.sentenceSlot !== null && adjacent && doubleSpaces) {
      observed[unit.sentenceSlot] = first.spacesBefore >= 2 ? 1 : 0
    }
    // Zero-width marks are read only when the gap holds exactly as many as were written.
    if (unit.invisibleSlots.length > 0 && first.invisible.length === unit.invisibleSlots.length) {
      unit.invisibleSlots.forEach((slot, k) => {
        const option = (invisibleForms as readonly string[]).indexOf(first.invisible[k] ?? "")
        if (option >= 0) observed[slot] = option
      })
    }
  })
  readTextLineBreaks(template, tokens, matches, observed)
  return { messageId, slots: template.slots, observed, stripped, source: "text" }
}

/**
 * Reads line-break slots from a leak that keeps the bubble's lines (OCR of a screenshot does; pasted
 * text does not: its only line breaks are between paragraphs). Paragraph by paragraph, each break is
 * read from whether the leak's line ends before the natural break's last unit (one unit earlier) or
 * after it; at the first break the leak does not show, the rest of that paragraph is left unread.
 */
function readTextLineBreaks(
  template: MessageTemplate,
  tokens: readonly LeakToken[],
  matches: readonly UnitMatch[],
  observed: (number | null)[],
): void {
  const newlines = tokens.filter((t, i) => i > 0 && t.newlineBefore).length
  if (newlines <= template.paragraphs.length - 1) return
  const limit = lineLimit(template.options.geometry)
  const startsLine = (unit: number | undefined): boolean => {
    if (unit === undefined) return false
    const token = tokens[matches[unit]?.token ?? -1]
    return token?.newlineBefore === true
  }
  for (const paragraph of template.paragraphs) {
    const breakUnits = paragraph.units.map((u) => ({
      reserve: template.units[u]?.reserve ?? 0,
      gap: template.units[u]?.gap ?? 0,
    }))
    let start = 0
    let k = 0
    while (start < breakUnits.length) {
      let { end } = fitLine(breakUnits, start, limit)
      if (end >= breakUnits.length) break
      const slot = paragraph.breakSlots[k]
      if (slot !== undefined && end - start >= 2) {
        const early = startsLine(paragraph.units[end - 1])
        const natural = startsLine(paragraph.units[end])
        if (early === natural) break
        observed[slot] = early ? 1 : 0
        if (early) end--
      }
      k++
      start = end
    }
  }
}
