import { typographicPieces, type Piece } from "./channels/typographic.js"
import { findWordingSites, type WordingSite } from "./channels/wording.js"
import { textAdvance } from "./font/metrics.js"
import {
  breakBounds,
  breakParagraph,
  lineLimit,
  type BreakUnit,
  type LineTemplate,
  type ParagraphTemplate,
} from "./layout/break-lines.js"
import { defaultGeometry } from "./layout/geometry.js"
import {
  invisibleForms,
  invisiblePerGap,
  type MarkOptions,
  type ResolvedOptions,
  type Slot,
  type SlotChannel,
} from "./slots.js"

export type PieceTemplate =
  | { kind: "text"; text: string }
  | { kind: "glyph"; slot: number; forms: readonly string[]; cellWidth: number }

export interface WordTemplate {
  pieces: PieceTemplate[]
  width: number
}

/** A layout unit: one word, or the words of one wording site, which stay on one line. */
export interface UnitTemplate {
  paragraph: number
  /** The unit's line in the natural layout (every line-break slot at option 0). */
  line: number
  /** One entry per option of `wordingSlot` (a single entry when there is none). */
  variants: WordTemplate[][]
  variantWidths: number[]
  wordingSlot: number | null
  shiftSlot: number | null
  /** Sentence spacing of the gap before this unit. */
  sentenceSlot: number | null
  /** Zero-width marks placed after the space before this unit (two per gap: four bits). */
  invisibleSlots: number[]
  firstInParagraph: boolean
  reserve: number
  /** Gap before the unit when it is not first on its line (a space, plus the double-space extra). */
  gap: number
}

export type { LineTemplate, ParagraphTemplate } from "./layout/break-lines.js"

/** Everything about a message's copies that does not depend on the recipient. */
export interface MessageTemplate {
  text: string
  options: ResolvedOptions
  slots: Slot[]
  units: UnitTemplate[]
  /** Each paragraph's units and its line-break slots. */
  paragraphs: ParagraphTemplate[]
  /** The natural layout (every line-break slot at option 0); a copy's lines come from `copyLines`. */
  lines: LineTemplate[]
  overlaySlots: number[]
  /** Bubble width in CSS px: the same for every copy (the widest line any copy can have). */
  width: number
  /** Bubble height of the natural layout; a copy with early line breaks may be taller (`copyHeight`). */
  height: number
}

export function resolveOptions(options: MarkOptions = {}): ResolvedOptions {
  return {
    typographic: options.typographic ?? true,
    layout: options.layout ?? true,
    overlay: options.overlay ?? true,
    invisible: options.invisible ?? true,
    wording: options.wording ?? false,
    geometry: options.geometry ?? defaultGeometry,
  }
}

