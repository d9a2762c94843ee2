#!/usr/bin/env node
// MLS benchmark in Chromium: ts-mls' default provider against ours on WebCrypto (the one the web app uses),
// in the Debian Chromium, same scenarios as bench/mls/run.mjs (scenario.mjs bundled by vite). Node's
// WebCrypto is much slower per call than Chromium's, so the Node table's "webcrypto" column says little
// about the web app: this one does.
//   npm run bench:mls-browser [-- --quick] [-- --reps N]
// Prints a table, writes bench/results/mls-browser.json, the "MLS in Chromium" section of bench/RESULTS.md and
// its summary keys (--quick: bench/results/mls-browser-quick.json only). Needs `npx tsc -b` first.
import { createServer } from "node:http"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { extname, join, normalize } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "vite"
import { launchChromium } from "../lib/chromium.mjs"
import { machine, table, updateSummary, writeJson, writeSection } from "../lib/results.mjs"
import { cell, fmt, stats } from "./format.mjs"
import { inSecretTree, inTreeHash, inclusiveShare, sampleStacks, summarizeStacks } from "./profile.mjs"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const repsArg = args.indexOf("--reps")
const reps = repsArg >= 0 ? Number(args[repsArg + 1]) : quick ? 1 : 5
const counts = quick
  ? { keyPackages: 30, members: 50, updates: 3, messages: 100 }
  : { keyPackages: 100, members: 198, updates: 5, messages: 1000 }
const size = counts.members + 2
const profileRounds = quick ? 3 : 10
const names = ["default", "webcrypto"]
const started = Date.now()

const here = fileURLToPath(new URL(".", import.meta.url))
const out = mkdtempSync(join(tmpdir(), "bc-mls-browser-"))
await build({
  configFile: false,
  // "error": the build's only warnings are about @hpke's and mlkem's Node fallback, which browsers never reach.
  logLevel: "error",
  root: here,
  base: "/",
  build: {
    outDir: out,
    emptyOutDir: true,
    // One output file per source module, unminified, so that the profile's frames still name their package
    // and function (V8 runs minified and unminified code alike).
    minify: false,
    rollupOptions: { input: join(here, "browser.html"), output: { preserveModules: true } },
  },
})

