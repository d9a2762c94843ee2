import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  inviteResponseSchema,
  meResponseSchema,
  normaliseInviteCode,
  ProtocolError,
  toB64,
} from "@backchannel/protocol"
import { afterAll, describe, expect, it } from "vitest"
import { createInvite, databasePath, listEntries, revokeDevice } from "./admin.js"
import { startServer, StartupError } from "./start-server.js"
import { ManualClock, TestDevice } from "./testing/harness.js"

const root = mkdtempSync(join(tmpdir(), "bc-admin-"))
let n = 0
const freshDir = () => join(root, `data-${++n}`)

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; field?: string | undefined }> {
  try {
    await promise
  } catch (err) {
    if (err instanceof ProtocolError) return { code: err.code, field: err.details.field }
    throw err
  }
  throw new Error("expected a failure")
}

describe("admin functions", () => {
  it("creates the entry with the first invite and reuses it for the next", async () => {
    const dir = freshDir()
    const first = await createInvite(dir, {
      handle: "it.premier",
      displayName: "Presidente del Consiglio",
      title: "Prime Minister",
      country: "Italy",
      kind: "member",
    })
    expect(first).toMatchObject({ handle: "it.premier", createdEntry: true })
    expect(first.invite).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/)
    const second = await createInvite(dir, { handle: "it.premier", displayName: "ignored" })
    expect(second.createdEntry).toBe(false)
    expect(second.invite).not.toBe(first.invite)
    const entries = await listEntries(dir)
    expect(entries).toEqual([
      expect.objectContaining({
        handle: "it.premier",
        displayName: "Presidente del Consiglio",
        title: "Prime Minister",
        country: "Italy",
        kind: "member",
        devices: [],
      }),
    ])
  })

  it("stores only the invite's hash, never the code", async () => {
    const dir = freshDir()
    const { invite } = await createInvite(dir, { handle: "hash.only" })
    const code = normaliseInviteCode(invite) ?? ""
    for (const file of [databasePath(dir), `${databasePath(dir)}-wal`]) {
      if (!existsSync(file)) continue
      const bytes = readFileSync(file).toString("latin1")
      expect(bytes).not.toContain(code)
      expect(bytes).not.toContain(invite)
    }
  })

  it("refuses a malformed handle or ttl with VALIDATION_FAILED naming the field", async () => {
    expect(await codeOf(createInvite(freshDir(), { handle: "Not A Handle" }))).toEqual({
      code: "VALIDATION_FAILED",
      field: "handle",
    })
    expect(await codeOf(createInvite(freshDir(), { handle: "ok.handle", ttlMs: -1 }))).toEqual({
      code: "VALIDATION_FAILED",
      field: "ttlMs",
    })
  })

  it("revokes a device once and reports unknown devices", async () => {
    const dir = freshDir()
    const server = await startServer({ dataDir: dir })
    try {
      const { invite } = await createInvite(dir, { handle: "revokee" })
      const device = new TestDevice(server)
      expect((await device.enrol(invite)).status).toBe(200)
      expect(await revokeDevice(dir, device.deviceId)).toEqual({
        deviceId: device.deviceId,
        handle: "revokee",
        alreadyRevoked: false,
      })
      expect((await revokeDevice(dir, device.deviceId)).alreadyRevoked).toBe(true)
      expect((await listEntries(dir))[0]?.devices[0]?.revokedAt).toBeTypeOf("number")
      expect((await codeOf(revokeDevice(dir, toB64(randomBytes(16))))).code).toBe("DEVICE_NOT_FOUND")
      expect((await codeOf(revokeDevice(dir, "nonsense"))).code).toBe("VALIDATION_FAILED")
      expect((await device.get("/v1/me")).body.error.code).toBe("DEVICE_REVOKED")
    } finally {
      await server.close()
    }
  })
})

