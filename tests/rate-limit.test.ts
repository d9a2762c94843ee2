import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { errorCatalog, toB64 } from "@backchannel/protocol"
import type { ServerFrame } from "@backchannel/protocol"
import { TestDevice } from "../packages/server/src/testing/harness.js"
import type { HttpResult, TestSocket } from "../packages/server/src/testing/harness.js"
import { operatorInvite } from "./support/cli.js"
import { startServerProcess } from "./support/server-process.js"
import type { ServerProcess } from "./support/server-process.js"

// Per-device rate limits of a real server process (docs/PROTOCOL.md "Rate limits": a token bucket per device
// shared by HTTP requests and WebSocket frames; here `--rate-limit 20/40`, 20 per second and a burst of 40, so
// the flood outpaces the refill even on a slow machine): a flooding device gets 429 RATE_LIMITED with
// retryAfterMs, another device is unaffected, and the flooding device is served again once it waits.

const dataDir = mkdtempSync(join(tmpdir(), "bc-rate-"))
let server: ServerProcess
let alice: TestDevice
let bob: TestDevice

async function enrolled(handle: string): Promise<TestDevice> {
  const device = new TestDevice({ url: server.url })
  expect((await device.enrol(await operatorInvite(dataDir, handle, handle))).status).toBe(200)
  return device
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Reads frames until the socket closes or `count` frames arrived. */
async function frames(socket: TestSocket, count: number): Promise<ServerFrame[]> {
  const out: ServerFrame[] = []
  while (out.length < count) {
    try {
      out.push(await socket.nextAny(10_000))
    } catch {
      break
    }
  }
  return out
}

beforeAll(async () => {
  server = await startServerProcess(dataDir, { args: ["--rate-limit", "20/40"] })
  alice = await enrolled("alice")
  bob = await enrolled("bob")
})

afterAll(async () => {
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe("per-device rate limits on a running server process", () => {
  it("answers a device flooding HTTP with 429 RATE_LIMITED, serves another device, and recovers", async () => {
    const flood: HttpResult[] = await Promise.all(Array.from({ length: 300 }, () => alice.get("/v1/me")))
    const limited = flood.filter((r) => r.status === 429)
    const served = flood.filter((r) => r.status === 200)
    // The burst (40) and what refilled during the flood were served; the rest was refused.
    expect(served.length).toBeGreaterThanOrEqual(40)
    expect(limited.length).toBeGreaterThan(50)
    expect(served.length + limited.length).toBe(300)
    for (const r of limited) {
      expect(r.body.error.code).toBe("RATE_LIMITED")
      expect(r.body.error.message).toBe(errorCatalog.RATE_LIMITED.message)
      expect(r.body.error.retryAfterMs).toBeGreaterThan(0)
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    }
    // Another device is not affected while alice's bucket is empty...
    expect((await bob.get("/v1/me")).status).toBe(200)
    // ...and alice is served again after waiting as told.
    const wait = Math.max(...limited.map((r) => r.body.error.retryAfterMs ?? 0))
    expect(wait).toBeLessThanOrEqual(1000)
    await sleep(wait + 50)
    expect((await alice.get("/v1/me")).status).toBe(200)
  })

  it("refuses WebSocket frames over the limit (send: a RATE_LIMITED reply; others: close 4008) and recovers", async () => {
    await sleep(2500) // let alice's bucket refill completely
    const socket = await alice.connect()
    const groupId = toB64(randomBytes(32))
    const message = toB64(randomBytes(64))
    for (let id = 0; id < 300; id++) socket.send({ t: "send", id, groupId, message })
    const replies = await frames(socket, 300)
    expect(replies).toHaveLength(300)
    const codes = replies.map((f) => (f.t === "res" && !f.ok ? f.error.code : f.t))
    // Within the limit the server judges each send on its merits (random bytes are no MLS message); over it,
    // the reply is RATE_LIMITED and the session stays open.
    expect(codes.filter((c) => c === "MLS_MESSAGE_INVALID").length).toBeGreaterThanOrEqual(40)
    const limited = replies.filter((f) => f.t === "res" && !f.ok && f.error.code === "RATE_LIMITED")
    expect(limited.length).toBeGreaterThan(50)
    for (const f of limited) if (f.t === "res" && !f.ok) expect(f.error.retryAfterMs).toBeGreaterThan(0)
    expect(codes.filter((c) => c !== "MLS_MESSAGE_INVALID" && c !== "RATE_LIMITED")).toEqual([])

    // Bob's session is unaffected.
    const bobSocket = await bob.connect()
    bobSocket.send({ t: "ping" })
    expect((await bobSocket.next("pong")).t).toBe("pong")

    // Any other frame over the limit ends the session with an error frame and close code 4008.
    for (let i = 0; i < 300; i++) socket.send({ t: "ping" })
    const rest = await frames(socket, 301)
    const last = rest[rest.length - 1]
    expect(last).toMatchObject({ t: "error", error: { code: "RATE_LIMITED" } })
    expect((await socket.closed).code).toBe(4008)

    // After waiting, alice connects again and is served.
    await sleep(2500)
    const again = await alice.connect()
    again.send({ t: "ping" })
    expect((await again.next("pong")).t).toBe("pong")
    again.close()
    bobSocket.close()
    expect(server.child.exitCode).toBeNull()
  })
})