// Served from 127.0.0.1, a secure context (WebCrypto's subtle is only there in secure contexts).
const types = { ".html": "text/html", ".js": "text/javascript" }
const server = createServer((req, res) => {
  const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname
  const path = normalize(pathname === "/" ? "/browser.html" : pathname)
  let body
  try {
    body = readFileSync(join(out, path))
  } catch {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" })
  res.end(body)
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const browser = await launchChromium()
const chromiumVersion = browser.version()
const samples = Object.fromEntries(names.map((n) => [n, {}]))
const callSamples = {}
let receiverProfile
let profiledMs
try {
  const page = await browser.newPage()
  const pageErrors = []
  page.on("pageerror", (err) => pageErrors.push(err.message))
  await page.goto(`http://127.0.0.1:${server.address().port}/`)
  await page.waitForFunction(() => globalThis.mlsBench?.ready === true)
  const run = (name, c) => page.evaluate(({ name, c }) => globalThis.mlsBench.run(name, c), { name, c })
  // Warm-up (JIT, lazy imports), not recorded.
  for (const name of names) await run(name, { keyPackages: 3, members: 4, updates: 1, messages: 10 })
  for (let rep = 0; rep < reps; rep++) {
    for (const name of rep % 2 === 0 ? names : [...names].reverse()) {
      const t = Date.now()
      const result = await run(name, counts)
      for (const [metric, value] of Object.entries(result)) (samples[name][metric] ??= []).push(value)
      process.stdout.write(`rep ${rep + 1}/${reps} ${name}: ${((Date.now() - t) / 1000).toFixed(1)} s\n`)
    }
  }
  for (let rep = 0; rep < 3; rep++) {
    const costs = await page.evaluate((n) => globalThis.mlsBench.callCosts(n), quick ? 200 : 2000)
    for (const [metric, value] of Object.entries(costs)) (callSamples[metric] ??= []).push(value)
  }
  // Where our provider's receiver spends the page's main thread: V8's sampling profiler over the DevTools
  // protocol, around update commits made in advance.
  await page.evaluate(([m, r]) => globalThis.mlsBench.prepareReceiver(m, r), [counts.members, profileRounds])
  const cdp = await page.context().newCDPSession(page)
  await cdp.send("Profiler.enable")
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 })
  await cdp.send("Profiler.start")
  profiledMs = await page.evaluate(() => globalThis.mlsBench.receive())
  const { profile } = await cdp.send("Profiler.stop")
  await cdp.detach()
  const stacks = sampleStacks(profile)
  receiverProfile = {
    categories: summarizeStacks(stacks, "chromium"),
    inSecretTree: inclusiveShare(stacks, inSecretTree),
    inTreeHash: inclusiveShare(stacks, inTreeHash),
  }
  if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join("; ")}`)
} finally {
  await browser.close().catch(() => {})
  server.close()
  rmSync(out, { recursive: true, force: true })
}

const results = Object.fromEntries(
  names.map((n) => [n, Object.fromEntries(Object.entries(samples[n]).map(([k, v]) => [k, stats(v)]))]),
)
const labels = [
  ["key_packages_per_s", "key packages / s", "rate"],
  [`add_${counts.members}_adder_ms`, `add ${counts.members} → group of ${size}: adder ms`, "ms"],
  [`add_${counts.members}_member_ms`, `add ${counts.members} → group of ${size}: existing member ms`, "ms"],
  [`add_${counts.members}_joiner_ms`, `add ${counts.members} → group of ${size}: joiner joinGroup ms`, "ms"],
  ["update_sender_ms", `update commit in ${size}: sender ms`, "ms"],
  ["update_receiver_ms", `update commit in ${size}: receiver ms`, "ms"],
  ["group10_encrypt_per_s", "group of 10, 200-B msgs: encrypt / s", "rate"],
  ["group10_decrypt_per_s", "group of 10, 200-B msgs: decrypt / s", "rate"],
  ["group10_both_per_s", "group of 10, 200-B msgs: encrypt + decrypt / s", "rate"],
]
const rows = labels.map(([metric, label, kind]) => {
  const d = results.default[metric].median
  const w = results.webcrypto[metric].median
  return [
    label,
    cell(results.default[metric], kind),
    cell(results.webcrypto[metric], kind),
    `${(kind === "rate" ? w / d : d / w).toFixed(1)}×`,
  ]
})
const { md, text } = table(
  ["metric (suite 1), in Chromium", "ts-mls default", "webcrypto provider", "vs default"],
  rows,
)
process.stdout.write(`\n${text}\n\n`)
const calls = Object.fromEntries(Object.entries(callSamples).map(([k, v]) => [k, stats(v)]))
const us = (metric) => calls[metric].median.toFixed(1)
process.stdout.write(
  `per call (µs, 40-byte input): WebCrypto HMAC with key import ${us("webcrypto_hmac_us")}, digest ${us("webcrypto_digest_us")}; ` +
    `@noble/hashes HMAC ${us("noble_hmac_us")}, digest ${us("noble_digest_us")}\n`,
)

const pct = (share) => `${(share * 100).toFixed(0)} %`
const profileTable = table(
  ["where our provider's receiver spends the page's main thread", "share of samples"],
  receiverProfile.categories.map((p) => [p.category, pct(p.share)]),
)
process.stdout.write(
  `${profileTable.text}\ninside the secret tree's derivation: ${pct(receiverProfile.inSecretTree)}, ` +
    `inside tree hashing: ${pct(receiverProfile.inTreeHash)} (${fmt(profiledMs)} ms per commit while profiled)\n`,
)
const nobleShare =
  receiverProfile.categories.find((p) => p.category.includes("@noble/hashes"))?.share ?? Number.NaN

