#!/usr/bin/env node
// Tracemark evaluation harness (npm run eval:tracemark). Renders marked copies in real Chromium,
// degrades the screenshots, leaks text in four ways, decodes every leak without looking at recipients,
// attributes among simulated recipients, and records bits read, bit error rate, correct attribution and
// false accusations in bench/RESULTS.md and bench/results/tracemark.json.
//   --trials N   screenshot trials per device pixel ratio (each tried under 9 degradations); default 60
//   --text N     text-leak trials per wording setting; default 300
//   --ocr N      OCR trials (tesseract.js, local English data); default 40
//   --quick      small counts for a smoke run
import { createHash } from "node:crypto"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { tmpdir } from "node:os"
import * as tm from "../../packages/tracemark/dist/index.js"
import { encodePng } from "../../packages/tracemark/dist/node/index.js"
import { machine, table, updateSummary, writeJson, writeSection } from "../lib/results.mjs"
import { launchBubbleRenderer } from "./chromium-bubble.mjs"
import { composeMessage, rng, wordCount } from "./corpus.mjs"
import { degradeScreenshot, retypeText, stripText } from "./leaks.mjs"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const opt = (name, def) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : def
}
const shotTrials = opt("--trials", quick ? 4 : 60)
const textTrials = opt("--text", quick ? 20 : 300)
const ocrTrials = opt("--ocr", quick ? 3 : 40)
const N = 100
const NS = [10, 50, 100]
const THRESH = 1e-6
const alphas = [1e-1, 1e-2, 1e-3, 1e-4]
const started = Date.now()
const log = (s) => process.stdout.write(`[tracemark ${((Date.now() - started) / 1000).toFixed(0)}s] ${s}\n`)

/** Candidate secrets: a keyed hash stands in for HKDF output (the X25519/HKDF step is unit-tested). */
const secretFor = (campaign, device, messageId) =>
  new Uint8Array(createHash("sha256").update(`tracemark-eval|${campaign}|${device}|${messageId}`).digest())
const candidatesFor = (campaign, messageIds) =>
  Array.from({ length: N }, (_, d) => ({
    id: `d${d}`,
    secretsPerMessage: Object.fromEntries(messageIds.map((m) => [m, secretFor(campaign, d, m)])),
  }))

function newStats() {
  return {
    trials: 0,
    words: 0,
    readable: 0,
    breaks: 0,
    errors: 0,
    correct: Object.fromEntries(NS.map((n) => [n, 0])),
    conclusive: 0,
    innocent: 0,
    falseAccusations: 0,
    innocentBelow: Object.fromEntries(alphas.map((a) => [a, 0])),
    times: [],
  }
}
const global = newStats()

/** Scores one leak group: agreements of all N candidates, then subsets of n (leaker included). */
function score(stats, readings, candidates, leaker, words) {
  const results = tm.attribute(readings, candidates)
  const leaks = readings.length
  const mine = results.find((r) => r.id === `d${leaker}`)
  stats.trials++
  stats.words += words
  stats.readable += mine.readable
  for (const r of readings)
    r.observed.forEach((o, i) => {
      if (o !== null && r.slots[i].channel === "line-break") stats.breaks++
    })
  stats.errors += mine.readable - mine.agreements
  for (const n of NS) {
    const adj = Math.min(1, mine.pValue * n * leaks)
    if (adj <= THRESH) stats.correct[n]++
  }
  if (mine.adjustedP <= 1e-9) stats.conclusive++
  for (const r of results) {
    if (r.id === `d${leaker}`) continue
    for (const s of [stats, global]) {
      s.innocent++
      if (r.adjustedP <= THRESH) s.falseAccusations++
      for (const a of alphas) if (r.pValue <= a) s.innocentBelow[a]++
    }
  }
  return mine
}

const pct = (x) => `${(100 * x).toFixed(1)}%`
const rowOf = (name, s) => [
  name,
  s.trials,
  (s.readable / Math.max(1, s.trials)).toFixed(1),
  (s.breaks / Math.max(1, s.trials)).toFixed(1),
  (s.readable / Math.max(1, s.words)).toFixed(2),
  s.readable === 0 ? "-" : (s.errors / s.readable).toFixed(4),
  ...NS.map((n) => pct(s.correct[n] / Math.max(1, s.trials))),
  s.innocent,
  s.falseAccusations,
]
const header = [
  "condition",
  "trials",
  "bits read",
  "of which line breaks",
  "bits/word",
  "BER",
  ...NS.map((n) => `attributed n=${n}`),
  "innocent trials",
  "false acc.",
]

