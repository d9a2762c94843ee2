#!/usr/bin/env node
// The transport floor: what one request/response over `ws` + node:net costs a server core on this
// machine with no storage, no validation and no routing. An echo server (pinned to core 0, the same
// ws version and options as ours) answers each 1.4 KB JSON frame from 1,000 connections with a
// `res`-sized frame; the driver (core 1) sends at a fixed rate. A 1:1 message through our server
// costs two such pairs (send → res, items → ack) plus storage, so this bounds what any server built
// on this stack can reach on one core.
//   npm run bench:ws-floor [-- --reps N] [-- --rate R]
import { fork, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { WebSocket, WebSocketServer } from "ws"
import { machine, table, updateSummary, writeJson, writeSection } from "../lib/results.mjs"

const self = fileURLToPath(import.meta.url)

if (process.argv[2] === "--echo-server") {
  const wss = new WebSocketServer({
    port: 0,
    host: "127.0.0.1",
    perMessageDeflate: false,
    clientTracking: false,
  })
  wss.on("listening", () => process.send({ port: wss.address().port }))
  wss.on("connection", (ws) => {
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString())
      ws.send(
        JSON.stringify({
          t: "res",
          id: frame.id,
          ok: true,
          body: { epoch: "1", recipients: 1, duplicate: false },
        }),
      )
    })
  })
  let start = process.cpuUsage()
  process.on("message", (m) => {
    if (m === "start") {
      start = process.cpuUsage()
      process.send({ started: true })
    } else if (m === "stop") process.send(process.cpuUsage(start))
    else if (m === "exit") process.exit(0)
  })
} else {
  const args = process.argv.slice(2)
  const arg = (name, fallback) => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : fallback
  }
  const reps = arg("--reps", 3)
  const rate = arg("--rate", 6000)
  const seconds = 5
  const connections = 1000
  spawnSync("taskset", ["-pc", "1", String(process.pid)])
  const server = fork(self, ["--echo-server"], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const ask = (m) =>
    new Promise((resolve) => {
      server.once("message", resolve)
      server.send(m)
    })
  const { port } = await new Promise((resolve) => server.once("message", resolve))
  spawnSync("taskset", ["-apc", "0", String(server.pid)])
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
          ws.on("open", () => resolve(ws))
          ws.on("error", reject)
        }),
    ),
  )
  let received = 0
  for (const ws of sockets) ws.on("message", () => received++)
  const message = "A".repeat(1400) // a 1 KiB ciphertext in base64url, as in bench:server
  const groupId = "g".repeat(43)
  const runs = []
  for (let rep = 0; rep < reps; rep++) {
    received = 0
    await ask("start")
    const t0 = performance.now()
    let sent = 0
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - t0
        const due = Math.min(Math.floor((elapsed * rate) / 1000), rate * seconds)
        for (; sent < due; sent++) {
          sockets[sent % connections].send(JSON.stringify({ t: "send", id: sent, groupId, message }))
        }
        if (sent >= rate * seconds) {
          clearInterval(timer)
          resolve()
        }
      }, 1)
    })
    const deadline = performance.now() + 10_000
    while (received < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    const cpu = await ask("stop")
    runs.push({
      sent,
      received,
      userUs: cpu.user / sent,
      systemUs: cpu.system / sent,
      totalUs: (cpu.user + cpu.system) / sent,
    })
    console.log(
      `rep ${rep + 1}: ${sent} pairs, ${received} answered, server ${((cpu.user + cpu.system) / sent).toFixed(1)} µs per pair (system ${(cpu.system / sent).toFixed(1)})`,
    )
  }
  for (const ws of sockets) ws.terminate()
  server.send("exit")

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const range = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`
  const total = median(runs.map((r) => r.totalUs))
  // Two pairs per 1:1 message: the floor on the server's CPU per message, and the rate that one core
  // could not exceed even if storage, validation and routing cost nothing.
  const perMessage = 2 * total
  const ceiling = Math.round(1e6 / perMessage)
  const rows = [
    ["server CPU per request/response pair (µs)", total.toFixed(1), range(runs.map((r) => r.totalUs))],
    [
      "  of which in the kernel (µs)",
      median(runs.map((r) => r.systemUs)).toFixed(1),
      range(runs.map((r) => r.systemUs)),
    ],
    ["floor per 1:1 message: 2 pairs (µs)", perMessage.toFixed(1), ""],
    ["ceiling on one core at 100 % CPU (msg/s)", ceiling, ""],
  ]
  const t = table(["measure", "median", "range"], rows)
  console.log(`\n${t.text}`)
  const m = machine()
  writeJson("ws-floor", { rate, seconds, connections, reps, runs, medianUsPerPair: total, ceiling })
  writeSection(
    "Transport floor (ws + node:net, no storage)",
    `An echo server on the same stack as ours (ws 8.23.0, no compression, pinned to core 0) answers each
1.4 KB JSON frame from ${connections} connections with a \`res\`-sized frame; ${rate} frames/s for ${seconds} s,
${reps} repetitions. A 1:1 message through our server costs two such pairs (send → res, items → ack) plus
storage, so the second-to-last row is the least CPU any server on this stack spends per message, and the
last row the rate one core cannot exceed even if storing, validating and routing were free.

${t.md}

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; ${new Date().toISOString().slice(0, 10)}.
Reproduce: \`npm run bench:ws-floor\`.`,
  )
  updateSummary({ ws_floor_us_per_frame_pair: total.toFixed(1), ws_floor_msgs_per_s_one_core: ceiling })
}
