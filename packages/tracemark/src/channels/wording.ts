import { contractions, months, spellings, synonyms } from "./wording-table.js"

/** A place in the text where the wording table offers equivalent forms. */
export interface WordingSite {
  start: number
  end: number
  /** Every form, the original among them; the option index is the index in this list. */
  forms: readonly string[]
  kind: "oxford-comma" | "contraction" | "spelling" | "synonym" | "percent" | "thousands" | "date" | "time"
}

function capitalizeLike(form: string, original: string): string {
  const first = original.charAt(0)
  if (first !== first.toUpperCase() || first === first.toLowerCase()) return form
  return (form[0] ?? "").toUpperCase() + form.slice(1)
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
}

const monthAlt = months.join("|")

/** Finds wording sites; overlapping sites keep the one that starts first. */
export function findWordingSites(text: string): WordingSite[] {
  const found: WordingSite[] = []
  const add = (start: number, end: number, forms: string[], kind: WordingSite["kind"]): void => {
    if (new Set(forms).size < 2 || !forms.includes(text.slice(start, end))) return
    found.push({ start, end, forms, kind })
  }
  // Oxford comma: "A, B and C" / "A, B, and C" — a list with an earlier comma in the same clause.
  for (const m of text.matchAll(/(\w+), ([\w-]+(?: [\w-]+){0,2})(,?) (and|or) /g)) {
    const at = m.index + (m[1]?.length ?? 0) + 2 + (m[2]?.length ?? 0)
    add(at, at + (m[3]?.length ?? 0), ["", ","], "oxford-comma")
  }
  for (const [full, short] of contractions) {
    for (const [a, b] of [
      [full, short],
      [short, full],
    ] as const) {
      const re = new RegExp(`\\b${escapeRegExp(a)}\\b`, "gi")
      for (const m of text.matchAll(re)) {
        const original = m[0]
        if (original.slice(1) !== a.slice(1)) continue
        const forms =
          a === full ? [original, capitalizeLike(b, original)] : [capitalizeLike(b, original), original]
        add(m.index, m.index + original.length, forms, "contraction")
      }
    }
  }
  for (const [uk, us] of spellings) {
    for (const [a, b, ukFirst] of [
      [uk, us, true],
      [us, uk, false],
    ] as const) {
      for (const m of text.matchAll(new RegExp(`\\b${escapeRegExp(a)}(\\w*)`, "gi"))) {
        const original = m[0]
        const stem = original.slice(0, a.length)
        if (stem.slice(1) !== a.slice(1)) continue
        const other = capitalizeLike(b, stem) + original.slice(a.length)
        add(m.index, m.index + original.length, ukFirst ? [original, other] : [other, original], "spelling")
      }
    }
  }
  for (const [x, y] of synonyms) {
    for (const [a, b, xFirst] of [
      [x, y, true],
      [y, x, false],
    ] as const) {
      for (const m of text.matchAll(new RegExp(`\\b${escapeRegExp(a)}\\b`, "gi"))) {
        const original = m[0]
        if (original.slice(1) !== a.slice(1)) continue
        const other = capitalizeLike(b, original)
        add(m.index, m.index + original.length, xFirst ? [original, other] : [other, original], "synonym")
      }
    }
  }
  // Percentages: "15 per cent" / "15 percent" / "15%".
  for (const m of text.matchAll(/\b(\d+(?:\.\d+)?)( per cent| percent|%)/g)) {
    const n = m[1] ?? ""
    add(m.index, m.index + m[0].length, [`${n} per cent`, `${n} percent`, `${n}%`], "percent")
  }
  // Thousands separators in numbers of five or more digits: "12,500" / "12 500"... only comma vs none.
  for (const m of text.matchAll(/(?<![\d,.])(\d{1,3}(?:,\d{3})+|\d{5,})(?![\d,]\d)/g)) {
    const digits = (m[1] ?? "").replace(/,/g, "")
    if (digits.length < 4) continue
    const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",")
    add(m.index, m.index + m[0].length, [grouped, digits], "thousands")
  }
  // Dates: "12 March" / "March 12" (with an optional year: "12 March 2026" / "March 12, 2026").
  for (const m of text.matchAll(new RegExp(`\\b(\\d{1,2}) (${monthAlt})(?: (\\d{4}))?\\b`, "g"))) {
    const [, d = "", mo = "", y] = m
    const forms = y === undefined ? [`${d} ${mo}`, `${mo} ${d}`] : [`${d} ${mo} ${y}`, `${mo} ${d}, ${y}`]
    add(m.index, m.index + m[0].length, forms, "date")
  }
  for (const m of text.matchAll(new RegExp(`\\b(${monthAlt}) (\\d{1,2})(?:, (\\d{4}))?\\b`, "g"))) {
    const [, mo = "", d = "", y] = m
    const forms = y === undefined ? [`${d} ${mo}`, `${mo} ${d}`] : [`${d} ${mo} ${y}`, `${mo} ${d}, ${y}`]
    add(m.index, m.index + m[0].length, forms, "date")
  }
  // Times: "14:30" / "2:30 p.m." (24-hour clock in the text, 12-hour alternative).
  for (const m of text.matchAll(/\b([01]?\d|2[0-3]):([0-5]\d)\b(?! ?[ap]\.?m)/g)) {
    const h = Number(m[1])
    const mm = m[2] ?? "00"
    const twelve = `${h % 12 === 0 ? 12 : h % 12}:${mm} ${h < 12 ? "a.m." : "p.m."}`
    add(m.index, m.index + m[0].length, [m[0], twelve], "time")
  }
  found.sort((a, b) => (a.start !== b.start ? a.start - b.start : b.end - a.end))
  const kept: WordingSite[] = []
  let lastEnd = -1
  for (const site of found) {
    if (site.start < lastEnd) continue
    // An empty site (Oxford comma) must not sit inside another site.
    if (site.start === lastEnd && site.end === site.start && kept.length > 0) continue
    kept.push(site)
    lastEnd = Math.max(site.end, site.start + (site.end === site.start ? 1 : 0))
  }
  return kept
}
