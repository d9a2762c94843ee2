// The open-loop load generator: one process, pinned by run.mjs to its own core, driving one server
// (ours over WebSocket, or Prosody over XMPP). Messages go out on a fixed schedule whatever the server
// does; latency is receipt time minus the message's *scheduled* send time (so generator lag counts
// against the server, never for it). Every phase counts lost, duplicated and out-of-order messages.
//   node generator.mjs '<options JSON>'   (see run.mjs); prints one JSON result line on stdout
import { readFileSync } from "node:fs"
import os from "node:os"
import { performance } from "node:perf_hooks"
import Database from "better-sqlite3"
import { MUC_HOST, OursClient, XmppClient } from "./clients.mjs"
import { OFFLINE, OFFLINE_BASE, ONLINE, RAMP_BASE, fanoutGroups, offlineGroups, pairs } from "./layout.mjs"
import { buildMessage, readStamp } from "./payload.mjs"
import { DeliveryTracker, percentile } from "./tracker.mjs"

const opts = JSON.parse(process.argv[2])
const ours = opts.system === "ours"
const seed = ours ? JSON.parse(readFileSync(opts.seedFile, "utf8")) : undefined
const now = () => performance.now()
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const log = (msg) => process.stderr.write(`[${opts.system}] ${msg}\n`)

// --- the server process, observed through /proc --------------------------------------------------
function serverCpuTicks() {
  const stat = readFileSync(`/proc/${opts.serverPid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return Number(fields[11]) + Number(fields[12]) // utime + stime, 1/100 s
}
function serverRssKiB() {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${opts.serverPid}/status`, "utf8"))
  return m === null ? Number.NaN : Number(m[1])
}

// --- clients ----------------------------------------------------------------------------------------
const clients = new Map()
/**
 * Each run takes its own block of loopback source addresses (TIME_WAIT sockets of earlier runs stay on
 * theirs), and at most 1,000 clients share an address. The client binds its source address before
 * connecting, so the kernel picks a free port by searching that address's bound ports: with 15,000 per
 * address that search cost the generator most of its CPU and capped the ramp at a few hundred connects
 * per second, while the server sat idle.
 */
const localAddress = (idx) => `127.0.${opts.addrBlock}.${1 + Math.floor(idx / 1000)}`
function client(idx) {
  let c = clients.get(idx)
  if (c === undefined) {
    c = ours
      ? new OursClient(opts.wsUrl, seed.devices[idx], localAddress(idx))
      : new XmppClient(opts.port, `u${idx}`, "bench-password", localAddress(idx))
    c.onMessage = (encoded) => onMessage(idx, encoded)
    c.onError = () => {
      errors++
    }
    clients.set(idx, c)
  }
  return c
}
let errors = 0

