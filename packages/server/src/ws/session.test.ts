import { randomBytes } from "node:crypto"
import {
  claimResponseSchema,
  queueResponseSchema,
  toB64,
  wsAuthSigningBytes,
  wsCloseCodes,
} from "@backchannel/protocol"
import type { QueueItem } from "@backchannel/protocol"
import type { Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { revokeDevice } from "../admin.js"
import { enrolDevices, ManualClock, startTestServer } from "../testing/harness.js"
import type { TestDevice, TestServer, TestSocket } from "../testing/harness.js"
import { TestMember } from "../testing/mls.js"

function member(device: TestDevice): TestMember {
  return new TestMember({
    handle: device.handle,
    deviceId: device.deviceId,
    signatureSeed: device.signatureSeed,
    signaturePublicKey: device.signaturePublicKey,
  })
}

/** Reads `items` frames until `count` items arrived; fails on any other frame. */
async function collect(socket: TestSocket, count: number, timeoutMs = 10_000): Promise<QueueItem[]> {
  const items: QueueItem[] = []
  while (items.length < count) items.push(...(await socket.next("items", timeoutMs)).items)
  return items
}

function expectContiguous(items: QueueItem[], from: number): void {
  expect(items.map((i) => i.seq)).toEqual(Array.from({ length: items.length }, (_, i) => from + i))
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Enrols alice, bob and carol and sets up a group of alice and bob (real MLS); bob's queue is empty. */
async function conversation(server: TestServer, groupId: string) {
  const [alice, bob, carol] = await enrolDevices(server, ["alice", "bob", "carol"])
  const aliceMls = member(alice)
  const bobMls = member(bob)
  expect((await bob.post("/v1/key-packages", { keyPackages: [await bobMls.keyPackage()] })).status).toBe(200)
  await aliceMls.createGroup(groupId)
  expect((await alice.post("/v1/groups", { groupId })).status).toBe(200)
  const claimed = await alice.post("/v1/key-packages/claim", { handles: ["bob"] })
  const { commit, welcome, apply } = await aliceMls.commitAdd(groupId, [
    claimResponseSchema.parse(claimed.body).keyPackages[0]?.keyPackage ?? "",
  ])
  const res = await alice.post(`/v1/groups/${groupId}/commits`, {
    epoch: "0",
    commit,
    welcome,
    add: [bob.deviceId],
  })
  expect(res.status).toBe(200)
  apply()
  await bob.post("/v1/queue/ack", { upTo: 1_000_000 })
  return { alice, bob, carol, aliceMls }
}

describe("WebSocket sessions", () => {
  let server: TestServer
  let alice: TestDevice, bob: TestDevice, carol: TestDevice
  let aliceMls: TestMember
  const groupId = toB64(randomBytes(32))

  /** Sends `n` real MLS application messages from alice to the group over HTTP. */
  async function send(n: number, text = (i: number) => `message ${i}`): Promise<string[]> {
    const sent: string[] = []
    for (let i = 0; i < n; i++) {
      const message = await aliceMls.message(groupId, text(i))
      const res = await alice.post(`/v1/groups/${groupId}/messages`, { message })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      sent.push(message)
    }
    return sent
  }

  beforeAll(async () => {
    server = await startTestServer({
      config: {
        wsAuthTimeoutMs: 300,
        wsPageItems: 25,
        wsRevalidateMs: 100,
        wsHighWaterBytes: 256 * 1024,
        wsLowWaterBytes: 64 * 1024,
      },
    })
    ;({ alice, bob, carol, aliceMls } = await conversation(server, groupId))
  })
  afterAll(async () => {
    await server.close()
  })

  describe("authentication", () => {
    it("sends a challenge and accepts a signature over it", async () => {
      const socket = await bob.connect()
      expect(server.app.backchannel.hub.sessionInfo(bob.deviceId)).toMatchObject({ mode: "idle" })
      socket.send({ t: "ping" })
      await socket.next("pong")
      socket.close()
      await socket.closed
    })

    it("closes with 4001 when the signature is not over this connection's challenge", async () => {
      const socket = await bob.connect({ auth: false })
      const time = Date.now()
      const signature = bob.signBytes(wsAuthSigningBytes("another-challenge", bob.deviceId, time))
      socket.send({ t: "auth", deviceId: bob.deviceId, time, signature: toB64(signature) })
      const error = await socket.next("error")
      expect(error.error.code).toBe("AUTH_INVALID")
      expect((await socket.closed).code).toBe(wsCloseCodes.authFailed)
    })

    it("closes with 4001 and AUTH_EXPIRED for a stale time", async () => {
      const socket = await bob.connect({ auth: false })
      socket.drain()
      const time = Date.now() - 5 * 60 * 1000
      socket.send({ t: "auth", deviceId: bob.deviceId, time, signature: toB64(randomBytes(64)) })
      expect((await socket.next("error")).error).toMatchObject({ code: "AUTH_EXPIRED" })
      expect((await socket.closed).code).toBe(wsCloseCodes.authFailed)
    })

    it("accepts a session signed a little before the server started, unlike a request", async () => {
      const clock = new ManualClock()
      const fresh = await startTestServer({ clock })
      try {
        const [behind] = await enrolDevices(fresh, ["skewed"], clock)
        behind.clock = { now: () => clock.now() - 10_000 }
        expect((await behind.get("/v1/me")).body.error.code).toBe("AUTH_EXPIRED")
        const socket = await behind.connect()
        socket.send({ t: "ping" })
        await socket.next("pong")
        socket.close()
        await socket.closed
      } finally {
        await fresh.close()
      }
    })

    it("closes with 4003 when no authentication arrives in time", async () => {
      const socket = await bob.connect({ auth: false })
      expect((await socket.closed).code).toBe(wsCloseCodes.authTimeout)
    })

    it("closes a revoked device's session", async () => {
      const [temp] = await enrolDevices(server, ["temp"])
      const socket = await temp.connect()
      await revokeDevice(server.dataDir, temp.deviceId)
      expect((await socket.next("error", 3000)).error.code).toBe("DEVICE_REVOKED")
      expect((await socket.closed).code).toBe(wsCloseCodes.authFailed)
      // ...and refuses it when it comes back.
      const again = await temp.connect({ waitReady: false })
      expect((await again.next("error")).error.code).toBe("DEVICE_REVOKED")
      expect((await again.closed).code).toBe(wsCloseCodes.authFailed)
    })
  })

  describe("delivery", () => {
    it("streams the backlog in order in pages, then live items, with no gap or duplicate", async () => {
      const before = queueResponseSchema.parse((await bob.get("/v1/queue")).body).items
      expect(before).toEqual([])
      const backlog = await send(60)
      const socket = await bob.connect()
      socket.send({ t: "sub", after: 0 })
      // Live messages are sent while the backlog is still streaming.
      const live = send(20, (i) => `live ${i}`)
      const items = await collect(socket, 80)
      const sentLive = await live
      expect(items).toHaveLength(80)
      const first = items[0]?.seq ?? 0
      expectContiguous(items, first)
      expect(items.map((i) => i.data)).toEqual([...backlog, ...sentLive])
      expect(items.every((i) => i.kind === "message" && i.groupId === groupId)).toBe(true)
      expect(items[0]?.sender).toEqual({ handle: "alice", deviceId: alice.deviceId })
      expect(server.app.backchannel.hub.sessionInfo(bob.deviceId)?.mode).toBe("live")
      // Nothing more is pending.
      socket.send({ t: "ping" })
      await socket.next("pong")

      // Acknowledge over the socket; the server deletes the items.
      socket.send({ t: "ack", upTo: items.at(-1)?.seq ?? 0 })
      await until(async () => queueResponseSchema.parse((await bob.get("/v1/queue")).body).items.length === 0)

      // Re-subscribing after a seq replays from there.
      await send(3)
      const more = await collect(socket, 3)
      expectContiguous(more, (items.at(-1)?.seq ?? 0) + 1)
      socket.send({ t: "sub", after: more[0]?.seq ?? 0 })
      const replay = await collect(socket, 2)
      expect(replay.map((i) => i.seq)).toEqual(more.slice(1).map((i) => i.seq))
      socket.send({ t: "ack", upTo: more.at(-1)?.seq ?? 0 })
      socket.close()
      await socket.closed
    })

    it("replaces an older session of the same device (4004) and keeps delivering to the new one", async () => {
      const first = await bob.connect()
      first.send({ t: "sub", after: 1_000_000 })
      const second = await bob.connect()
      expect((await first.closed).code).toBe(wsCloseCodes.replaced)
      const cursor = server.app.backchannel.hub.sessionInfo(bob.deviceId)
      expect(cursor?.mode).toBe("idle")
      second.send({ t: "sub", after: 0 })
      const sent = await send(2)
      const items = await collect(second, 2)
      expect(items.map((i) => i.data)).toEqual(sent)
      second.send({ t: "ack", upTo: items.at(-1)?.seq ?? 0 })
      second.close()
      await second.closed
    })

    it("delivers an item announced while a backlog page is being read exactly once, in order", async () => {
      // A store that, once, lets a new message be committed and announced after it has read a page and
      // before it returns it: the page is then stale, and only the notice tells the session so.
      let duringRead: (() => Promise<void>) | undefined
      const racy = await startTestServer({
        config: { wsPageItems: 10 },
        wrapStore: (store) =>
          new Proxy(store, {
            get(target, prop, receiver) {
              if (prop === "fetchQueue") {
                return async (...args: Parameters<typeof target.fetchQueue>) => {
                  const page = await target.fetchQueue(...args)
                  const hook = duringRead
                  duringRead = undefined
                  if (hook !== undefined) await hook()
                  return page
                }
              }
              const value: unknown = Reflect.get(target, prop, receiver)
              return typeof value === "function"
                ? (value as (...a: unknown[]) => unknown).bind(target)
                : value
            },
          }),
      })
      try {
        const gid = toB64(randomBytes(32))
        const c = await conversation(racy, gid)
        const post = async (message: string) => {
          expect((await c.alice.post(`/v1/groups/${gid}/messages`, { message })).status).toBe(200)
        }
        const backlog: string[] = []
        for (let i = 0; i < 15; i++) backlog.push(await c.aliceMls.message(gid, `backlog ${i}`))
        for (const m of backlog) await post(m)
        const late = await c.aliceMls.message(gid, "late")
        const socket = await c.bob.connect()
        socket.send({ t: "ping" })
        await socket.next("pong")
        const queued = queueResponseSchema.parse((await c.bob.get("/v1/queue")).body).items
        expect(queued.map((i) => i.data)).toEqual(backlog)
        duringRead = () => post(late)
        socket.send({ t: "sub", after: queued[9]?.seq ?? 0 })
        const items = await collect(socket, 6)
        expectContiguous(items, items[0]?.seq ?? 0)
        expect(items.map((i) => i.data)).toEqual([...backlog.slice(10), late])
        expect(duringRead).toBeUndefined() // the race was staged
        socket.send({ t: "ping" })
        await socket.next("pong") // and no duplicate frame before it
        socket.close()
        await socket.closed
      } finally {
        await racy.close()
      }
    })

    it("pauses a slow reader at the high-water mark and catches up from the store", async () => {
      const socket = await bob.connect()
      socket.send({ t: "sub", after: 0 })
      socket.send({ t: "ping" })
      await socket.next("pong")
      const raw = (socket.ws as unknown as { _socket: Socket })._socket
      raw.pause()
      const big = "x".repeat(100_000)
      const sent = await send(120, (i) => `${i}:${big}`)
      const info = server.app.backchannel.hub.sessionInfo(bob.deviceId)
      expect(info?.mode).toBe("paused")
      // Bounded: at most the high-water mark plus one notice's frame is buffered in the process.
      expect(info?.bufferedBytes ?? Infinity).toBeLessThan(256 * 1024 + 200 * 1024)
      raw.resume()
      const items = await collect(socket, 120, 20_000)
      expectContiguous(items, items[0]?.seq ?? 0)
      expect(items.map((i) => i.data)).toEqual(sent)
      await until(() => server.app.backchannel.hub.sessionInfo(bob.deviceId)?.mode === "live")
      socket.send({ t: "ack", upTo: items.at(-1)?.seq ?? 0 })
      socket.close()
      await socket.closed
    })
  })

  describe("send", () => {
    it("sends an application message and answers with res", async () => {
      const socket = await alice.connect()
      const message = await aliceMls.message(groupId, "over the socket")
      socket.send({ t: "send", id: 7, groupId, message })
      const res = await socket.next("res")
      expect(res).toEqual({
        t: "res",
        id: 7,
        ok: true,
        body: { epoch: "1", recipients: 1, duplicate: false },
      })
      socket.send({ t: "send", id: 8, groupId, message })
      expect(await socket.next("res")).toMatchObject({ id: 8, ok: true, body: { duplicate: true } })
      const queued = queueResponseSchema.parse((await bob.get("/v1/queue")).body).items
      expect(queued.map((i) => i.data)).toEqual([message])
      await bob.post("/v1/queue/ack", { upTo: queued.at(-1)?.seq ?? 0 })
      socket.close()
      await socket.closed
    })

    it("answers a refused send with res ok:false and keeps the session", async () => {
      const socket = await carol.connect()
      const carolMls = member(carol)
      await carolMls.createGroup(groupId)
      socket.send({ t: "send", id: 1, groupId, message: await carolMls.message(groupId, "intrusion") })
      const res = await socket.next("res")
      expect(res).toMatchObject({ id: 1, ok: false, error: { code: "NOT_A_MEMBER" } })
      socket.send({ t: "send", id: 2, groupId: toB64(randomBytes(32)), message: toB64(randomBytes(50)) })
      expect(await socket.next("res")).toMatchObject({
        id: 2,
        ok: false,
        error: { code: "MLS_MESSAGE_INVALID" },
      })
      socket.send({ t: "ping" })
      await socket.next("pong")
      socket.close()
      await socket.closed
    })
  })

  describe("protocol errors", () => {
    const badFrames: [string, unknown][] = [
      ["not JSON", "{nope"],
      ["an unknown frame type", { t: "subscribe", after: 0 }],
      ["an unknown field", { t: "ping", extra: true }],
      ["a negative seq", { t: "sub", after: -1 }],
      ["a second auth", { t: "auth", deviceId: "A".repeat(22), time: 0, signature: "A".repeat(86) }],
    ]
    for (const [why, frame] of badFrames) {
      it(`answers ${why} with WS_PROTOCOL and closes with 4002`, async () => {
        const socket = await bob.connect()
        socket.send(frame)
        expect((await socket.next("error")).error.code).toBe("WS_PROTOCOL")
        expect((await socket.closed).code).toBe(wsCloseCodes.protocolError)
      })
    }

    it("refuses frames other than auth before authentication", async () => {
      const socket = await bob.connect({ auth: false })
      socket.send({ t: "sub", after: 0 })
      expect((await socket.next("error")).error.code).toBe("WS_PROTOCOL")
      expect((await socket.closed).code).toBe(wsCloseCodes.protocolError)
    })

    it("refuses binary frames", async () => {
      const socket = await bob.connect()
      socket.ws.send(Buffer.from([1, 2, 3]))
      expect((await socket.next("error")).error.code).toBe("WS_PROTOCOL")
      expect((await socket.closed).code).toBe(wsCloseCodes.protocolError)
    })

    it("closes on a frame above the size limit", async () => {
      const socket = await bob.connect()
      socket.send({ t: "ping", pad: "x".repeat(600 * 1024) })
      expect((await socket.closed).code).toBe(1009)
    })

    it("rate-limits frames: a send gets RATE_LIMITED, other frames close the socket with 4008", async () => {
      const limited = await startTestServer({ config: { rateLimit: { perSecond: 1, burst: 2 } } })
      try {
        const [d] = await enrolDevices(limited, ["zoe"])
        const socket = await d.connect()
        socket.send({ t: "ping" })
        socket.send({ t: "send", id: 1, groupId, message: toB64(randomBytes(50)) })
        socket.send({ t: "send", id: 2, groupId, message: toB64(randomBytes(50)) })
        await socket.next("pong")
        // The refused send is answered at once; the admitted one after its checks.
        const answers = [await socket.next("res"), await socket.next("res")].sort((a, b) => a.id - b.id)
        expect(answers[0]).toMatchObject({ id: 1, ok: false, error: { code: "MLS_MESSAGE_INVALID" } })
        expect(answers[1]).toMatchObject({ id: 2, ok: false, error: { code: "RATE_LIMITED" } })
        const retryAfter = (answers[1] as { error?: { retryAfterMs?: number } }).error?.retryAfterMs
        expect(retryAfter).toBeGreaterThan(0)
        socket.send({ t: "ping" })
        expect((await socket.next("error")).error.code).toBe("RATE_LIMITED")
        expect((await socket.closed).code).toBe(wsCloseCodes.rateLimited)
      } finally {
        await limited.close()
      }
    })
  })
})
