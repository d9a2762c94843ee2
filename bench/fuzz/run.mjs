#!/usr/bin/env node
// Fuzzing benchmark: ≥ 1,000,000 fast-check inputs against the delivery server — most against the app in
// worker processes (Fastify inject + a loopback WebSocket listener, one worker per core), and a share against
// a real `backchannel serve` process with its default configuration. Records fuzz_inputs, fuzz_crashes,
// fuzz_failures and the server's RSS growth after warm-up.
//   node --expose-gc bench/fuzz/run.mjs [--inputs 1000000] [--process-inputs 50000] [--workers N] [--seed S]
import { spawn } from "node:child_process"
import os from "node:os"
import { fileURLToPath } from "node:url"
import { machine, table, updateSummary, writeJson, writeSection } from "../lib/results.mjs"
import { fuzz, prepareContext, rssGrowth } from "./engine.mjs"
import { inProcessServer, processServer } from "./targets.mjs"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at >= 0 ? Number(args[at + 1]) : fallback
}
const mib = (bytes) => (bytes / 2 ** 20).toFixed(1)

if (args[0] === "--worker") {
  // One in-process share: prints its result as the last line of stdout.
  const inputs = option("inputs", 10_000)
  const seed = option("seed", 1)
  const server = await inProcessServer()
  const ctx = await prepareContext(server.target, server.dataDir, `w${seed % 1000}-`)
  const result = await fuzz(ctx, {
    inputs,
    seed,
    wsUrl: server.wsUrl,
    wsShare: 0.03,
    rawPort: server.port,
    rawShare: 0.01,
    batchSize: 5000,
    concurrency: 32,
    rss: server.rss,
    onBatch: (r) => process.stderr.write(`worker ${seed}: ${r.inputs}/${inputs}\n`),
  })
  await server.close()
  result.serverLog = server.output().slice(0, 4000)
  process.stdout.write(`\n${JSON.stringify(result)}\n`)
  process.exit(0)
}

const total = option("inputs", 1_000_000)
const processInputs = Math.min(total, option("process-inputs", 50_000))
const workers = option("workers", os.cpus().length)
const seed = option("seed", Date.now() % 1_000_000)
const started = Date.now()

// -- the real process -------------------------------------------------------------------------------------
const server = await processServer()
const ctx = await prepareContext(server.target, server.dataDir, "p")
const processResult = await fuzz(ctx, {
  inputs: processInputs,
  seed,
  wsUrl: server.wsUrl,
  wsShare: 0.05,
  rawPort: server.port,
  rawShare: 0.05,
  batchSize: 2000,
  concurrency: 8,
  alive: server.alive,
  rss: server.rss,
  onBatch: (r) => console.log(`process: ${r.inputs}/${processInputs}`),
})
const processAlive = server.alive()
const processLog = server.output()
const exitCode = await server.close()
const processSeconds = (Date.now() - started) / 1000

// -- in-process workers -----------------------------------------------------------------------------------
const rest = total - processInputs
const self = fileURLToPath(import.meta.url)
const workerResults = await Promise.all(
  Array.from({ length: workers }, (_, i) => {
    const share = Math.floor(rest / workers) + (i < rest % workers ? 1 : 0)
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--expose-gc", self, "--worker", "--inputs", String(share), "--seed", String(seed + 1000 * (i + 1))],
        { stdio: ["ignore", "pipe", "inherit"] },
      )
      let out = ""
      child.stdout.setEncoding("utf8").on("data", (c) => (out += c))
      child.once("exit", (code, signal) => {
        const last = out.trim().split("\n").pop()
        try {
          resolve({ ...JSON.parse(last), exit: code ?? signal })
        } catch {
          reject(new Error(`worker ${i} failed (${code ?? signal}):\n${out.slice(-2000)}`))
        }
      })
    })
  }),
)
const seconds = (Date.now() - started) / 1000

const all = [processResult, ...workerResults]
const inputs = all.reduce((n, r) => n + r.inputs, 0)
const crashes = all.reduce((n, r) => n + r.crashes, 0) + (processAlive ? 0 : 1)
const failures = all.flatMap((r) => r.failures)
const growth = rssGrowth(processResult.rssSamples)
const workerGrowth = workerResults.map((r) => rssGrowth(r.rssSamples))
const codes = {}
for (const r of all) for (const [k, v] of Object.entries(r.codes)) codes[k] = (codes[k] ?? 0) + v
const serverErrors = processLog.split("\n").filter((l) => l.includes('"error"')).length