async function connectAll(indices, concurrency) {
  let next = 0
  let failed = 0
  const worker = async () => {
    while (next < indices.length) {
      const idx = indices[next++]
      try {
        await client(idx).connect()
      } catch (err) {
        failed++
        if (failed <= 3) log(`connect ${idx} failed: ${err.message}`)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return failed
}
const range = (from, n) => Array.from({ length: n }, (_, i) => from + i)

const ackTimer = setInterval(() => {
  for (const c of clients.values()) c.flushAck()
}, 50)

// --- receipts ---------------------------------------------------------------------------------------
let step = 0
let tracker = new DeliveryTracker()
let late = 0
let echoes = 0
function onMessage(receiver, encoded) {
  const stamp = readStamp(encoded, ours ? "base64url" : "base64")
  if (stamp.step !== step) {
    late++
    return
  }
  // A MUC room reflects every groupchat message to its sender too: a check that the sender is an
  // occupant, never a delivery. (Our server does not echo; 1:1 never does.)
  if (stamp.sender === receiver) {
    echoes++
    return
  }
  tracker.receive(`${stamp.sender}>${receiver}`, stamp.seq, now() - stamp.scheduledMs)
}

// --- open-loop phases ---------------------------------------------------------------------------------
/**
 * senders: [{idx, target, gid (Buffer|null), recipients: [idx]}]; message k goes from senders[k mod n].
 */
async function openLoop(rate, durationMs, senders) {
  step++
  tracker = new DeliveryTracker()
  late = 0
  echoes = 0
  const total = Math.round((rate * durationMs) / 1000)
  const acks = { ok: 0, failed: 0, codes: {}, latencies: [] }
  for (const s of senders) {
    client(s.idx).onAck = (ok, scheduled, code) => {
      if (ok) {
        acks.ok++
        acks.latencies.push(now() - scheduled)
      } else {
        acks.failed++
        acks.codes[code] = (acks.codes[code] ?? 0) + 1
      }
    }
  }
  const cpu0 = serverCpuTicks()
  const gen0 = process.cpuUsage()
  const t0 = now() + 20
  let k = 0
  let maxLag = 0
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((now() - t0) * rate) / 1000) + 1)
      while (k < due) {
        const scheduled = t0 + (k * 1000) / rate
        const s = senders[k % senders.length]
        let seq = 0
        for (const r of s.recipients) seq = tracker.sent(`${s.idx}>${r}`)
        client(s.idx).send(s.target, buildMessage(s.gid, step, s.idx, seq, scheduled), scheduled)
        maxLag = Math.max(maxLag, now() - scheduled)
        k++
      }
      if (k >= total) resolve()
      else setTimeout(tick, 1)
    }
    setTimeout(tick, 20)
  })
  const sentAt = now()
  const elapsed = (sentAt - t0) / 1000
  const cpu1 = serverCpuTicks()
  const gen1 = process.cpuUsage(gen0)
  const expected = tracker.sentTotal
  while (tracker.received < expected && now() - sentAt < opts.drainMs) await sleep(10)
  const lat = tracker.latencies
  return {
    rate,
    offered: total,
    deliveriesExpected: expected,
    ...tracker.counts(),
    late,
    echoes,
    p50: round(percentile(lat, 50)),
    p99: round(percentile(lat, 99)),
    max: round(percentile(lat, 100)),
    ackOk: acks.ok,
    ackFailed: acks.failed,
    ackCodes: acks.codes,
    ackP99: acks.latencies.length === 0 ? null : round(percentile(acks.latencies, 99)),
    serverCpu: round(((cpu1 - cpu0) / 100 / elapsed) * 100),
    generatorCpu: round(((gen1.user + gen1.system) / 1e6 / elapsed) * 100),
    generatorMaxLagMs: round(maxLag),
    pass: tracker.received === expected && percentile(lat, 99) <= 100 && tracker.duplicated === 0,
  }
}

function round(x) {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : x
}

async function ladder(name, rates, senders) {
  const steps = []
  let failures = 0
  for (const rate of rates) {
    const r = await openLoop(rate, opts.stepMs, senders)
    steps.push(r)
    log(
      `${name} ${rate}/s: p50 ${r.p50} p99 ${r.p99} ms, lost ${r.lost} dup ${r.duplicated} ooo ${r.outOfOrder}, server cpu ${r.serverCpu}% gen ${r.generatorCpu}%${r.echoes > 0 ? `, echoes ${r.echoes}/${r.offered}` : ""}${r.ackFailed > 0 ? ` ack errors ${JSON.stringify(r.ackCodes)}` : ""}`,
    )
    // Let a backlog clear before the next step.
    await sleep(opts.pauseMs)
    // Beyond saturation: two failing steps in a row after a passing one, or a clear overload.
    failures = r.pass ? 0 : failures + 1
    const passedBefore = steps.some((s) => s.pass)
    if ((passedBefore && failures >= 2) || r.p99 > 1000 || r.received < 0.8 * r.deliveriesExpected) break
  }
  const passing = steps.filter((s) => s.pass).map((s) => s.rate)
  return { steps, maxRate: passing.length === 0 ? 0 : Math.max(...passing) }
}

