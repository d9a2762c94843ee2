import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { findWordingSites, type WordingSite } from "./wording.js"
import {
  contractions,
  months,
  oneWaySpellings,
  oneWaySynonyms,
  spellings,
  synonyms,
} from "./wording-table.js"

/** The standard contraction of a full form, by the rules of English spelling. */
function contract(full: string): string {
  const irregular: Record<string, string> = { "will not": "won't", cannot: "can't", "shall not": "shan't" }
  const known = irregular[full]
  if (known !== undefined) return known
  const [first = "", second = ""] = full.split(" ")
  const ending: Record<string, string> = {
    not: "n't",
    am: "'m",
    are: "'re",
    is: "'s",
    have: "'ve",
    will: "'ll",
    would: "'d",
  }
  return first + (ending[second] ?? "?")
}

/** British → American spelling rules; a pair is valid when one rule (or one reviewed lexical pair) maps it. */
const rules: ((w: string) => string)[] = [
  (w) => w.replace(/our/, "or"),
  (w) => w.replace(/is(e|ed|es|ing|ation|ations|er|ers)$/, "iz$1"),
  (w) => w.replace(/ys(e|ed|ing)$/, "yz$1"),
  (w) => w.replace(/oeuv/, "euv").replace(/([bcrtv])re(s?)$/, "$1er$2"),
  (w) => w.replace(/oeuv/, "euv").replace(/([ctv])r(ed|ing)$/, "$1er$2"),
  (w) => w.replace(/ence(s?)$/, "ense$1"),
  (w) => w.replace(/ll(ed|ing|er|ers|or|ors)$/, "l$1"),
  (w) => w.replace(/l(s?)$/, "ll$1").replace(/lment(s?)$/, "llment$1"),
  (w) => w.replace(/ilful$/, "illful"),
  (w) => w.replace(/ement(s?)$/, "ment$1"),
  (w) => w.replace(/ogue(s?)$/, "og$1").replace(/ogued$/, "oged"),
  (w) => w.replace(/^scep/, "skep"),
  (w) => w.replace(/^co-/, "co").replace(/^e-mail/, "email"),
  (w) => w.replace(/^practis/, "practic"),
]
/** Reviewed pairs that no rule covers: the same word in two spellings, checked by hand. */
const lexical = new Set([
  "grey/gray",
  "ageing/aging",
  "aluminium/aluminum",
  "plough/plow",
  "jewellery/jewelry",
  "adviser/advisor",
  "advisers/advisors",
  "ceasefire/cease-fire",
  "ceasefires/cease-fires",
  "communiqué/communique",
  "communiqués/communiques",
  "programme/program",
  "programmes/programs",
  "cheque/check",
  "cheques/checks",
  "tyre/tire",
  "tyres/tires",
  "storey/story",
  "storeys/stories",
])

function meaning(site: WordingSite, form: string): string {
  switch (site.kind) {
    case "date": {
      const day = /\b(\d{1,2})\b/.exec(form)?.[1]
      const month = months.find((m) => form.includes(m))
      const year = /\b(\d{4})\b/.exec(form)?.[1] ?? ""
      return `${day}-${month}-${year}`
    }
    case "time": {
      const m = /(\d{1,2}):(\d\d)(?: ([ap])\.m)?/.exec(form)
      const h = Number(m?.[1]) % (m?.[3] === undefined ? 24 : 12)
      return String((m?.[3] === "p" ? h + 12 : h) * 60 + Number(m?.[2]))
    }
    case "percent":
      return form.replace(/ per cent| percent|%/, "")
    case "thousands":
      return form.replace(/,/g, "")
    case "oxford-comma":
      return form.replace(",", "")
    case "that":
      return form.replace(/ that$/, "")
    case "abbreviation":
      return form.replace(/\./g, "")
    case "contraction": {
      const entry = contractions.find(
        (e) => e.short.toLowerCase() === form.toLowerCase() || e.full.toLowerCase() === form.toLowerCase(),
      )
      return entry?.full.toLowerCase() ?? `unknown ${form}`
    }
    default: {
      const word = form.toLowerCase()
      const pair = [...spellings, ...oneWaySpellings, ...synonyms, ...oneWaySynonyms].find((p) =>
        p.includes(word),
      )
      return pair?.[0] ?? `unknown ${form}`
    }
  }
}