const rows = [
  ["inputs", inputs.toLocaleString("en")],
  ["  HTTP requests", all.reduce((n, r) => n + r.httpInputs, 0).toLocaleString("en")],
  ["  WebSocket sessions", all.reduce((n, r) => n + r.wsInputs, 0).toLocaleString("en")],
  [
    "  raw HTTP requests on a socket (Node's parser)",
    all.reduce((n, r) => n + r.rawInputs, 0).toLocaleString("en"),
  ],
  ["  against the real server process", processResult.inputs.toLocaleString("en")],
  ["crashes (process died or health check failed)", crashes],
  ["property failures (undocumented code, wrong status, INTERNAL, leak, bad close)", failures.length],
  ["error lines in the server process's log", serverErrors],
  [
    "requests the client could not complete (connection closed on oversized bodies)",
    all.reduce((n, r) => n + r.clientErrors, 0),
  ],
  [
    "server process RSS after warm-up → end (MiB)",
    `${mib(growth.warmRss)} → ${mib(growth.endRss)} (max ${mib(growth.maxRss)})`,
  ],
  ["worker RSS growth after warm-up (MiB, after GC)", workerGrowth.map((g) => mib(g.growth)).join(", ")],
  ["groups rebuilt after fuzzed commits moved the epoch", all.reduce((n, r) => n + r.rebuilds, 0)],
  ["run time (s)", seconds.toFixed(0)],
]
const rendered = table(["measure", "value"], rows)
console.log(rendered.text)
const codeRows = Object.entries(codes)
  .sort((a, b) => b[1] - a[1])
  .map(([code, n]) => [code, n.toLocaleString("en")])
const codeTable = table(["answer", "count"], codeRows)
console.log(codeTable.text)
if (failures.length > 0) console.log(JSON.stringify(failures.slice(0, 10), null, 2))

const m = machine()
writeJson("fuzz", {
  seed,
  total,
  processInputs,
  workers,
  processResult,
  workerResults,
  failures: failures.slice(0, 50),
})
writeSection(
  "Fuzzing",
  `Run ${new Date().toISOString().slice(0, 10)} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), Node ${m.node};
\`npm run bench:fuzz\` (= \`node --expose-gc bench/fuzz/run.mjs --inputs ${total} --process-inputs ${processInputs}\`, seed ${seed},
after \`npx tsc -b\`). fast-check 4.10.2 generates every input from the seed (bench/fuzz/engine.mjs): each HTTP
endpoint with valid, truncated, bit-flipped, oversized, retyped and extended bodies, missing/forged/expired/replayed
signatures, odd content types, mutated path parameters and queries; WebSocket sessions with forged or missing
authentication and fuzzed, binary, non-UTF-8 and oversized frames; raw requests on a socket (broken request
lines, odd versions and headers, wrong/duplicate/negative Content-Length, broken chunking, oversized headers,
bad WebSocket handshakes); and MLS messages (application messages,
commits, Welcomes, key packages) truncated, bit-flipped, extended, oversized, from a past epoch, from another
group or of the wrong kind. ${processResult.inputs.toLocaleString("en")} inputs went to a real \`backchannel serve\`
process (durable SQLite, default rate limits), the rest to ${workers} worker processes each running the app on its
own SQLite file (Fastify inject for HTTP, a loopback listener for WebSocket; rate limits raised). Every answer must
carry a code from the protocol's catalogue with its documented status, the catalogue's message, no other fields,
no stack trace or internals, and never INTERNAL; WebSocket closes must use documented codes; the server must
stay up and answer its health check after every batch; RSS is sampled after every batch.

${rendered.md}

${codeTable.md}
`,
)
updateSummary({
  fuzz_inputs: inputs,
  fuzz_crashes: crashes,
  fuzz_failures: failures.length,
  fuzz_server_rss_growth_mib: mib(growth.growth),
})
console.log(`process exit ${exitCode}; ${processSeconds.toFixed(0)} s for the process share`)
if (crashes > 0 || failures.length > 0) process.exitCode = 1