// ---------------------------------------------------------------- screenshots
const shotRows = []
const shotAll = newStats()
const perCondition = {}
const lengthRows = []
const renderer = await launchBubbleRenderer()
const ocrImages = []
for (const dpr of [1, 2, 3]) {
  const tab = await renderer.open(dpr)
  for (let t = 0; t < shotTrials; t++) {
    const random = rng(1000 * dpr + t)
    const text = composeMessage(30, random)
    const messageId = `shot-${dpr}-${t}`
    const template = tm.buildTemplate(text)
    const leaker = Math.floor(random() * 10)
    const candidates = candidatesFor("shots", [messageId])
    const copy = tm.markCopy({ text, messageId, secret: secretFor("shots", leaker, messageId), template })
    const shot = await tab.screenshot(copy.plan, 24)
    if (dpr === 2 && ocrImages.length < ocrTrials)
      ocrImages.push({ png: encodePng(shot), text, messageId, template, leaker })
    for (const scale of [1, 0.75, 0.5]) {
      for (const quality of [90, 70, 60]) {
        const key = `DPR ${dpr}, scale ${scale}, JPEG ${quality}`
        perCondition[key] ??= newStats()
        const { image } = degradeScreenshot(shot, { scale, quality, marginPx: 24 * dpr, random })
        const t0 = performance.now()
        let reading
        try {
          reading = tm.decodeImage(image, template, messageId).reading
        } catch {
          reading = {
            messageId,
            slots: template.slots,
            observed: template.slots.map(() => null),
            stripped: false,
            source: "image",
          }
        }
        const t1 = performance.now()
        for (const s of [perCondition[key], shotAll]) score(s, [reading], candidates, leaker, wordCount(text))
        const t2 = performance.now()
        shotAll.times.push((t2 - t0) / 1000)
        perCondition[key].times.push((t1 - t0) / 1000)
      }
    }
    if ((t + 1) % 10 === 0) log(`screenshots DPR ${dpr}: ${t + 1}/${shotTrials}`)
  }
  // Message length sweep at the hardest degradation of this DPR.
  for (const words of [10, 60, 100, 150]) {
    const s = newStats()
    const trials = Math.max(2, Math.round(shotTrials / 4))
    for (let t = 0; t < trials; t++) {
      const random = rng(77_000 + 1000 * dpr + 10 * words + t)
      const text = composeMessage(words, random)
      const messageId = `len-${dpr}-${words}-${t}`
      const template = tm.buildTemplate(text)
      const leaker = Math.floor(random() * 10)
      const copy = tm.markCopy({ text, messageId, secret: secretFor("len", leaker, messageId), template })
      const shot = await tab.screenshot(copy.plan, 24)
      const { image } = degradeScreenshot(shot, { scale: 0.5, quality: 60, marginPx: 24 * dpr, random })
      let reading
      try {
        reading = tm.decodeImage(image, template, messageId).reading
      } catch {
        reading = {
          messageId,
          slots: template.slots,
          observed: template.slots.map(() => null),
          stripped: false,
          source: "image",
        }
      }
      score(s, [reading], candidatesFor("len", [messageId]), leaker, wordCount(text))
    }
    lengthRows.push(rowOf(`DPR ${dpr}, scale 0.5, JPEG 60, ~${words} words`, s))
  }
  log(`length sweep DPR ${dpr} done`)
  await tab.close()
}
await renderer.close()
for (const [key, s] of Object.entries(perCondition)) shotRows.push(rowOf(key, s))
shotRows.push(rowOf("all screenshot conditions (30 words)", shotAll))

