// Crash-safety scenario shared by tests/crash-safety.test.ts (a small run under `npm test`) and
// bench/crash/run.mjs (`npm run bench:crash`, more kills).
//
// A real `backchannel serve` process on a real SQLite file; senders and receivers are real client
// engines (BackchannelClient) over the CLI's SQLite-backed, sealed profiles, in this process. Senders
// write numbered messages into one group and record every message the server acknowledged (sendText
// resolved "sent", or a later outbox flush reported it sent). Meanwhile the server is killed with
// SIGKILL at random moments and restarted on the same data and port. At the end every device syncs,
// the profiles are closed, and each device's messages are read back through the `backchannel messages`
// command — what the application shows — and counted: an acknowledged message missing on a device is
// lost; a message id shown twice on a device is a duplicate.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BackchannelClient } from "@backchannel/core"
import { createInvite } from "@backchannel/server"
import { createProfile } from "../../packages/cli/dist/profile/profile.js"
import { cliBin, serveProcess } from "../lib/serve.mjs"

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts `backchannel serve` on loopback; `ready` resolves once it prints its URL. */
function startServer(dataDir, port) {
  return serveProcess(dataDir, { port })
}

function runCli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c))
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c))
    child.once("error", reject)
    child.once("exit", (code) => {
      if (code === 0) resolve(stdout)
      else reject(new Error(`backchannel ${args[0]} failed (${code}): ${stderr}`))
    })
  })
}

/**
 * @param {import("./scenario.d.mts").CrashOptions} options
 * @returns {Promise<import("./scenario.d.mts").CrashReport>}
 */