const command = `node bench/mls/browser.mjs${args.length > 0 ? ` ${args.join(" ")}` : ""}`
const m = machine()
const jsonPath = writeJson(quick ? "mls-browser-quick" : "mls-browser", {
  command,
  chromium: chromiumVersion,
  reps,
  counts,
  results,
  calls,
  receiverProfile: { rounds: profileRounds, msPerCommit: profiledMs, ...receiverProfile },
})
if (!quick) {
  const receive = results.webcrypto.update_receiver_ms.median
  const both = results.webcrypto.group10_both_per_s.median
  writeSection(
    "MLS in Chromium",
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Chromium ${chromiumVersion} (Debian, headless), Node ${m.node} for the harness. Date: ${new Date().toISOString()}.
Command: \`npx tsc -b && ${command}\` (${reps} repetitions in one page, providers alternated, order reversed every
other repetition; median with the range in brackets). The scenarios of the MLS section above (\`scenario.mjs\`,
bundled with vite) run on the page's main thread with ts-mls' default provider and \`createWebCryptoProvider()\`,
the provider the web app's worker uses; joiners' key packages are made before timing. Raw data:
\`bench/results/mls-browser.json\`.

${md}

The receiver of an update commit in a group of ${size} takes ${fmt(receive)} ms in Chromium with our provider
(goal ≤ 20 ms), and a group of 10 encrypts and decrypts ${fmt(both)} messages per second (goal ≥ 3,000).
In Chromium our provider is ${results.default.update_receiver_ms.median / receive < 1.15 ? "about as fast as" : "only somewhat faster than"} ts-mls' default one (${rows[5][3]} for the receiver): the default provider
already runs on WebCrypto there, and re-importing an Ed25519 key, the cost our key caches remove, is cheap in
Chromium. Measured in the same page, one awaited call at a time on 40-byte inputs: WebCrypto takes
${us("webcrypto_hmac_us")} µs for an HMAC with its key import and ${us("webcrypto_digest_us")} µs for a SHA-256 digest, @noble/hashes ${us("noble_hmac_us")} µs and
${us("noble_digest_us")} µs; a commit in a group of 200 issues about 1,200 such calls. Our provider sends inputs up to 4 KiB to
@noble/hashes; in Node, where WebCrypto costs tens of µs per call (a thread-pool round trip), that is most of its
gain, and in Chromium it gains little.

Profile of our provider's receiver in the page (${profileRounds} update commits in the group of ${size}, made in advance;
${fmt(profiledMs)} ms per commit while profiled; V8's sampling profiler over the DevTools protocol, the page's main
thread, each sample in the innermost matching category as in the Node profile; for it the page is built with one
unminified file per source module):

${profileTable.md}

Reading: ${pct(nobleShare)} of the receiver's time on the page's thread is SHA-256 and HMAC computed in JavaScript by
@noble/hashes for the small inputs our provider keeps off WebCrypto, and ${pct(receiverProfile.inSecretTree)} of it is spent inside ts-mls'
derivation of the secret tree and ${pct(receiverProfile.inTreeHash)} inside its tree hashing (those two include their share of the
hashing): ts-mls 1.6.4 re-derives every node of the secret tree and re-hashes the whole ratchet tree at each
epoch. Sending those calls to WebCrypto instead would not shorten them: one awaited WebCrypto HMAC with its key
import costs ${us("webcrypto_hmac_us")} µs here against ${us("noble_hmac_us")} µs for @noble/hashes (above). What costs is their number, which grows with the group and which only ts-mls can
lower (2.0's lazy secret tree halves the Node receiver, MLS section above).`,
  )
  updateSummary({
    mls_browser_commit_receive_200_ms: fmt(receive),
    mls_browser_default_commit_receive_200_ms: fmt(results.default.update_receiver_ms.median),
    mls_browser_msgs_per_s_group10: Math.round(both),
  })
}
process.stdout.write(
  `wrote ${jsonPath}${quick ? "" : " and bench/RESULTS.md"} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
)
