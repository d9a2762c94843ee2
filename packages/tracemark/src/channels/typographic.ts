/** A run of a word: plain text, or a glyph cell whose form a slot chooses. */
export type Piece =
  { kind: "text"; text: string } | { kind: "glyph"; forms: readonly string[]; label: string }

const dashTokens = new Set(["-", "--", "\u2013", "\u2014"])
export const dashForms = ["\u2013", "\u2014"] as const
export const ellipsisForms = ["...", "\u2026"] as const
export const openDoubleForms = ['"', "\u201c"] as const
export const closeDoubleForms = ['"', "\u201d"] as const
export const openSingleForms = ["'", "\u2018"] as const
export const closeSingleForms = ["'", "\u2019"] as const

/**
 * Splits one whitespace-free token into pieces, turning every typographic site into a glyph cell:
 * a spaced dash, an ellipsis, straight or curly double quotes, apostrophes and single quotes.
 * Letters and digits always stay in text pieces, so no glyph choice can change a word.
 */
export function typographicPieces(token: string): Piece[] {
  if (dashTokens.has(token)) return [{ kind: "glyph", forms: dashForms, label: "dash" }]
  const pieces: Piece[] = []
  let text = ""
  const flush = (): void => {
    if (text !== "") pieces.push({ kind: "text", text })
    text = ""
  }
  const chars = Array.from(token)
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? ""
    const atStart = i === 0 || /[([{]/.test(chars[i - 1] ?? "")
    if (ch === "." && chars[i + 1] === "." && chars[i + 2] === ".") {
      flush()
      pieces.push({ kind: "glyph", forms: ellipsisForms, label: "ellipsis" })
      i += 2
    } else if (ch === "\u2026") {
      flush()
      pieces.push({ kind: "glyph", forms: ellipsisForms, label: "ellipsis" })
    } else if (ch === '"' || ch === "\u201c" || ch === "\u201d") {
      flush()
      const open = ch === "\u201c" || (ch === '"' && atStart)
      pieces.push({ kind: "glyph", forms: open ? openDoubleForms : closeDoubleForms, label: "double quote" })
    } else if (ch === "'" || ch === "\u2018" || ch === "\u2019") {
      flush()
      const open = ch === "\u2018" || (ch === "'" && atStart)
      pieces.push({ kind: "glyph", forms: open ? openSingleForms : closeSingleForms, label: "apostrophe" })
    } else {
      text += ch
    }
  }
  flush()
  return pieces
}
