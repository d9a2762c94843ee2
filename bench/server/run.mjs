#!/usr/bin/env node
// Server load benchmark: our server against Prosody (Debian package), same workloads, same generator.
//   npm run bench:server [-- --quick] [-- --reps N] [-- --only ours|prosody] [-- --rates A,B,…] [-- --cpu-prof]
//     [-- --offline-only]  (diagnostic: only the offline store/drain workload, printed, no files written)
// Each repetition runs both servers, alternating which goes first (A/B, B/A, …). Every run gets a fresh
// data directory; the server is pinned to core 0 and the generator (a separate process) to core 1.
// Prints tables, writes bench/results/server.json and the "Server vs Prosody" section of
// bench/RESULTS.md with its summary keys. Needs `npx tsc -b` first (it runs the built server).
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import Database from "better-sqlite3"
import { machine, table, updateSummary, writeJson, writeSection } from "../lib/results.mjs"
import { RAMP_BASE } from "./layout.mjs"
import { XmppClient } from "./clients.mjs"
import { seedOurs } from "./seed-ours.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const quick = args.includes("--quick")
const cpuProf = args.includes("--cpu-prof")
// Diagnostic only: `--offline-only` runs just the offline store/drain workload (100 × 1,000 for ours even
// with --quick), prints its numbers and writes no result file; for profiling the store path.
const offlineOnly = args.includes("--offline-only")
const argValue = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const reps = Number(argValue("--reps") ?? (quick ? 1 : 3))
const only = argValue("--only")
// Diagnostic only: `--synchronous NORMAL` runs our server without an fsync per commit (not durable
// against power loss), to show how much of its time goes to fsync. Never used for the headline.
const synchronous = argValue("--synchronous") === "NORMAL" ? "NORMAL" : "FULL"
const systems = only === undefined ? ["ours", "prosody"] : [only]
const SERVER_CORE = 0
const GENERATOR_CORE = 1

// The process fd limit caps the idle ramp: this sandbox's hard limit (no CAP_SYS_RESOURCE) is read here.
const fdLimit = Number(spawnSync("bash", ["-c", "ulimit -Hn"], { encoding: "utf8" }).stdout.trim())
const rampMax = Number(argValue("--ramp-max") ?? 100_000)
const rampCap = Math.max(1000, Math.min(rampMax, fdLimit - RAMP_BASE - 500))
const rampTargets = {
  ours: [...new Set((quick ? [2000] : [5000, 10_000, 50_000, 100_000]).map((n) => Math.min(n, rampCap)))],
  prosody: quick ? [500] : [1000],
}
const ladder = [
  100, 250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 15000, 20000, 25000,
  30000,
]
const common = {
  stepMs: quick ? 2000 : 4000,
  drainMs: 3000,
  pauseMs: quick ? 500 : 1500,
  // `--rates 8000,9000,10000` replaces the 1:1 ladder (for short A/B runs).
  rates: offlineOnly
    ? []
    : (argValue("--rates")?.split(",").map(Number) ?? (quick ? [100, 250, 1000, 4000] : ladder)),
  rampConcurrency: 400,
}
// Group fan-out, the same for both: 100 groups of 10 and 10 groups of 100 (layout.mjs), one message to
// 9 or 99 receivers. Ours sends MLS application messages to its groups; Prosody gets one MUC room per
// group (XEP-0045 groupchat, configured in install-prosody.sh).
const fanout = {
  fanout: !offlineOnly,
  // The low rungs (50, 100 and 5, 10) are there for Prosody, which saturates at a few hundred msg/s;
  // the steps are finer where either server has saturated before, so each maximum is closer to the truth.
  fanRates10: quick
    ? [100, 250, 1000]
    : [50, 100, 175, 250, 375, 500, 750, 1000, 1250, 1500, 2000, 3000, 4000, 6000],
  fanRates100: quick ? [10, 25, 100] : [5, 10, 15, 25, 35, 50, 75, 100, 125, 150, 200, 300, 400, 600],
}
const perSystem = {
  ours: { ...fanout, offlinePerReceiver: quick && !offlineOnly ? 100 : 1000 },
  // Prosody stores offline messages one transaction each (tens to hundreds per second here): 10 per
  // receiver keeps the run short; its idle ramp connects a few hundred per second, so it stops at 1,000.
  prosody: { ...fanout, offlinePerReceiver: 10 },
}