describe("the wording table", () => {
  it("holds only standard contractions, and expands only the unambiguous ones", () => {
    for (const entry of contractions) {
      expect(entry.short).toBe(contract(entry.full))
      expect(entry.expand).toBe(!/'[sd]$/.test(entry.short))
    }
  })

  it("pairs every spelling with the same word in the other convention (one rule or a reviewed pair)", () => {
    const seen = new Map<string, string>()
    for (const [uk, us] of [...spellings, ...oneWaySpellings]) {
      expect(uk).toMatch(/^[a-zé-]+$/)
      expect(us).toMatch(/^[a-zé-]+$/)
      expect(uk).not.toBe(us)
      const ruled = rules.some((rule) => rule(uk) === us) || lexical.has(`${uk}/${us}`)
      expect(ruled, `${uk}/${us}`).toBe(true)
      // A word belongs to one pair only.
      for (const w of [uk, us]) {
        const partner = w === uk ? us : uk
        expect(seen.get(w) ?? partner, w).toBe(partner)
        seen.set(w, partner)
      }
    }
  })

  it("pairs function words only with their -s/-st or -t/-ed twin", () => {
    for (const [a, b] of [...synonyms, ...oneWaySynonyms]) {
      const ok =
        a === `${b}s` || a === `${b}st` || a === `${b.replace(/e$/, "")}st` || a.replace(/t$/, "ed") === b
      expect(ok, `${a}/${b}`).toBe(true)
    }
  })

  it("offers one-way entries only from their unambiguous form", () => {
    for (const [a, b] of [...oneWaySpellings, ...oneWaySynonyms]) {
      expect(findWordingSites(`We noted the ${a} here.`).map((s) => s.forms)).toEqual([[a, b]])
      expect(findWordingSites(`We noted the ${b} here.`)).toEqual([])
    }
    for (const entry of contractions.filter((e) => !e.expand)) {
      expect(findWordingSites(`Yes, ${entry.short} been there.`)).toEqual([])
    }
  })

  it("gives every form of every site in a sample text the same meaning", () => {
    const sample =
      "It is clear that we cannot organise the summit on 12 March 2027, and we are travelling towards " +
      "Geneva whilst the talks continue. Our analysts estimate that 12,500 people crossed at 14:30 and " +
      "15 per cent stayed. Mr. Haas said the U.S. position differs on grain, energy, and the port. " +
      "We will meet at 9:15 a.m. on June 3, which I have confirmed; they have not. The centre is closed " +
      "at 18:00. I am grateful for the candour and the judgement of your adviser."
    const sites = findWordingSites(sample)
    const kinds = new Set(sites.map((s) => s.kind))
    for (const kind of [
      "oxford-comma",
      "contraction",
      "spelling",
      "synonym",
      "that",
      "abbreviation",
      "percent",
      "thousands",
      "date",
      "time",
    ] as const)
      expect(kinds.has(kind), kind).toBe(true)
    for (const site of sites) {
      expect(site.forms).toContain(sample.slice(site.start, site.end))
      const meanings = new Set(site.forms.map((f) => meaning(site, f)))
      expect(meanings.size, site.forms.join(" | ")).toBe(1)
    }
    // A 12-hour form before a full stop shares it rather than doubling it.
    const evening = sites.find((s) => s.forms.includes("18:00"))
    expect(evening?.forms).toEqual(["18:00", "6:00 p.m"])
  })

  it("keeps dates and times the same in every form (property test)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 28 }),
        fc.constantFrom(...months),
        fc.option(fc.integer({ min: 1990, max: 2099 })),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        (day, month, year, h, min) => {
          const time = `${String(h).padStart(2, "0")}:${String(min).padStart(2, "0")}`
          const text = `We meet on ${day} ${month}${year === null ? "" : ` ${year}`} at ${time} and then leave.`
          const sites = findWordingSites(text)
          expect(sites.map((s) => s.kind)).toEqual(["date", "time"])
          for (const site of sites) expect(new Set(site.forms.map((f) => meaning(site, f))).size).toBe(1)
        },
      ),
      { numRuns: 200 },
    )
  })

  it("leaves alone what would change meaning or grammar", () => {
    for (const text of [
      "Stay for a while and rest.",
      "It's been a long day.",
      "That's who we are.",
      "He went to the Ministry of Defence yesterday.",
      "We know that man well.",
      "The analysts agreed.",
      "The emphasis is wrong.",
      "The analyses differ.",
      "I have to go now.",
      "Leave it as it is now.",
      "Forward planning matters; a learned judge spoke.",
    ]) {
      const kinds = findWordingSites(text).map((s) => `${s.kind}:${s.forms.join("|")}`)
      expect(
        kinds.filter((k) => !k.startsWith("spelling:judge")),
        text,
      ).toEqual([])
    }
  })
})
