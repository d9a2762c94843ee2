import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { authHeaders, requestSigningBytes, toB64 } from "@backchannel/protocol"
import { TestDevice } from "../packages/server/src/testing/harness.js"
import { TestMember } from "../packages/server/src/testing/mls.js"
import { operatorInvite } from "./support/cli.js"
import { startServerProcess } from "./support/server-process.js"
import type { ServerProcess } from "./support/server-process.js"

// Bad input against the real server process: each request gets its documented error code, and the server
// goes on serving good requests (the in-process suites in packages/server cover every code in depth).

const dataDir = mkdtempSync(join(tmpdir(), "bc-bad-input-"))
let server: ServerProcess
let alice: TestDevice
let bob: TestDevice
const member = (d: TestDevice) =>
  new TestMember({
    handle: d.handle,
    deviceId: d.deviceId,
    signatureSeed: d.signatureSeed,
    signaturePublicKey: d.signaturePublicKey,
  })

async function enrolled(handle: string): Promise<TestDevice> {
  const invite = await operatorInvite(dataDir, handle, handle)
  const device = new TestDevice({ url: server.url })
  expect((await device.enrol(invite)).status).toBe(200)
  return device
}

/** The server still answers a good signed request and its health check. */
async function stillServing(): Promise<void> {
  expect((await alice.get("/v1/me")).status).toBe(200)
  const health = await fetch(`${server.url}/v1/health`)
  expect(health.status).toBe(200)
  expect(server.child.exitCode).toBeNull()
}

/** Writes raw bytes to the server and returns its first answer (status and body), or status 0 after 5 s. */
function rawExchange(request: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url)
  return new Promise((resolve) => {
    let data = ""
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(request))
    const finish = (answer: { status: number; body: string }) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    const timer = setTimeout(() => finish({ status: 0, body: data }), 5000)
    socket.setEncoding("utf8")
    socket.on("error", () => undefined)
    socket.on("data", (chunk: string) => {
      data += chunk
      const end = data.indexOf("\r\n\r\n")
      if (end < 0) return
      const head = data.slice(0, end)
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? "0")
      const body = data.slice(end + 4)
      if (Buffer.byteLength(body) >= length) {
        finish({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? "0"), body })
      }
    })
  })
}

beforeAll(async () => {
  server = await startServerProcess(dataDir)
  alice = await enrolled("alice")
  bob = await enrolled("bob")
})

afterAll(async () => {
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe("bad input to a running server process", () => {
  it("refuses an unsigned request with AUTH_REQUIRED", async () => {
    const res = await alice.get("/v1/me", { sign: false })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe("AUTH_REQUIRED")
    await stillServing()
  })

  it("refuses a forged signature with AUTH_INVALID", async () => {
    const res = await alice.get("/v1/me", { signingKey: bob.privateKey })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe("AUTH_INVALID")
    await stillServing()
  })

  it("refuses a replayed request with AUTH_REPLAYED", async () => {
    const nonce = toB64(randomBytes(16))
    const time = Date.now()
    expect((await alice.get("/v1/me", { nonce, time })).status).toBe(200)
    const replay = await alice.get("/v1/me", { nonce, time })
    expect(replay.status).toBe(401)
    expect(replay.body.error.code).toBe("AUTH_REPLAYED")
    await stillServing()
  })

  it("refuses a request signed long ago with AUTH_EXPIRED and tells the server time", async () => {
    const res = await alice.get("/v1/me", { time: Date.now() - 10 * 60 * 1000 })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe("AUTH_EXPIRED")
    expect(typeof res.body.error.serverTime).toBe("number")
    await stillServing()
  })

  it("refuses malformed JSON, unknown fields and the wrong content type", async () => {
    const broken = await alice.request("POST", "/v1/groups", { raw: '{"groupId": ' })
    expect(broken.status).toBe(400)
    expect(broken.body.error.code).toBe("BAD_JSON")
    const unknown = await alice.post("/v1/groups", { groupId: toB64(randomBytes(32)), admin: true })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.code).toBe("VALIDATION_FAILED")
    const wrongType = await alice.request("POST", "/v1/groups", {
      raw: "groupId=1",
      contentType: "text/plain",
    })
    expect(wrongType.status).toBe(415)
    expect(wrongType.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE")
    await stillServing()
  })

  it("refuses an oversized body with PAYLOAD_TOO_LARGE", async () => {
    // The server answers as soon as the declared length exceeds its limit and closes the connection, so a
    // client that goes on uploading 5 MiB may see EPIPE before it reads the answer: declare the size, send
    // signed headers and the first 64 KiB, and read what the server says.
    const groupId = toB64(randomBytes(32))
    const path = `/v1/groups/${encodeURIComponent(groupId)}/messages`
    const declared = 5 * 1024 * 1024
    const time = Date.now()
    const nonce = toB64(randomBytes(16))
    const signature = alice.signBytes(
      requestSigningBytes({
        method: "POST",
        path,
        deviceId: alice.deviceId,
        time,
        nonce,
        body: new Uint8Array(),
      }),
    )
    const answer = await rawExchange(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${declared}\r\n${authHeaders.device}: ${alice.deviceId}\r\n` +
        `${authHeaders.time}: ${time}\r\n${authHeaders.nonce}: ${nonce}\r\n` +
        `${authHeaders.signature}: ${toB64(signature)}\r\n\r\n{"message":"${"A".repeat(64 * 1024)}`,
    )
    expect(answer.status).toBe(413)
    expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE")
    await stillServing()
  })

  it("refuses a second commit for an epoch (EPOCH_CONFLICT) and a message for a past epoch (STALE_EPOCH)", async () => {
    const groupId = toB64(randomBytes(32))
    const a = member(alice)
    await a.createGroup(groupId)
    expect((await alice.post("/v1/groups", { groupId })).status).toBe(200)
    const early = await a.message(groupId, "encrypted in epoch 0")
    // Two commits built on epoch 0: the first one the server sees takes the epoch.
    const update = await a.commitEmpty(groupId)
    const rival = await a.commitEmpty(groupId)
    const accepted = await alice.post(`/v1/groups/${groupId}/commits`, { epoch: "0", commit: update.commit })
    expect(accepted.status).toBe(200)
    update.apply()
    const conflict = await alice.post(`/v1/groups/${groupId}/commits`, { epoch: "0", commit: rival.commit })
    expect(conflict.status).toBe(409)
    expect(conflict.body.error).toMatchObject({ code: "EPOCH_CONFLICT", epoch: "1" })
    const stale = await alice.post(`/v1/groups/${groupId}/messages`, { message: early })
    expect(stale.status).toBe(409)
    expect(stale.body.error).toMatchObject({ code: "STALE_EPOCH", epoch: "1" })
    const fresh = await a.message(groupId, "encrypted in epoch 1")
    expect((await alice.post(`/v1/groups/${groupId}/messages`, { message: fresh })).status).toBe(200)
    await stillServing()
  })

  it("refuses a request for a group the device is not in with NOT_A_MEMBER", async () => {
    const groupId = toB64(randomBytes(32))
    expect((await alice.post("/v1/groups", { groupId })).status).toBe(200)
    const res = await bob.get(`/v1/groups/${groupId}`)
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe("NOT_A_MEMBER")
    await stillServing()
  })
})