const sentenceEnd = /[.!?]["'\u201d\u2019)]*$/
const abbreviations = new Set([
  "mr.",
  "mrs.",
  "ms.",
  "dr.",
  "prof.",
  "st.",
  "e.g.",
  "i.e.",
  "etc.",
  "vs.",
  "no.",
])

function isSentenceBoundary(previous: string, next: string): boolean {
  if (!sentenceEnd.test(previous)) return false
  if (abbreviations.has(previous.toLowerCase()) || /^[A-Z]\.$/.test(previous)) return false
  return /^["'\u201c\u2018(]?[A-Z0-9]/.test(next)
}

interface RawToken {
  start: number
  end: number
  text: string
}

/**
 * Analyses a message: its slots, layout units and line breaks. Depends only on (text, options), so the
 * sender, every recipient and every decoder derive the same template.
 */
export function buildTemplate(text: string, markOptions: MarkOptions = {}): MessageTemplate {
  const options = resolveOptions(markOptions)
  const g = options.geometry
  const slots: Slot[] = []
  const addSlot = (key: string, channel: SlotChannel, labels: readonly string[]): number => {
    slots.push({ index: slots.length, key, channel, options: labels.length, labels })
    return slots.length - 1
  }
  const sites = options.wording ? findWordingSites(text) : []
  const units: UnitTemplate[] = []
  const paragraphs: ParagraphTemplate[] = []
  const space = textAdvance(" ", g.fontSize)
  const limit = lineLimit(g)
  let maxLine = 0

  const paragraphTexts = text.split("\n")
  let offset = 0
  paragraphTexts.forEach((paragraph, p) => {
    const tokens: RawToken[] = []
    for (const m of paragraph.matchAll(/\S+/g)) {
      tokens.push({ start: offset + m.index, end: offset + m.index + m[0].length, text: m[0] })
    }
    offset += paragraph.length + 1
    // Group tokens that one wording site spans into one unit.
    const groups: { tokens: RawToken[]; site: WordingSite | null }[] = []
    for (const token of tokens) {
      const site =
        sites.find(
          (s) =>
            (s.start < token.end && s.end > token.start) ||
            (s.start === s.end && s.start === token.end) ||
            (s.start === s.end && s.start > token.start && s.start < token.end),
        ) ?? null
      const last = groups[groups.length - 1]
      if (site !== null && last?.site === site) last.tokens.push(token)
      else groups.push({ tokens: [token], site })
    }
    const paragraphUnits: number[] = []
    let previousText = ""
    groups.forEach((group, gi) => {
      const first = group.tokens[0]
      const last = group.tokens[group.tokens.length - 1]
      if (first === undefined || last === undefined) return
      const unitText = text.slice(first.start, last.end)
      const unitIndex = units.length
      let wordingSlot: number | null = null
      let variantTexts = [unitText]
      if (group.site !== null) {
        const site = group.site
        const rel = site.start - first.start
        const relEnd = site.end - first.start
        variantTexts = site.forms.map((f) => unitText.slice(0, rel) + f + unitText.slice(relEnd))
        wordingSlot = addSlot(
          `w:${unitIndex}`,
          "wording",
          site.forms.map((f) => `${site.kind}: ${f === "" ? "(none)" : f}`),
        )
      }
      const variants: WordTemplate[][] = variantTexts.map((vt) =>
        vt
          .split(" ")
          .filter((w) => w !== "")
          .map((w) => {
            const raw: Piece[] =
              options.typographic && wordingSlot === null ? typographicPieces(w) : [{ kind: "text", text: w }]
            const pieces: PieceTemplate[] = raw.map((piece, k) => {
              if (piece.kind === "text") return piece
              const slot = addSlot(
                `g:${unitIndex}:${k}`,
                "glyph",
                piece.forms.map((f) => `${piece.label} ${f}`),
              )
              const cellWidth = Math.max(...piece.forms.map((f) => textAdvance(f, g.fontSize)))
              return { kind: "glyph", slot, forms: piece.forms, cellWidth }
            })
            const width = pieces.reduce(
              (sum, pc) => sum + (pc.kind === "text" ? textAdvance(pc.text, g.fontSize) : pc.cellWidth),
              0,
            )
            return { pieces, width }
          }),
      )
      const variantWidths = variants.map(
        (words) => words.reduce((sum, w) => sum + w.width, 0) + space * Math.max(0, words.length - 1),
      )
      const reserve = Math.max(...variantWidths)
      const firstInParagraph = gi === 0
      let sentenceSlot: number | null = null
      const invisibleSlots: number[] = []
      if (!firstInParagraph) {
        if (options.typographic && isSentenceBoundary(previousText, unitText)) {
          sentenceSlot = addSlot(`p:${unitIndex}`, "sentence-space", ["single space", "double space"])
        }
        if (options.invisible) {
          for (let k = 0; k < invisiblePerGap; k++) {
            invisibleSlots.push(
              addSlot(
                `z:${unitIndex}:${k}`,
                "invisible",
                invisibleForms.map(
                  (f) => `U+${(f.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`,
                ),
              ),
            )
          }
        }
      }
      const shiftSlot = options.layout ? addSlot(`s:${unitIndex}`, "shift", ["left", "right"]) : null
      const gap = firstInParagraph ? 0 : space + (sentenceSlot === null ? 0 : g.sentenceExtra)
      paragraphUnits.push(unitIndex)
      units.push({
        paragraph: p,
        line: -1,
        variants,
        variantWidths,
        wordingSlot,
        shiftSlot,
        sentenceSlot,
        invisibleSlots,
        firstInParagraph,
        reserve,
        gap,
      })
      previousText = unitText
    })
    // Line-break slots: as many as the most breaks any copy of this paragraph can have.
    const breakUnits = paragraphUnits.map((u) => breakUnitOf(units[u]))
    const bounds = breakBounds(breakUnits, limit)
    maxLine = Math.max(maxLine, bounds.maxWidth)
    const breakSlots: number[] = []
    if (options.layout) {
      for (let k = 0; k < bounds.maxBreaks; k++)
        breakSlots.push(addSlot(`b:${p}:${k}`, "line-break", ["natural break", "one word earlier"]))
    }
    paragraphs.push({ units: paragraphUnits, breakSlots })
  })
  const lines = layoutParagraphs(paragraphs, units, limit, () => 0)
  lines.forEach((line, l) => {
    for (const u of line.units) {
      const unit = units[u]
      if (unit !== undefined) unit.line = l
    }
  })
  const overlaySlots: number[] = []
  if (options.overlay) {
    const bits = (g.overlayCols / 2) * g.overlayRows
    for (let b = 0; b < bits; b++)
      overlaySlots.push(addSlot(`o:${b}`, "overlay", ["light-dark", "dark-light"]))
  }
  const contentWidth = Math.min(g.maxContentWidth, Math.ceil(maxLine + 2 * g.shift))
  return {
    text,
    options,
    slots,
    units,
    paragraphs,
    lines,
    overlaySlots,
    width: contentWidth + 2 * g.padX,
    height: lines.length * g.lineHeight + 2 * g.padY,
  }
}

function breakUnitOf(unit: UnitTemplate | undefined): BreakUnit {
  return { reserve: unit?.reserve ?? 0, gap: unit?.gap ?? 0 }
}

function layoutParagraphs(
  paragraphs: readonly ParagraphTemplate[],
  units: readonly UnitTemplate[],
  limit: number,
  pick: (slot: number) => number,
): LineTemplate[] {
  const lines: LineTemplate[] = []
  paragraphs.forEach((paragraph, p) => {
    const breakUnits = paragraph.units.map((u) => breakUnitOf(units[u]))
    for (const [a, b] of breakParagraph(breakUnits, paragraph.breakSlots, limit, pick))
      lines.push({ paragraph: p, units: paragraph.units.slice(a, b) })
  })
  return lines
}

/** A copy's lines: where its line-break choices put each unit. */
export function copyLines(template: MessageTemplate, pick: (slot: number) => number): LineTemplate[] {
  return layoutParagraphs(template.paragraphs, template.units, lineLimit(template.options.geometry), pick)
}

/** The bubble height of a layout with `lineCount` lines, CSS px. */
export function bubbleHeight(template: MessageTemplate, lineCount: number): number {
  const g = template.options.geometry
  return lineCount * g.lineHeight + 2 * g.padY
}

/** The slots of a message: depends only on (text, options), never on a recipient. */
export function listSlots(text: string, options: MarkOptions = {}): Slot[] {
  return buildTemplate(text, options).slots
}