const gidBytes = (g) => Buffer.from(g.groupId, "base64url")

function oneToOneSenders() {
  if (ours)
    return seed.groups.pair.map((g) => ({
      idx: g.members[0],
      target: g.groupId,
      gid: gidBytes(g),
      recipients: [g.members[1]],
    }))
  return pairs().map(([a, b]) => ({ idx: a, target: `u${b}@localhost`, gid: null, recipients: [b] }))
}

/** Prosody: group g of `size` members is the MUC room fan<size>-<g>; members join it as u<idx>. */
const roomName = (size, g) => `fan${size}-${g}`

function fanoutSenders(size) {
  const groups = ours
    ? seed.groups[`fan${size}`].map((g) => ({ ...g, target: g.groupId, gid: gidBytes(g) }))
    : fanoutGroups(size).map((members, g) => ({
        members,
        target: `${roomName(size, g)}@${MUC_HOST}`,
        gid: null,
      }))
  const out = []
  for (let m = 0; m < size; m++) {
    for (const g of groups) {
      const idx = g.members[m]
      out.push({ idx, target: g.target, gid: g.gid, recipients: g.members.filter((x) => x !== idx) })
    }
  }
  return out
}

/**
 * Prosody: every member joins its room of `size` (rooms are created by their first join and, with
 * muc_room_locking off, open at once). A ping per client afterwards is answered only once Prosody
 * has handled that client's joins. Our server's groups exist from the seed.
 */
async function joinRooms(size) {
  if (ours) return
  const t0 = now()
  const groups = fanoutGroups(size)
  for (const [g, members] of groups.entries())
    for (const idx of members) client(idx).joinRoom(roomName(size, g), `u${idx}`)
  await Promise.all(groups.flat().map((idx) => client(idx).ping()))
  log(`${groups.length} rooms of ${size} joined in ${((now() - t0) / 1000).toFixed(2)} s`)
  await sleep(500)
}

// --- offline store and drain -------------------------------------------------------------------------
async function offline(perReceiver) {
  step++
  tracker = new DeliveryTracker()
  late = 0
  const perSender = Math.max(1, Math.round((perReceiver * OFFLINE) / ONLINE))
  const senders = ours
    ? seed.groups.offline.map((g) => ({
        idx: g.members[0],
        target: g.groupId,
        gid: gidBytes(g),
        to: g.members[1],
      }))
    : offlineGroups().map(([a, b]) => ({ idx: a, target: `u${b}@localhost`, gid: null, to: b }))
  const total = perSender * senders.length
  perReceiver = total / OFFLINE
  let acked = 0
  let failed = 0
  const t0 = now()
  const cpu0 = serverCpuTicks()
  const gen0 = process.cpuUsage()
  let storedAt = 0
  if (ours) {
    // Each sender keeps a window of sends in flight and sends the next on every ack.
    const window = 10
    await new Promise((resolve) => {
      for (const s of senders) {
        let sent = 0
        const c = client(s.idx)
        const next = () => {
          if (sent >= perSender) return
          const seq = tracker.sent(`${s.idx}>${s.to}`)
          sent++
          c.send(s.target, buildMessage(s.gid, step, s.idx, seq, now()), 0)
        }
        c.onAck = (ok) => {
          if (ok) acked++
          else failed++
          if (acked + failed === total) resolve()
          next()
        }
        for (let i = 0; i < window; i++) next()
      }
    })
    storedAt = now()
  } else {
    for (const s of senders) {
      const c = client(s.idx)
      for (let i = 0; i < perSender; i++) {
        const seq = tracker.sent(`${s.idx}>${s.to}`)
        c.send(s.target, buildMessage(null, step, s.idx, seq, now()))
      }
    }
    // Prosody has no per-message acknowledgement; it handles a session's stanzas in order and stores
    // offline messages synchronously, so a ping's answer means all that sender's messages are stored.
    await Promise.all(senders.map((s) => client(s.idx).ping()))
    storedAt = now()
    const db = new Database(opts.prosodyDb, { readonly: true, fileMustExist: true })
    db.pragma("busy_timeout = 10000")
    acked = db.prepare("SELECT COUNT(*) AS n FROM prosodyarchive WHERE store = 'offline'").get().n
    db.close()
  }
  const storeSeconds = (storedAt - t0) / 1000
  // Which side limited the store rate: each process's CPU share over the store phase (100 = one core).
  const storeServerCpu = round((serverCpuTicks() - cpu0) / storeSeconds)
  const genUsage = process.cpuUsage(gen0)
  const storeGeneratorCpu = round((genUsage.user + genUsage.system) / 1e4 / storeSeconds)
  log(
    `offline: stored ${acked}/${total} in ${storeSeconds.toFixed(2)} s (${failed} failed), server cpu ${storeServerCpu}% gen ${storeGeneratorCpu}%`,
  )
  // Everyone reconnects at once.
  const d0 = now()
  const failedConnects = await connectAll(range(OFFLINE_BASE, OFFLINE), OFFLINE)
  const deadline = d0 + Math.max(30000, total / 100)
  while (tracker.received < total && now() < deadline) await sleep(20)
  const drainSeconds = (now() - d0) / 1000
  log(`offline: drained ${tracker.received}/${total} in ${drainSeconds.toFixed(2)} s`)
  return {
    perReceiver,
    total,
    stored: acked,
    storeFailed: failed,
    storeSeconds: round(storeSeconds),
    storeRate: Math.round(acked / storeSeconds),
    storeServerCpu,
    storeGeneratorCpu,
    drainSeconds: round(drainSeconds),
    drainRate: Math.round(tracker.received / drainSeconds),
    failedConnects,
    ...tracker.counts(),
    late,
  }
}

