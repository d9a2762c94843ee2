#!/usr/bin/env node
/* global document, requestAnimationFrame */
// Scroll benchmark of the web app's conversation view: the real ConversationScreen (virtualized list,
// tracemark bubbles drawn by the reference renderer) over N messages, in the Debian Chromium. It scrolls
// from the newest message to the oldest at a fixed step per animation frame and records every frame's
// duration, the rows kept in the DOM, and the initial bundle size. Prints a table, writes
// bench/results/web-scroll.json and the `web_*` keys of bench/RESULTS.md.
// Each size runs in a fresh page of one browser, so the sizes compare as ratios measured in one run.
// Usage: node bench/web/scroll.mjs [--messages 500,5000] [--step 90]
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join, extname } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { build } from "vite"
import { table, updateSummary, writeJson, writeSection } from "../lib/results.mjs"
import { launchChromium } from "../lib/chromium.mjs"
import { measureBundle } from "../../packages/web/scripts/bundle-budget.mjs"

const { values } = parseArgs({
  options: { messages: { type: "string", default: "500,5000" }, step: { type: "string", default: "90" } },
})
const sizes = values.messages.split(",").map(Number)
const step = Number(values.step)
const here = fileURLToPath(new URL(".", import.meta.url))
const out = mkdtempSync(join(tmpdir(), "bc-scroll-"))
const origin = "http://scroll.invalid"

await build({
  configFile: false,
  logLevel: "warn",
  root: here,
  base: "/",
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: out,
    emptyOutDir: true,
    minify: true,
    rollupOptions: { input: join(here, "scroll.html") },
  },
})

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".woff": "font/woff" }
const browser = await launchChromium()
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
await context.route("**/*", async (route) => {
  const url = new URL(route.request().url())
  if (url.origin !== origin) return route.abort()
  const path = url.pathname === "/" ? "/scroll.html" : url.pathname
  try {
    return route.fulfill({
      body: readFileSync(join(out, path)),
      contentType: types[extname(path)] ?? "application/octet-stream",
    })
  } catch {
    return route.fulfill({ status: 404, body: "" })
  }
})
async function runSize(count) {
  const page = await context.newPage()
  await page.goto(`${origin}/`)
  const mountStarted = Date.now()
  const generatedMs = await page.evaluate((n) => globalThis.__mount(n), count)
  await page.locator("[data-testid=marked-bubble]").first().waitFor({ timeout: 120_000 })
  const firstPaintMs = Date.now() - mountStarted - generatedMs

  const result = await page.evaluate(async (stepPx) => {
    const scroller = document.querySelector("[data-testid=message-scroller]")
    const frames = []
    let maxRows = 0
    let last = performance.now()
    await new Promise((resolve) => {
      const tick = (now) => {
        frames.push(now - last)
        last = now
        maxRows = Math.max(maxRows, document.querySelectorAll(".vrow").length)
        if (scroller.scrollTop <= 0 || frames.length > 20000) return resolve()
        scroller.scrollTop = Math.max(0, scroller.scrollTop - stepPx)
        requestAnimationFrame(tick)
      }
      requestAnimationFrame((now) => {
        last = now
        requestAnimationFrame(tick)
      })
    })
    return {
      frames: frames.slice(1),
      maxRows,
      messages: document.querySelectorAll("[data-testid=message]").length,
      scrollHeight: scroller.scrollHeight,
    }
  }, step)
  await page.close()
  return { count, generatedMs, firstPaintMs, ...result }
}
const runs = []
for (const n of sizes) runs.push(await runSize(n))

await browser.close()
rmSync(out, { recursive: true, force: true })

const bundle = measureBundle(fileURLToPath(new URL("../../packages/web/dist/", import.meta.url)))
const r1 = (n) => Math.round(n * 10) / 10
function summarise(run) {
  const sorted = [...run.frames].sort((a, b) => a - b)
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)
  const long = sorted.filter((f) => f > (1000 / 60) * 1.5).length
  return {
    messages: run.count,
    frames: run.frames.length,
    meanFrameMs: r1(mean),
    p50FrameMs: r1(pct(50)),
    p95FrameMs: r1(pct(95)),
    p99FrameMs: r1(pct(99)),
    longFramesPct: r1((100 * long) / Math.max(1, sorted.length)),
    maxRowsInDom: run.maxRows,
    scrollHeightPx: Math.round(run.scrollHeight),
    firstPaintMs: Math.round(run.firstPaintMs),
  }
}
const summaries = runs.map(summarise)
const largest = summaries[summaries.length - 1]
const data = {
  stepPx: step,
  loadAverage1m: r1(loadavg()[0] ?? 0),
  runs: summaries,
  initialBundleGzipKB: r1(bundle.initialGzip / 1024),
  workerAndLazyGzipKB: r1(bundle.lazyGzip / 1024),
}
const metricNames = Object.keys(largest).filter((k) => k !== "messages")
const rows = [
  ...metricNames.map((k) => [k, ...summaries.map((r) => r[k])]),
  ["initialBundleGzipKB", ...summaries.map(() => data.initialBundleGzipKB)],
  ["workerAndLazyGzipKB", ...summaries.map(() => data.workerAndLazyGzipKB)],
]
const t = table(["metric", ...summaries.map((r) => `${r.messages} messages`)], rows)
console.log(t.text)
writeJson("web-scroll", data)
updateSummary({
  web_initial_bundle_gzip_kb: data.initialBundleGzipKB,
  web_scroll_messages: largest.messages,
  web_scroll_frames: largest.frames,
  web_scroll_mean_frame_ms: largest.meanFrameMs,
  web_scroll_p95_frame_ms: largest.p95FrameMs,
  web_scroll_long_frames_pct: largest.longFramesPct,
  web_scroll_max_rows_in_dom: largest.maxRowsInDom,
})
writeSection(
  "Web app: 5,000-message scroll and bundle size",
  `Measured by \`node bench/web/scroll.mjs\` (headless Debian Chromium, software rendering, 1280×800): the real
conversation view over ${sizes.join(" and ")} messages (two thirds received, each drawn as the recipient's tracemark copy),
scrolled from newest to oldest by ${step} px per animation frame. A "long" frame takes more than 25 ms
(1.5 frames at 60 Hz). Load average at the end of the run: ${data.loadAverage1m} (other work on the machine
inflates frame times for both sizes alike; compare the columns). The initial bundle is what index.html loads before the app paints, gzipped; the
engine worker loads after.

${t.md}
`,
)
