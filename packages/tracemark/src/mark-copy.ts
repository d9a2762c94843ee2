import { TracemarkError } from "./errors.js"
import { placeLine } from "./layout/place-line.js"
import type { BubbleGeometry } from "./layout/geometry.js"
import { slotChoice } from "./prf.js"
import { invisibleForms, type MarkOptions } from "./slots.js"
import {
  bubbleHeight,
  buildTemplate,
  copyLines,
  type MessageTemplate,
  type WordTemplate,
} from "./template.js"

/** A piece of a placed word: text, or one glyph form centred in a fixed-width cell. */
export type RenderPiece = { text: string; cellWidth?: number }

export interface RenderWord {
  /** Left edge in CSS px relative to the bubble's content box (inside the padding). */
  x: number
  line: number
  pieces: RenderPiece[]
}

/** What a renderer needs to draw one recipient's bubble; all lengths in CSS px. */
export interface RenderPlan {
  width: number
  height: number
  geometry: BubbleGeometry
  words: RenderWord[]
  /** ±1 per overlay cell, row-major (overlayRows × overlayCols), or null when the overlay is off. */
  overlay: number[] | null
}

export interface MarkedCopy {
  messageId: string
  /** The recipient's text for display and copy: typographic and wording choices, zero-width marks. */
  text: string
  plan: RenderPlan
  /** The option of every slot, in template slot order. */
  choices: number[]
  template: MessageTemplate
}

export interface MarkCopyInput {
  text: string
  messageId: string
  secret: Uint8Array
  options?: MarkOptions
  /** A template already built for (text, options), to save work when marking many copies. */
  template?: MessageTemplate
}

/** Every slot's option for one copy secret. */
export function copyChoices(template: MessageTemplate, secret: Uint8Array): number[] {
  if (secret.length !== 32) throw new TracemarkError("SECRET_INVALID")
  return template.slots.map((slot) => slotChoice(secret, slot.key, slot.options))
}

function wordText(word: WordTemplate, choices: readonly number[]): string {
  return word.pieces.map((p) => (p.kind === "text" ? p.text : (p.forms[choices[p.slot] ?? 0] ?? ""))).join("")
}

/** Builds the overlay cells from the overlay slots' choices (Manchester pairs along each row). */
export function overlayCells(template: MessageTemplate, choices: readonly number[]): number[] | null {
  if (template.overlaySlots.length === 0) return null
  const g = template.options.geometry
  const cells = new Array<number>(g.overlayCols * g.overlayRows).fill(0)
  template.overlaySlots.forEach((slot, bit) => {
    const pairsPerRow = g.overlayCols / 2
    const row = Math.floor(bit / pairsPerRow)
    const col = (bit % pairsPerRow) * 2
    const sign = choices[slot] === 0 ? 1 : -1
    cells[row * g.overlayCols + col] = sign
    cells[row * g.overlayCols + col + 1] = -sign
  })
  return cells
}

/** Renders the copy that `choices` select: its text and its render plan. */
export function renderChoices(
  template: MessageTemplate,
  choices: readonly number[],
): { text: string; plan: RenderPlan } {
  const pick = (slot: number): number => choices[slot] ?? 0
  const words: RenderWord[] = []
  const lines = copyLines(template, pick)
  const paragraphs: string[][] = lines.length === 0 ? [] : [[]]
  let paragraph = 0
  lines.forEach((line, li) => {
    while (paragraph < line.paragraph) {
      paragraphs.push([])
      paragraph++
    }
    for (const placed of placeLine(template, line, pick)) {
      const unit = template.units[placed.unit]
      if (unit === undefined) continue
      for (const { word, dx } of placed.words) {
        words.push({
          x: placed.x + dx,
          line: li,
          pieces: word.pieces.map((p) =>
            p.kind === "text"
              ? { text: p.text }
              : { text: p.forms[pick(p.slot)] ?? "", cellWidth: p.cellWidth },
          ),
        })
      }
      let prefix = ""
      if (!unit.firstInParagraph) {
        prefix = unit.sentenceSlot !== null && pick(unit.sentenceSlot) === 1 ? "  " : " "
        for (const slot of unit.invisibleSlots) prefix += invisibleForms[pick(slot)] ?? ""
      }
      const current = paragraphs[paragraphs.length - 1]
      current?.push(prefix + placed.words.map(({ word }) => wordText(word, choices)).join(" "))
    }
  })
  return {
    text: paragraphs.map((p) => p.join("")).join("\n"),
    plan: {
      width: template.width,
      height: bubbleHeight(template, lines.length),
      geometry: template.options.geometry,
      words,
      overlay: overlayCells(template, choices),
    },
  }
}

/**
 * One recipient device's marked copy of a message. The sender calls this with each recipient's secret
 * to preview any copy; the recipient calls it with its own secret to display its copy.
 */
export function markCopy(input: MarkCopyInput): MarkedCopy {
  if (input.messageId.length === 0) throw new TracemarkError("MESSAGE_ID_INVALID")
  const template = input.template ?? buildTemplate(input.text, input.options)
  const choices = copyChoices(template, input.secret)
  const { text, plan } = renderChoices(template, choices)
  return { messageId: input.messageId, text, plan, choices, template }
}
