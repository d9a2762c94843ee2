import { randomBytes } from "node:crypto"
import { claimResponseSchema, normaliseInviteCode, toB64 } from "@backchannel/protocol"
import { describe, expect, it } from "vitest"
import { createLogger, describeError } from "./log.js"
import { enrolDevices, startTestServer, TestDevice } from "./testing/harness.js"
import { TestMember } from "./testing/mls.js"

describe("logger", () => {
  it("writes JSON lines at or above its level only", () => {
    const lines: string[] = []
    const log = createLogger("warn", (l) => lines.push(l))
    log.debug("d")
    log.info("i")
    log.warn("w", { status: 503 })
    log.error("e", { code: "INTERNAL" })
    expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(["w", "e"])
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ level: "warn", status: 503 })
    const silent: string[] = []
    createLogger("silent", (l) => silent.push(l)).error("x")
    expect(silent).toEqual([])
  })

  it("drops field values that are not numbers or short code-like strings", () => {
    const lines: string[] = []
    const log = createLogger("debug", (l) => lines.push(l))
    log.info("request", {
      method: "POST",
      route: "/v1/groups/:groupId",
      code: "message with spaces and a secret",
      error: "x".repeat(100),
      ms: Number.NaN,
      status: 200,
    })
    const entry = JSON.parse(lines[0] ?? "") as Record<string, unknown>
    expect(entry).toMatchObject({ method: "POST", route: "/v1/groups/:groupId", status: 200 })
    expect(entry).not.toHaveProperty("code")
    expect(entry).not.toHaveProperty("error")
    expect(entry).not.toHaveProperty("ms")
    log.info("r", { route: "/v1/queue?after=1" })
    expect(JSON.parse(lines[1] ?? "")).not.toHaveProperty("route")
  })

  it("describes a foreign error by class and code, never by message", () => {
    const err = Object.assign(new TypeError("handle alice not found"), { code: "SQLITE_BUSY" })
    expect(describeError(err)).toEqual({ error: "TypeError", code: "SQLITE_BUSY" })
    expect(describeError(Object.assign(new Error("x"), { code: "has spaces: alice" }))).toEqual({
      error: "Error",
    })
  })
})

describe("server logs", () => {
  it("never contain handles, invite codes, device ids, keys or message bodies", async () => {
    const server = await startTestServer({ logLevel: "debug" })
    const secrets: string[] = []
    try {
      const invite = await server.invite("secret.minister", {
        displayName: "Hidden Name",
        country: "Nowhere",
      })
      secrets.push(invite, normaliseInviteCode(invite) ?? invite, "secret.minister", "Hidden Name")
      const alice = new TestDevice(server)
      expect((await alice.enrol(invite)).status).toBe(200)
      const [bob] = await enrolDevices(server, ["covert.aide"])
      secrets.push("covert.aide")
      for (const d of [alice, bob]) {
        secrets.push(d.deviceId, toB64(d.signaturePublicKey), toB64(d.tracemarkPublicKey))
      }
      const identity = (d: TestDevice) => ({
        handle: d.handle,
        deviceId: d.deviceId,
        signatureSeed: d.signatureSeed,
        signaturePublicKey: d.signaturePublicKey,
      })
      const bobMls = new TestMember(identity(bob))
      const aliceMls = new TestMember(identity(alice))
      const kp = await bobMls.keyPackage()
      secrets.push(kp.slice(0, 40))
      expect((await bob.post("/v1/key-packages", { keyPackages: [kp] })).status).toBe(200)
      const groupId = toB64(randomBytes(32))
      secrets.push(groupId)
      await aliceMls.createGroup(groupId)
      await alice.post("/v1/groups", { groupId })
      const claimed = await alice.post("/v1/key-packages/claim", { handles: ["covert.aide"] })
      const { commit, welcome, apply } = await aliceMls.commitAdd(groupId, [
        claimResponseSchema.parse(claimed.body).keyPackages[0]?.keyPackage ?? "",
      ])
      await alice.post(`/v1/groups/${groupId}/commits`, { epoch: "0", commit, welcome, add: [bob.deviceId] })
      apply()
      const message = await aliceMls.message(groupId, "the plaintext never reaches the server anyway")
      secrets.push(commit.slice(0, 40), (welcome ?? "").slice(0, 40), message.slice(0, 40))
      expect((await alice.post(`/v1/groups/${groupId}/messages`, { message })).status).toBe(200)
      // Failures that carry input: a handle in bad JSON, a value in an unknown field, a search query.
      await alice.request("POST", "/v1/directory/lookup", { raw: '{"handles":["covert.aide"' })
      await alice.post("/v1/directory/lookup", { handles: ["covert.aide"], note: "Hidden Name" })
      await alice.get("/v1/directory?q=covert.aide")
      await alice.get(`/v1/groups/${groupId}`)
      await new TestDevice(server).enrol(invite) // INVITE_USED
      const socket = await bob.connect()
      socket.send({ t: "sub", after: 0 })
      await socket.next("items")
      socket.send("{covert.aide")
      await socket.closed
    } finally {
      await server.close()
    }
    const text = server.logs.join("\n")
    // The scenario was logged (requests, with route patterns)...
    expect(server.logs.length).toBeGreaterThan(10)
    expect(text).toContain('"route":"/v1/groups/:groupId/messages"')
    // ...and nothing that identifies a person, a device, a key or content.
    for (const secret of secrets) expect(text, secret).not.toContain(secret)
    expect(text).not.toContain("?q=")
  })
})