// ---------------------------------------------------------------- text leaks
const textStats = {}
const needed = {}
for (const wording of [false, true]) {
  for (let t = 0; t < textTrials; t++) {
    const random = rng(500_000 + (wording ? 100_000 : 0) + t)
    const words = 10 + Math.floor(random() * 141)
    const text = composeMessage(words, random)
    const messageId = `text-${wording}-${t}`
    const template = tm.buildTemplate(text, { wording })
    const leaker = Math.floor(random() * 10)
    const candidates = candidatesFor("text", [messageId])
    const copy = tm.markCopy({ text, messageId, secret: secretFor("text", leaker, messageId), template })
    const leaks = {
      pasted: copy.text,
      stripped: stripText(copy.text),
      retyped: retypeText(copy.text, random),
    }
    for (const [kind, leak] of Object.entries(leaks)) {
      const key = `${kind}${wording ? ", wording on" : ""}`
      textStats[key] ??= newStats()
      score(textStats[key], [tm.decodeText(leak, template, messageId)], candidates, leaker, wordCount(text))
    }
  }
  log(`text leaks (wording ${wording ? "on" : "off"}) done`)
  // How many leaked ~30-word messages attribution needs (stripped and retyped), leaker fixed per campaign.
  for (const kind of ["stripped", "retyped"]) {
    const ks = []
    const campaigns = quick ? 5 : 40
    for (let c = 0; c < campaigns; c++) {
      const random = rng(900_000 + c + (wording ? 5000 : 0) + (kind === "retyped" ? 10_000 : 0))
      const leaker = Math.floor(random() * N)
      const readings = []
      const ids = []
      let k = 0
      for (k = 1; k <= 40; k++) {
        const text = composeMessage(30, random)
        const messageId = `camp-${c}-${k}`
        ids.push(messageId)
        const template = tm.buildTemplate(text, { wording })
        const copy = tm.markCopy({
          text,
          messageId,
          secret: secretFor(`camp-${kind}`, leaker, messageId),
          template,
        })
        const leak = kind === "stripped" ? stripText(copy.text) : retypeText(copy.text, random)
        readings.push(tm.decodeText(leak, template, messageId))
        if (k < 2 && !wording) continue
        const cands = Array.from({ length: N }, (_, d) => ({
          id: `d${d}`,
          secretsPerMessage: Object.fromEntries(ids.map((m) => [m, secretFor(`camp-${kind}`, d, m)])),
        }))
        const res = tm.attribute(readings, cands)
        if (res[0].id === `d${leaker}` && res[0].adjustedP <= THRESH) break
      }
      ks.push(k)
    }
    ks.sort((a, b) => a - b)
    needed[`${kind}${wording ? ", wording on" : ""}`] = {
      median: ks[Math.floor(ks.length / 2)],
      p90: ks[Math.floor(ks.length * 0.9)],
      campaigns: ks.length,
      capped: ks.filter((k) => k > 40).length,
    }
  }
  log(`messages-needed campaigns (wording ${wording ? "on" : "off"}) done`)
}

// ---------------------------------------------------------------- OCR (tesseract.js, local data only)
const require = createRequire(import.meta.url)
const { createWorker } = require("tesseract.js")
const langPath = join(dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int")
const ocrStats = newStats()
const ocrWordingStats = newStats()
{
  const worker = await createWorker("eng", 1, {
    langPath,
    gzip: true,
    cachePath: join(tmpdir(), "tracemark-ocr"),
    cacheMethod: "none",
  })
  const renderer2 = await launchBubbleRenderer()
  const tab = await renderer2.open(2)
  for (let t = 0; t < ocrTrials; t++) {
    for (const wording of [false, true]) {
      const random = rng(42_000 + t)
      const text = composeMessage(30 + Math.floor(random() * 60), random)
      const messageId = `ocr-${wording}-${t}`
      const template = tm.buildTemplate(text, { wording })
      const leaker = Math.floor(random() * 10)
      const copy = tm.markCopy({ text, messageId, secret: secretFor("ocr", leaker, messageId), template })
      const shot = await tab.screenshot(copy.plan, 24)
      const { data } = await worker.recognize(Buffer.from(encodePng(shot)))
      score(
        wording ? ocrWordingStats : ocrStats,
        [tm.decodeText(data.text, template, messageId)],
        candidatesFor("ocr", [messageId]),
        leaker,
        wordCount(text),
      )
    }
    if ((t + 1) % 10 === 0) log(`OCR ${t + 1}/${ocrTrials}`)
  }
  await tab.close()
  await renderer2.close()
  await worker.terminate()
}

// ---------------------------------------------------------------- report
const textRows = Object.entries(textStats).map(([k, s]) => rowOf(k, s))
textRows.push(rowOf("OCR of DPR-2 screenshot (tesseract.js)", ocrStats))
textRows.push(rowOf("OCR of DPR-2 screenshot, wording on", ocrWordingStats))
const times = shotAll.times.slice().sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)] ?? 0
const p95 = times[Math.floor(times.length * 0.95)] ?? 0
const tmax = times[times.length - 1] ?? 0
const looser = alphas.map((a) => [
  `p ≤ ${a}`,
  global.innocentBelow[a],
  (global.innocentBelow[a] / global.innocent).toExponential(2),
  a,
])