export async function runCrashScenario(options = {}) {
  const kills = options.kills ?? 20
  const senderCount = options.senders ?? 3
  const receiverCount = options.receivers ?? 2
  const [minGapMs, maxGapMs] = options.gapMs ?? [300, 2000]
  const paceMs = options.paceMs ?? 5
  const log = options.log ?? (() => undefined)
  const root = mkdtempSync(join(tmpdir(), "bc-crash-"))
  const dataDir = join(root, "server")
  const started = Date.now()
  let server = startServer(dataDir, 0)
  const url = await server.ready
  const port = Number(new URL(url).port)
  const devices = []
  const state = { stop: false }
  try {
    // -- people: senders and receivers, each a real client over a sealed SQLite profile --------------
    const handles = [
      ...Array.from({ length: senderCount }, (_, i) => `sender${i}`),
      ...Array.from({ length: receiverCount }, (_, i) => `receiver${i}`),
    ]
    for (const handle of handles) {
      const dir = join(root, handle)
      const keyFile = join(root, `${handle}.key`)
      const profile = await createProfile(dir, {
        keyFile,
        askPassphrase: () => Promise.reject(new Error("no")),
      })
      const { invite } = await createInvite(dataDir, { handle, displayName: handle })
      const client = await BackchannelClient.enrol(
        profile.platform,
        { serverUrl: url, invite, deviceName: `${handle} device` },
        { keyPackageTarget: 10 },
      )
      const device = {
        handle,
        dir,
        keyFile,
        profile,
        client,
        sender: handle.startsWith("sender"),
        written: new Set(),
        acked: new Set(),
        refused: [],
        errors: 0,
        pendingReplies: 0,
        subscription: undefined,
      }
      client.events.on("messageStatus", (event) => device.acked.add(event.id))
      devices.push(device)
    }
    const [creator, ...others] = devices
    const group = await creator.client.createGroup(
      "crash room",
      others.map((d) => d.handle),
      { confirmNewPeople: true },
    )
    for (const d of others) await d.client.sync()
    for (const d of devices) {
      if (!d.sender) d.subscription = await d.client.listen()
    }
    log(`setup: ${devices.length} devices, group ready (${Date.now() - started} ms)`)

    // -- load: senders write numbered messages; unacknowledged ones stay in the outbox and are resent --
    const senderLoop = async (d) => {
      let n = 0
      while (!state.stop) {
        n += 1
        try {
          const record = await d.client.sendText({ conversationId: group.id }, `${d.handle} message ${n}`)
          d.written.add(record.id)
          if (record.status === "sent") d.acked.add(record.id)
          else {
            // The server was unreachable or the reply was lost: the message waits in the outbox.
            d.pendingReplies += 1
            await sleep(100)
            await d.client.sync().catch(() => undefined)
          }
        } catch (err) {
          d.errors += 1
          d.refused.push(String(err?.code ?? err?.name ?? err))
          await sleep(100)
        }
        if (paceMs > 0) await sleep(paceMs)
      }
    }
    const loops = devices.filter((d) => d.sender).map((d) => senderLoop(d))

    // -- kills: SIGKILL at random moments, restart on the same data and port ----------------------------
    const downtimes = []
    for (let k = 0; k < kills; k++) {
      await sleep(minGapMs + Math.random() * (maxGapMs - minGapMs))
      server.child.kill("SIGKILL")
      const { signal } = await server.exited
      if (signal !== "SIGKILL") throw new Error(`server exited by itself (${signal}):\n${server.output()}`)
      const down = Date.now()
      for (let attempt = 0; ; attempt++) {
        server = startServer(dataDir, port)
        try {
          await server.ready
          break
        } catch (err) {
          if (attempt >= 5) throw err
          await sleep(100)
        }
      }
      downtimes.push(Date.now() - down)
      if ((k + 1) % 10 === 0) log(`kill ${k + 1}/${kills}`)
    }

    // -- drain: stop writing, send what waits in outboxes, let every device catch up ---------------------
    state.stop = true
    await Promise.all(loops)
    for (let round = 0; round < 20; round++) {
      let pending = 0
      for (const d of devices) {
        await d.client.sync().catch(() => undefined)
        pending += (await d.client.allMessages()).filter((m) => m.status === "pending").length
      }
      if (pending === 0) break
      await sleep(250)
    }
    for (const d of devices) {
      if (d.subscription !== undefined) await d.subscription.close()
      await d.client.sync()
    }
    for (const d of devices) {
      await d.client.close()
      await d.profile.release()
    }

    // -- verify through the application: `backchannel messages --json` on each profile --------------------
    const ackedBy = new Map(devices.map((d) => [d.handle, d.acked]))
    let acked = 0
    for (const d of devices) acked += d.acked.size
    let lost = 0
    let duplicates = 0
    let pendingLeft = 0
    const perDevice = []
    const written = new Set(devices.flatMap((d) => [...d.written]))
    for (const d of devices) {
      const rows = JSON.parse(
        await runCli(["messages", "--profile", d.dir, "--key-file", d.keyFile, "--no-sync", "--json"]),
      )
      const seen = new Map()
      for (const row of rows) seen.set(row.id, (seen.get(row.id) ?? 0) + 1)
      let deviceLost = 0
      let deviceDuplicates = 0
      for (const count of seen.values()) if (count > 1) deviceDuplicates += count - 1
      for (const [handle, ids] of ackedBy) {
        if (handle === d.handle) continue
        for (const id of ids) if (!seen.has(id)) deviceLost += 1
      }
      pendingLeft += rows.filter((r) => r.status === "pending").length
      lost += deviceLost
      duplicates += deviceDuplicates
      perDevice.push({ handle: d.handle, shown: rows.length, lost: deviceLost, duplicates: deviceDuplicates })
    }
    return {
      kills,
      acked,
      written: written.size,
      lost,
      duplicates,
      pendingLeft,
      lostReplies: devices.reduce((n, d) => n + d.pendingReplies, 0),
      refused: devices.flatMap((d) => d.refused),
      perDevice,
      restartMs: median(downtimes),
      seconds: (Date.now() - started) / 1000,
    }
  } finally {
    state.stop = true
    server.child.kill("SIGKILL")
    await server.exited
    if (options.keep !== true) rmSync(root, { recursive: true, force: true })
  }
}

function median(values) {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