function raiseLimit(command) {
  return ["bash", ["-c", `ulimit -n ${fdLimit} && exec ${command}`]]
}

// The machine is shared (other jobs keep both cores busy): both servers and the generator run at
// nice -10 so that they, not the background load, get their cores; the same for both servers.
const NICE = -10

function spawnPinned(core, command, { stdio = ["ignore", "pipe", "inherit"] } = {}) {
  const [file, argv] = raiseLimit(`nice -n ${NICE} taskset -c ${core} ${command}`)
  return spawn(file, argv, { stdio })
}

function firstLine(child) {
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error("no output from the server in 120 s")), 120_000).unref()
    let buf = ""
    child.stdout.on("data", (d) => {
      buf += d
      const nl = buf.indexOf("\n")
      if (nl >= 0) resolve(buf.slice(0, nl))
    })
    child.on("exit", (code) => reject(new Error(`exited ${code} before output`)))
  })
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    const t = setTimeout(() => child.kill("SIGKILL"), 15000)
    child.on("exit", () => {
      clearTimeout(t)
      resolve()
    })
    child.kill("SIGTERM")
  })
}

const q = (s) => `'${s.replace(/'/g, "'\\''")}'`

async function runGenerator(options) {
  const gen = spawnPinned(
    GENERATOR_CORE,
    `node --max-old-space-size=8192 ${q(join(here, "generator.mjs"))} ${q(JSON.stringify(options))}`,
  )
  let out = ""
  gen.stdout.on("data", (d) => (out += d))
  const code = await new Promise((r) => gen.on("exit", r))
  if (code !== 0) throw new Error(`generator exited ${code}`)
  return JSON.parse(out.trim().split("\n").pop())
}