const t1 = table(header, shotRows)
const t2 = table(header, lengthRows)
const t3 = table(header, textRows)
const neededRows = Object.entries(needed).map(([k, v]) => [k, v.campaigns, v.median, v.p90, v.capped])
const t4 = table(
  ["leak (~30-word messages, n=100)", "campaigns", "median messages", "90th pct", "not attributed within 40"],
  neededRows,
)
const t5 = table(["innocent raw p-value", "count", "empirical rate", "bound"], looser)
console.log(
  `\nScreenshots (30 words, n = 10/50/100)\n${t1.text}\n\nLength sweep\n${t2.text}\n\nText leaks\n${t3.text}\n\nMessages needed\n${t4.text}\n\nInnocent calibration\n${t5.text}`,
)
console.log(
  `screenshot decode+attribution: median ${median.toFixed(3)} s, p95 ${p95.toFixed(3)} s, max ${tmax.toFixed(3)} s`,
)

const stats = (k) => textStats[k]
const bpw = (s) => (s.readable / Math.max(1, s.words)).toFixed(3)
const summary = {
  tracemark_screenshot_30w_n100_attribution_rate: (shotAll.correct[100] / shotAll.trials).toFixed(4),
  tracemark_screenshot_trials: shotAll.trials,
  tracemark_screenshot_bit_error_rate: (shotAll.errors / shotAll.readable).toFixed(5),
  tracemark_screenshot_bits_read: (shotAll.readable / shotAll.trials).toFixed(1),
  tracemark_screenshot_line_break_bits: (shotAll.breaks / shotAll.trials).toFixed(1),
  tracemark_innocent_trials: global.innocent,
  tracemark_false_accusations: global.falseAccusations,
  tracemark_pasted_attribution_rate: (stats("pasted").correct[100] / stats("pasted").trials).toFixed(4),
  tracemark_stripped_bits_per_word: bpw(stats("stripped, wording on")),
  tracemark_retyped_bits_per_word: bpw(stats("retyped, wording on")),
  tracemark_ocr_bits_per_word: bpw(ocrWordingStats),
  tracemark_stripped_messages_needed: needed["stripped, wording on"].median,
  tracemark_retyped_messages_needed: needed["retyped, wording on"].median,
  tracemark_screenshot_seconds: median.toFixed(3),
  tracemark_screenshot_seconds_max: tmax.toFixed(3),
}
const m = machine()
const md = `Run ${new Date().toISOString().slice(0, 10)} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), Node ${m.node};
\`npm run eval:tracemark\`${quick ? " --quick" : ""} (${((Date.now() - started) / 60000).toFixed(1)} min). Chromium ${"/usr/bin/chromium"} renders
the reference bubble (bundled Inter, 16 px); screenshots are degraded in Node (area-averaging rescale, random
crop of the page margin, jpeg-js at the given quality). Every leak is decoded against the message alone,
then scored against ${N} simulated recipient devices (subsets of 10 and 50 include the leaker). "Attributed"
means the leaker's adjusted p ≤ 1e-6; a false accusation is an innocent device with adjusted p ≤ 1e-6.
Candidate secrets are keyed hashes standing in for the X25519/HKDF output (that step is unit-tested).

### Screenshots, 30-word messages (${shotTrials} messages per DPR × 9 degradations)
${t1.md}

### Message length, hardest degradation (scale 0.5, JPEG 60)
${t2.md}

### Text leaks (messages of 10–150 words; OCR: 30–90 words)
${t3.md}

### How many leaked messages attribution needs (text only, n = 100, evidence summed)
${t4.md}

### Innocent devices at looser thresholds (raw, uncorrected p-values; all ${global.innocent} innocent trials)
${t5.md}

Screenshot decode + attribution among 100 candidates, one core: median ${median.toFixed(3)} s, p95 ${p95.toFixed(3)} s, max ${tmax.toFixed(3)} s.
`
if (!quick) {
  updateSummary(summary)
  writeSection("Tracemark", md)
}
if (quick) process.exit(0)
const path = writeJson("tracemark", {
  summary,
  shots: perCondition,
  shotAll,
  lengthRows,
  text: textStats,
  ocr: { ocrStats, ocrWordingStats },
  needed,
  looser,
})
console.log(summary)
log(`wrote ${path}`)
