import {
  contractions,
  countryAbbreviations,
  months,
  oneWaySpellings,
  oneWaySynonyms,
  spellings,
  synonyms,
  thatHeads,
  thatSubjects,
  titleAbbreviations,
  whileNounBefore,
} from "./wording-table.js"

/** A place in the text where the wording table offers equivalent forms. */
export interface WordingSite {
  start: number
  end: number
  /** Every form, the original among them; the option index is the index in this list. */
  forms: readonly string[]
  kind:
    | "oxford-comma"
    | "contraction"
    | "spelling"
    | "synonym"
    | "that"
    | "abbreviation"
    | "percent"
    | "thousands"
    | "date"
    | "time"
}

interface WordEntry {
  /** Lower-case forms; option 0 is the first. */
  forms: readonly string[]
  kind: "spelling" | "synonym"
}

/** Whole-word lookup: lower-case word → its entry (both forms of two-way entries, the first of one-way). */
const wordEntries = new Map<string, WordEntry>()
for (const [list, kind, twoWay] of [
  [spellings, "spelling", true],
  [oneWaySpellings, "spelling", false],
  [synonyms, "synonym", true],
  [oneWaySynonyms, "synonym", false],
] as const) {
  for (const [a, b] of list) {
    const entry: WordEntry = { forms: [a, b], kind }
    wordEntries.set(a, entry)
    if (twoWay) wordEntries.set(b, entry)
  }
}

/** The words before `index` in `text`, last first (lower case). */
function wordBefore(text: string, index: number): string {
  const m = /([\p{L}']+)[^\p{L}']*$/u.exec(text.slice(Math.max(0, index - 40), index))
  return (m?.[1] ?? "").toLowerCase()
}

/** Whether `index` starts a sentence: only spaces, quotes or brackets since a full stop, ?, ! or the start. */
function atSentenceStart(text: string, index: number): boolean {
  return /(^|[.!?:\n]["'\u201d\u2019)]*)\s*["'\u201c\u2018(]*$/.test(
    text.slice(Math.max(0, index - 8), index),
  )
}

/** Words after which a contracted "is/are/have/will" would be stranded ("who we are" ↛ "who we're"). */
const strandingBefore = new Set([
  "where",
  "what",
  "who",
  "how",
  "which",
  "than",
  "as",
  "whatever",
  "wherever",
])

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
  for (const { full, short, expand } of contractions) {
    const directions = expand
      ? ([
          [full, short],
          [short, full],
        ] as const)
      : ([[full, short]] as const)
    for (const [a, b] of directions) {
      const re = new RegExp(`\\b${escapeRegExp(a)}\\b`, "gi")
      for (const m of text.matchAll(re)) {
        const original = m[0]
        if (original.slice(1) !== a.slice(1)) continue
        const after = text.slice(m.index + original.length)
        if (a === full && !full.endsWith(" not") && full !== "cannot") {
          // A contracted auxiliary needs a word after it, and not "to" after "have" ("I have to go").
          if (!/^ +["'\u201c\u2018]?\p{L}/u.test(after)) continue
          if (full.endsWith(" have") && /^ +to\b/i.test(after)) continue
          if (strandingBefore.has(wordBefore(text, m.index))) continue
        }
        const forms =
          a === full ? [original, capitalizeLike(b, original)] : [capitalizeLike(b, original), original]
        add(m.index, m.index + original.length, forms, "contraction")
      }
    }
  }
  // Spellings and synonyms: whole words from the table; a capitalised word inside a sentence is a name
  // ("the Ministry of Defence", "the Labour party") and keeps its spelling.
  for (const m of text.matchAll(/\p{L}[\p{L}-]*\p{L}|\p{L}/gu)) {
    const original = m[0]
    const entry = wordEntries.get(original.toLowerCase())
    if (entry === undefined) continue
    const capitalised = original.charAt(0) !== original.charAt(0).toLowerCase()
    if (original.slice(1) !== original.slice(1).toLowerCase()) continue
    if (capitalised && !atSentenceStart(text, m.index)) continue
    if (entry.kind === "synonym" && original.toLowerCase() === "while") {
      if (whileNounBefore.has(wordBefore(text, m.index))) continue
      if (/^ +away\b/i.test(text.slice(m.index + original.length))) continue
    }
    add(
      m.index,
      m.index + original.length,
      entry.forms.map((f) => capitalizeLike(f, original)),
      entry.kind,
    )
  }
  // "that" introducing a content clause may be dropped: "we agreed that the text" / "we agreed the text".
  const heads = thatHeads.map(
    (h) => `[${h.charAt(0)}${h.charAt(0).toUpperCase()}]${escapeRegExp(h.slice(1))}`,
  )
  const subjects = thatSubjects.map(escapeRegExp).join("|")
  for (const m of text.matchAll(
    new RegExp(`\\b(${heads.join("|")}) that(?= (?:(?:${subjects})\\b|[A-Z]|\\d))`, "g"),
  )) {
    add(m.index, m.index + m[0].length, [m[0], m[1] ?? ""], "that")
  }
  // Abbreviations with or without full stops: titles before a name, countries inside a sentence.
  for (const [list, next] of [
    [titleAbbreviations, /^ [A-Z]/],
    [countryAbbreviations, /^(?: [a-z0-9]|[,;:])/],
  ] as const) {
    for (const [dotted, plain] of list) {
      for (const form of [dotted, plain]) {
        const re = new RegExp(`(?<![\\p{L}.])${escapeRegExp(form)}(?![\\p{L}.])`, "gu")
        for (const m of text.matchAll(re)) {
          if (!next.test(text.slice(m.index + form.length))) continue
          add(m.index, m.index + form.length, [dotted, plain], "abbreviation")
        }
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
  // Times: "14:30" / "2:30 p.m." either way round. Before a full stop, the 12-hour form shares it.
  for (const m of text.matchAll(/\b([01]?\d|2[0-3]):([0-5]\d)\b(?! ?[ap]\.?m)/g)) {
    const h = Number(m[1])
    const mm = m[2] ?? "00"
    const stop = text.charAt(m.index + m[0].length) === "."
    const twelve = `${h % 12 === 0 ? 12 : h % 12}:${mm} ${h < 12 ? "a.m" : "p.m"}${stop ? "" : "."}`
    add(m.index, m.index + m[0].length, [m[0], twelve], "time")
  }
  for (const m of text.matchAll(/\b(1[0-2]|0?[1-9]):([0-5]\d) ([ap])\.m\.(?= [a-z0-9]|[,;:])/g)) {
    const h12 = Number(m[1]) % 12
    const h = m[3] === "p" ? h12 + 12 : h12
    const twentyFour = `${String(h).padStart(2, "0")}:${m[2] ?? "00"}`
    add(m.index, m.index + m[0].length, [twentyFour, m[0]], "time")
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