async function runOurs(rep, addrBlock) {
  const dir = mkdtempSync(join(tmpdir(), "bc-bench-server-"))
  try {
    const maxRamp = Math.max(...rampTargets.ours)
    console.log(`seeding ${RAMP_BASE + maxRamp} devices`)
    const seed = await seedOurs(join(dir, "data"), RAMP_BASE + maxRamp)
    console.log("seeded; starting the server")
    const seedFile = join(dir, "seed.json")
    writeFileSync(seedFile, JSON.stringify(seed))
    const prof = cpuProf ? `--cpu-prof --cpu-prof-dir=${q(join(here, "..", "results", "profiles"))} ` : ""
    const server = spawnPinned(
      SERVER_CORE,
      `node ${prof}${q(join(here, "server-proc.mjs"))} ${q(join(dir, "data"))} ${synchronous}`,
    )
    const { url } = JSON.parse(await firstLine(server))
    try {
      return await runGenerator({
        system: "ours",
        wsUrl: `${url.replace(/^http/, "ws")}/v1/ws`,
        seedFile,
        serverPid: server.pid,
        addrBlock,
        ...common,
        ...perSystem.ours,
        rampTargets: offlineOnly ? [] : rampTargets.ours,
      })
    } finally {
      await stop(server)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function waitFor(check, ms, what) {
  const t0 = Date.now()
  let last
  for (;;) {
    try {
      if (check()) return
    } catch (err) {
      last = err // not yet
    }
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what} (${String(last)})`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function runProsody(rep, addrBlock) {
  const dir = mkdtempSync(join(tmpdir(), "bc-bench-prosody-"))
  const port = 15222 + (rep % 50) * 3
  const server = spawnPinned(
    SERVER_CORE,
    `bash ${q(join(here, "install-prosody.sh"))} run ${q(dir)} ${port} ${SERVER_CORE}`,
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  )
  try {
    const dbPath = join(dir, "data", "prosody.sqlite")
    // mod_storage_sql creates its tables when storage is first used: a failed login triggers it.
    // Then the accounts are seeded straight into its table (internal_plain stores the password).
    for (let i = 0; i < 100 && !existsSync(dbPath); i++) {
      const probe = new XmppClient(port, "nobody", "x")
      await probe.connect().catch(() => undefined)
      probe.close()
      await new Promise((r) => setTimeout(r, 200))
    }
    await waitFor(
      () => {
        if (!existsSync(dbPath)) return false
        const db = new Database(dbPath, { readonly: true })
        try {
          db.prepare("SELECT COUNT(*) FROM prosody").get()
          db.prepare("SELECT COUNT(*) FROM prosodyarchive").get()
          return true
        } finally {
          db.close()
        }
      },
      20000,
      "Prosody's SQL tables",
    )
    const db = new Database(dbPath)
    db.pragma("busy_timeout = 5000")
    const insert = db.prepare(
      "INSERT INTO prosody (host, user, store, key, type, value) VALUES ('localhost', ?, 'accounts', 'password', 'string', 'bench-password')",
    )
    const users = RAMP_BASE + Math.max(...rampTargets.prosody)
    db.transaction(() => {
      for (let i = 0; i < users; i++) insert.run(`u${i}`)
    })()
    db.close()
    return await runGenerator({
      system: "prosody",
      port,
      prosodyDb: dbPath,
      serverPid: server.pid,
      addrBlock,
      ...common,
      ...perSystem.prosody,
      rampTargets: offlineOnly ? [] : rampTargets.prosody,
    })
  } finally {
    await stop(server)
    rmSync(dir, { recursive: true, force: true })
  }
}

// --- run (or, with --report FILE, re-render the tables of an earlier run's JSON) -------------------------
const reportFile = argValue("--report")
let runs = { ours: [], prosody: [] }
let prosodyVersion
let minutes
let runReps = reps
let reportQuick = quick
let runDate = new Date().toISOString().slice(0, 10)
let runFdLimit = fdLimit
let runMachine
if (reportFile !== undefined) {
  const saved = JSON.parse(readFileSync(reportFile, "utf8"))
  runs = saved.runs
  prosodyVersion = saved.prosodyVersion
  minutes = saved.minutes
  runReps = saved.reps
  reportQuick = saved.quick
  runDate = String(saved.date).slice(0, 10)
  runFdLimit = saved.fdLimit ?? fdLimit
  runMachine = saved.machine
  systems.splice(0, systems.length, ...Object.keys(runs).filter((k) => runs[k].length > 0))
  for (const system of systems) {
    rampTargets[system] = [...new Set(runs[system][0].ramp.steps.map((st) => st.target))]
  }
} else {
  if (systems.includes("prosody")) {
    const r = spawnSync("bash", [join(here, "install-prosody.sh"), "install"], { stdio: "inherit" })
    if (r.status !== 0) throw new Error("installing Prosody failed")
    prosodyVersion = spawnSync("dpkg-query", ["-W", "-f=${Version}", "prosody"], { encoding: "utf8" }).stdout
  }
  const started = Date.now()
  // A random first block, so that a run started right after another does not meet its TIME_WAIT sockets.
  const firstBlock = Math.floor(Math.random() * 200)
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? systems : [...systems].reverse()
    for (const [i, system] of order.entries()) {
      const addrBlock = 10 + ((firstBlock + rep * 2 + i) % 200)
      console.log(`rep ${rep + 1}/${reps}: ${system}`)
      const r = system === "ours" ? await runOurs(rep, addrBlock) : await runProsody(rep, addrBlock)
      runs[system].push(r)
      if (offlineOnly) {
        console.log(`${system} offline: ${JSON.stringify(r.offline)}`)
        continue
      }
      // Saved after every run, so an interrupted run can still be rendered with --report.
      writeJson(`server${quick ? "-quick" : ""}${synchronous === "NORMAL" ? "-sync-normal" : ""}`, {
        synchronous,
        quick,
        reps: rep + 1,
        minutes: ((Date.now() - started) / 60000).toFixed(1),
        prosodyVersion,
        fdLimit,
        runs,
      })
    }
  }
  minutes = ((Date.now() - started) / 60000).toFixed(1)
  if (offlineOnly) process.exit(0)
}

// --- aggregate ---------------------------------------------------------------------------------------------
const med = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const rng = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x))
  if (s.length === 0) return "–"
  const lo = Math.min(...s)
  const hi = Math.max(...s)
  return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`
}
const fmt = (x) =>
  Number.isFinite(x) ? (Math.abs(x) >= 100 ? String(Math.round(x)) : String(Math.round(x * 10) / 10)) : "–"
const cell = (xs) => `${fmt(med(xs))} (${rng(xs)})`
const sum = (rs, f) => rs.reduce((a, r) => a + f(r), 0)

function ladderRows(name, key) {
  const rows = []
  const rates = new Set()
  for (const system of systems)
    for (const r of runs[system]) for (const s of r[key]?.steps ?? []) rates.add(s.rate)
  for (const rate of [...rates].sort((a, b) => a - b)) {
    for (const system of systems) {
      const steps = runs[system].map((r) => r[key]?.steps.find((s) => s.rate === rate)).filter(Boolean)
      if (steps.length === 0) continue
      rows.push([
        name,
        system,
        rate,
        `${steps.length}/${runs[system].length}`,
        cell(steps.map((s) => s.p50)),
        cell(steps.map((s) => s.p99)),
        cell(steps.map((s) => s.serverCpu)),
        cell(steps.map((s) => s.generatorCpu)),
        cell(steps.map((s) => (s.serverCpu * 10000) / rate)),
        sum(steps, (s) => s.lost),
        sum(steps, (s) => s.duplicated),
        sum(steps, (s) => s.outOfOrder),
        sum(steps, (s) => s.ackFailed),
        `${steps.filter((s) => s.pass).length}/${steps.length}`,
      ])
    }
  }
  return rows
}

const ladderHeader = [
  "workload",
  "server",
  "msg/s offered",
  "runs",
  "p50 ms",
  "p99 ms",
  "server CPU %",
  "generator CPU %",
  "server CPU µs/msg",
  "lost",
  "dup",
  "out-of-order",
  "send errors",
  "p99 ≤ 100 ms & none lost",
]
const ladderTable = table(ladderHeader, [
  ...ladderRows("1:1, 1,000 devices", "oneToOne"),
  ...ladderRows("fan-out 10", "fanout10"),
  ...ladderRows("fan-out 100", "fanout100"),
])
const maxOf = (system, key) => runs[system].map((r) => r[key]?.maxRate).filter((x) => x !== undefined)
// A second, looser criterion for a machine whose background load adds scheduling spikes to every p99:
// the highest step whose messages were all delivered (none still queued after the drain) with p50 ≤ 100 ms.
const sustainedOf = (system, key) =>
  runs[system]
    .map((r) => r[key])
    .filter((l) => l !== undefined)
    .map((l) => {
      const ok = l.steps.filter((st) => st.lost === 0 && st.p50 <= 100).map((st) => st.rate)
      return ok.length === 0 ? 0 : Math.max(...ok)
    })
// ΔRSS over the ramp is noisy (the heap shrinks after the offline phase), so the summary uses the
// conservative figure: the server's whole RSS divided by every session open at that point (the ramp's
// idle devices plus the 1,100 online and reconnected offline devices).
const rssPerSession = (st) => st.rssKiB / (st.target + RAMP_BASE)
const headlineRows = []
for (const system of systems) {
  headlineRows.push([system, "1:1 max msg/s at p99 ≤ 100 ms", cell(maxOf(system, "oneToOne"))])
  headlineRows.push([
    system,
    "1:1 max msg/s, all delivered, p50 ≤ 100 ms",
    cell(sustainedOf(system, "oneToOne")),
  ])
  if (runs[system][0]?.fanout10 !== undefined) {
    headlineRows.push([system, "fan-out 10: max msg/s (deliveries ×9)", cell(maxOf(system, "fanout10"))])
    headlineRows.push([system, "fan-out 100: max msg/s (deliveries ×99)", cell(maxOf(system, "fanout100"))])
  }
  const off = runs[system].map((r) => r.offline)
  headlineRows.push([
    system,
    `offline store msg/s (100 × ${off[0].perReceiver})`,
    cell(off.map((o) => o.storeRate)),
  ])
  if (off[0].storeServerCpu !== undefined) {
    headlineRows.push([
      system,
      "offline store: server / generator CPU %",
      `${cell(off.map((o) => o.storeServerCpu))} / ${cell(off.map((o) => o.storeGeneratorCpu))}`,
    ])
  }
  headlineRows.push([system, "offline drain msg/s (100 reconnect)", cell(off.map((o) => o.drainRate))])
  headlineRows.push([
    system,
    "offline lost / dup / out-of-order",
    `${sum(off, (o) => o.lost)} / ${sum(off, (o) => o.duplicated)} / ${sum(off, (o) => o.outOfOrder)}`,
  ])
  const last = runs[system].map((r) => r.ramp.steps[r.ramp.steps.length - 1])
  for (const target of rampTargets[system]) {
    const st = runs[system].map((r) => r.ramp.steps.find((s) => s.target === target)).filter(Boolean)
    headlineRows.push([system, `ramp ${target} idle: connects/s`, cell(st.map((s) => s.connectRate))])
    headlineRows.push([
      system,
      `ramp ${target} idle: ΔRSS KiB/connection`,
      cell(st.map((s) => s.kibPerConnection)),
    ])
    headlineRows.push([
      system,
      `ramp ${target} idle: whole RSS KiB / open session (upper bound)`,
      cell(st.map((s) => rssPerSession(s))),
    ])
    headlineRows.push([system, `ramp ${target} idle: server RSS MiB`, cell(st.map((s) => s.rssKiB / 1024))])
  }
  headlineRows.push([system, "ramp failed connects", String(sum(last, (s) => s.failed))])
}
const headline = table(["server", "measure", "median (range)"], headlineRows)
console.log(`\n${ladderTable.text}\n\n${headline.text}\n`)

// --- results -----------------------------------------------------------------------------------------------
// A re-render names the machine the run was made on, not the one rendering it.
const m = runMachine ?? machine()
if (reportFile === undefined) {
  const jsonPath = writeJson(
    `server${quick ? "-quick" : ""}${synchronous === "NORMAL" ? "-sync-normal" : ""}`,
    {
      synchronous,
      quick,
      reps,
      minutes,
      prosodyVersion,
      fdLimit,
      runs,
    },
  )
  console.log(`wrote ${jsonPath}`)
}
const loads = systems.flatMap((system) => runs[system].flatMap((r) => [r.loadStart, r.loadEnd]))
if (!reportQuick && systems.length === 2 && synchronous === "FULL") {
  const oursRampTop = Math.max(...rampTargets.ours)
  const oursMax = med(maxOf("ours", "oneToOne"))
  const prosodyMax = med(maxOf("prosody", "oneToOne"))
  const kib = med(runs.ours.map((r) => rssPerSession(r.ramp.steps[r.ramp.steps.length - 1])))
  updateSummary({
    server_max_rate_p99_100ms: oursMax,
    prosody_max_rate_p99_100ms: prosodyMax,
    server_vs_prosody_ratio:
      prosodyMax > 0 ? (oursMax / prosodyMax).toFixed(1) : "n/a (Prosody met p99 <= 100 ms at no step)",
    server_max_rate_sustained_p50_100ms: med(sustainedOf("ours", "oneToOne")),
    prosody_max_rate_sustained_p50_100ms: med(sustainedOf("prosody", "oneToOne")),
    server_vs_prosody_sustained_ratio: (
      med(sustainedOf("ours", "oneToOne")) / med(sustainedOf("prosody", "oneToOne"))
    ).toFixed(1),
    offline_store_msgs_per_s: med(runs.ours.map((r) => r.offline.storeRate)),
    offline_drain_msgs_per_s: med(runs.ours.map((r) => r.offline.drainRate)),
    prosody_offline_store_msgs_per_s: med(runs.prosody.map((r) => r.offline.storeRate)),
    idle_kib_per_connection: kib.toFixed(1),
    idle_devices_per_gib: Math.round((1024 * 1024) / kib),
    server_fanout10_max_msgs_per_s: med(maxOf("ours", "fanout10")),
    server_fanout100_max_msgs_per_s: med(maxOf("ours", "fanout100")),
    prosody_fanout10_max_msgs_per_s: med(maxOf("prosody", "fanout10")),
    prosody_fanout100_max_msgs_per_s: med(maxOf("prosody", "fanout100")),
  })
  writeSection(
    "Server vs Prosody",
    `Run ${runDate} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), Node ${m.node},
Prosody ${prosodyVersion} (Debian, SQLite storage, mod_limits off, PLAIN auth, no TLS); ${runReps} repetitions,
A/B alternated, ${minutes} min. \`npx tsc -b && npm run bench:server\` (\`bench/server/run.mjs\`).
Server pinned to core ${SERVER_CORE}, generator (one separate Node process) to core ${GENERATOR_CORE}. Open loop:
messages leave on a fixed schedule; latency = receipt − scheduled send time. Our server: SQLite WAL with
group commit; SQLite at synchronous=NORMAL and the WAL fdatasync'd on the thread pool after each commit,
before any caller is answered (as durable as FULL, without blocking the event loop); every message is
durably queued before delivery and acknowledged by the receiver. 1 KiB ciphertext (MLS PrivateMessage framing; base64 in an XMPP <body> for Prosody). Medians over
repetitions with ranges in parentheses; lost/dup/out-of-order are sums over all repetitions.
Fan-out 10 / 100: 100 groups of 10 and 10 groups of 100 devices, every member sending in turn, each
message delivered to the 9 / 99 others; for Prosody each group is a Multi-User Chat room (XEP-0045,
mod_muc at conference.localhost, room locking off, joined with no history replay; the room's echo of
a message to its own sender is not counted), for ours an MLS group. Lost/dup/out-of-order per receiver.
The idle ramp went to ${oursRampTop} connections (ours) and ${Math.max(...rampTargets.prosody)} (Prosody)${
      oursRampTop < 100_000
        ? `: this sandbox's
hard fd limit is ${runFdLimit} per process (no CAP_SYS_RESOURCE), so ${oursRampTop + RAMP_BASE > 50_000 ? "100,000" : "50,000 and 100,000"} in one process cannot run
here${oursRampTop < runFdLimit - RAMP_BASE - 500 ? ", and the ramp was shortened further (`--ramp-max`)" : ""}`
        : ""
    }. Ramp clients bind one of a
run's own loopback source addresses, at most 1,000 per address, so the kernel's search for a free source port stays
cheap. "ΔRSS KiB/connection" is the growth of the server's RSS from before the ramp divided by the connections
at that step; idle_devices_per_gib divides 1 GiB by the conservative figure, the server's whole RSS over every
session open at the last step (the server's baseline included), and extrapolates it linearly.
The machine was shared with other jobs (1-minute load average ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))}
on 2 cores during the runs); servers and generator ran at nice ${NICE}. "server CPU µs/msg" is the
server's CPU time per offered message (a lower bound once it falls behind). Per-run data:
\`bench/results/server.json\`; \`node bench/server/run.mjs --report bench/results/server.json\` re-renders this.

${headline.md}

${ladderTable.md}
`,
  )
  console.log("updated bench/RESULTS.md")
}