describe("startServer", () => {
  it("serves health, survives a restart with its data, and refuses requests signed before the restart", async () => {
    const dir = freshDir()
    const clock = new ManualClock()
    const first = await startServer({ dataDir: dir, clock, port: 0 })
    expect(first.url).toBe(`http://127.0.0.1:${first.port}`)
    const health: unknown = await (await fetch(`${first.url}/v1/health`)).json()
    expect(health).toEqual({ ok: true, protocol: 1, serverTime: clock.now() })

    const { invite } = await createInvite(dir, { handle: "persistent", now: clock.now() })
    const device = new TestDevice(first, clock)
    expect((await device.enrol(invite)).status).toBe(200)
    const signedAt = clock.now()
    const nonce = toB64(randomBytes(16))
    expect((await device.get("/v1/me", { time: signedAt, nonce })).status).toBe(200)
    await first.close()
    await first.close() // idempotent

    clock.advance(1)
    const second = await startServer({ dataDir: dir, clock, port: 0 })
    try {
      device.server = { url: second.url, wsUrl: `${second.url.replace("http", "ws")}/v1/ws` }
      // The exact request captured before the restart: the nonce cache is gone, the start time is not.
      const replayed = await device.request("GET", "/v1/me", { time: signedAt, nonce })
      expect(replayed.status).toBe(401)
      expect(replayed.body.error.code).toBe("AUTH_EXPIRED")
      const fresh = await device.get("/v1/me")
      expect(fresh.status).toBe(200)
      expect(meResponseSchema.parse(fresh.body).entry.handle).toBe("persistent")
    } finally {
      await second.close()
    }
  })

  it("purges queue items older than the TTL when it starts", async () => {
    const dir = freshDir()
    const clock = new ManualClock()
    const day = 24 * 60 * 60 * 1000
    const server = await startServer({ dataDir: dir, clock, queueTtlDays: 1 })
    const a = new TestDevice(server, clock)
    expect(
      (await a.enrol((await createInvite(dir, { handle: "ttl.a", now: clock.now() })).invite)).status,
    ).toBe(200)
    const invite = await a.post("/v1/devices/invites", {})
    const b = new TestDevice(server, clock)
    expect((await b.enrol(inviteResponseSchema.parse(invite.body).invite)).status).toBe(200)
    expect((await a.get("/v1/queue")).body.items).toHaveLength(1) // the device-enrolled event
    await server.close()
    clock.advance(day + 1)
    const again = await startServer({ dataDir: dir, clock, queueTtlDays: 1 })
    a.server = { url: again.url, wsUrl: `${again.url.replace("http", "ws")}/v1/ws` }
    try {
      expect((await a.get("/v1/queue")).body.items).toEqual([])
    } finally {
      await again.close()
    }
  })

  it("refuses a second server on the same data directory until the first one closes", async () => {
    const dir = freshDir()
    const first = await startServer({ dataDir: dir })
    const refused = await startServer({ dataDir: dir }).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(StartupError)
    expect((refused as StartupError).code).toBe("DATA_DIR_IN_USE")
    // The first one is unaffected, and the admin commands still work beside it.
    expect((await fetch(`${first.url}/v1/health`)).status).toBe(200)
    expect((await createInvite(dir, { handle: "beside" })).createdEntry).toBe(true)
    await first.close()
    const second = await startServer({ dataDir: dir })
    await second.close()
  })

  it("reports an address in use or not of this machine by code, and frees the directory", async () => {
    const dir = freshDir()
    const other = await startServer({ dataDir: freshDir() })
    try {
      const inUse = await startServer({ dataDir: dir, port: other.port }).catch((err: unknown) => err)
      expect(inUse).toBeInstanceOf(StartupError)
      expect((inUse as StartupError).code).toBe("ADDRESS_IN_USE")
    } finally {
      await other.close()
    }
    // 192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this machine.
    const foreign = await startServer({ dataDir: dir, host: "192.0.2.1" }).catch((err: unknown) => err)
    expect(foreign).toBeInstanceOf(StartupError)
    expect((foreign as StartupError).code).toBe("ADDRESS_NOT_AVAILABLE")
    // Neither failure kept the directory: a server starts there now.
    const server = await startServer({ dataDir: dir })
    await server.close()
  })
})