// --- idle connection ramp -------------------------------------------------------------------------------
async function ramp(targets) {
  await sleep(1000)
  const base = serverRssKiB()
  const out = []
  let have = 0
  for (const target of targets) {
    const t0 = now()
    const failed = await connectAll(range(RAMP_BASE + have, target - have), opts.rampConcurrency)
    const seconds = (now() - t0) / 1000
    const connected = target - have - failed
    await sleep(1000)
    const rss = serverRssKiB()
    out.push({
      target,
      failed,
      connectRate: Math.round(connected / seconds),
      rssKiB: rss,
      kibPerConnection: round((rss - base) / target),
    })
    log(
      `ramp ${target}: ${Math.round(connected / seconds)}/s, rss ${Math.round(rss / 1024)} MiB, ${((rss - base) / target).toFixed(1)} KiB/conn, ${failed} failed`,
    )
    have = target
    if (failed > 0) break
  }
  return { baseRssKiB: base, steps: out }
}

// --- the run -----------------------------------------------------------------------------------------
const result = { system: opts.system, loadStart: os.loadavg()[0] }
const c0 = now()
const failedOnline = await connectAll(range(0, ONLINE), 100)
result.onlineConnectSeconds = round((now() - c0) / 1000)
result.failedOnline = failedOnline
log(`${ONLINE} devices connected in ${result.onlineConnectSeconds} s (${failedOnline} failed)`)
await sleep(500)
result.oneToOne = await ladder("1:1", opts.rates, oneToOneSenders())
if (opts.fanout) {
  await joinRooms(10)
  result.fanout10 = await ladder("fan-out 10", opts.fanRates10, fanoutSenders(10))
  await joinRooms(100)
  result.fanout100 = await ladder("fan-out 100", opts.fanRates100, fanoutSenders(100))
}
result.offline = await offline(opts.offlinePerReceiver)
result.ramp = await ramp(opts.rampTargets)
result.errors = errors
result.loadEnd = os.loadavg()[0]
clearInterval(ackTimer)
process.stdout.write(`${JSON.stringify(result)}\n`)
for (const c of clients.values()) c.close()
process.exit(0)
