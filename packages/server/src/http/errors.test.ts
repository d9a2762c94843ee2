import { randomBytes } from "node:crypto"
import { authHeaders, errorCatalog, limits, toB64 } from "@backchannel/protocol"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { revokeDevice } from "../admin.js"
import { enrolDevices, ManualClock, startTestServer } from "../testing/harness.js"
import type { HttpResult, TestDevice, TestServer } from "../testing/harness.js"

function expectError(res: HttpResult, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect(res.body.error.code).toBe(code)
  expect(res.body.error.message).toBe(errorCatalog[code as keyof typeof errorCatalog].message)
  expect(res.headers.get("content-type")).toMatch(/^application\/json/)
}

/**
 * Every error code the HTTP layer produces on bad input, each followed by a good request from the
 * same device that must still succeed (the server neither crashes nor stays in a bad state).
 */
describe("HTTP error handling", () => {
  let server: TestServer
  let device: TestDevice
  let other: TestDevice
  const clock = new ManualClock()
  let fail: "none" | "throw" = "none"

  beforeAll(async () => {
    server = await startTestServer({
      clock,
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === "searchEntries" && fail === "throw") {
              return () => Promise.reject(new Error("SELECT handle FROM entries WHERE 'alice' leaked"))
            }
            const value: unknown = Reflect.get(target, prop, receiver)
            return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value
          },
        }),
    })
    ;[device, other] = await enrolDevices(server, ["alice", "bob"], clock)
  })
  afterAll(async () => {
    await server.close()
  })
  afterEach(async () => {
    fail = "none"
    clock.advance(10) // keep signed times distinct
    const res = await device.get("/v1/me")
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })

  it("BAD_JSON for a body that is not JSON or not UTF-8", async () => {
    expectError(await device.request("POST", "/v1/directory/lookup", { raw: "{not json" }), 400, "BAD_JSON")
    expectError(
      await device.request("POST", "/v1/directory/lookup", { raw: new Uint8Array([0x7b, 0xff, 0x7d]) }),
      400,
      "BAD_JSON",
    )
    expectError(await device.request("POST", "/v1/directory/lookup", { raw: "" }), 400, "BAD_JSON")
  })

  it("VALIDATION_FAILED with the field's path, never its value", async () => {
    const unknownField = await device.post("/v1/directory/lookup", {
      handles: ["bob"],
      extra: "SECRET-VALUE",
    })
    expectError(unknownField, 400, "VALIDATION_FAILED")
    expect(unknownField.body.error.field).toBe("extra")
    const wrongType = await device.post("/v1/directory/lookup", { handles: ["bob", 42] })
    expect(wrongType.body.error.field).toBe("handles.1")
    expect(JSON.stringify(wrongType.body)).not.toContain("42")
    const badQuery = await device.get("/v1/queue?after=-1")
    expectError(badQuery, 400, "VALIDATION_FAILED")
    expect(badQuery.body.error.field).toBe("after")
    const unknownQuery = await device.get("/v1/directory?q=a&sort=name")
    expect(unknownQuery.body.error.field).toBe("sort")
    const badParam = await device.get("/v1/groups/not-a-group-id")
    expect(badParam.body.error.field).toBe("groupId")
  })

  it("PAYLOAD_TOO_LARGE for a body over 4 MiB, or over 8 MiB for a commit", async () => {
    const big = `{"handles":["${"a".repeat(limits.maxBodyBytes)}"]}`
    expectError(await device.request("POST", "/v1/directory/lookup", { raw: big }), 413, "PAYLOAD_TOO_LARGE")
    const groupId = toB64(randomBytes(32))
    // 5 MiB is read for a commit (and then refused for what it says, not for its size)...
    const fiveMiB = `{"epoch":"0","commit":"${"A".repeat(5 * 1024 * 1024)}"}`
    expectError(
      await device.request("POST", `/v1/groups/${groupId}/commits`, { raw: fiveMiB }),
      400,
      "VALIDATION_FAILED",
    )
    // ...but not beyond the commit limit.
    const nineMiB = `{"epoch":"0","commit":"${"A".repeat(9 * 1024 * 1024)}"}`
    expectError(
      await device.request("POST", `/v1/groups/${groupId}/commits`, { raw: nineMiB }),
      413,
      "PAYLOAD_TOO_LARGE",
    )
  })

  it("UNSUPPORTED_MEDIA_TYPE for anything but application/json", async () => {
    const text = await device.request("POST", "/v1/directory/lookup", {
      raw: '{"handles":["bob"]}',
      contentType: "text/plain",
    })
    expectError(text, 415, "UNSUPPORTED_MEDIA_TYPE")
    const form = await device.request("POST", "/v1/queue/ack", {
      raw: "upTo=1",
      contentType: "application/x-www-form-urlencoded",
    })
    expectError(form, 415, "UNSUPPORTED_MEDIA_TYPE")
    expectError(await device.request("POST", "/v1/queue/ack", {}), 415, "UNSUPPORTED_MEDIA_TYPE")
    const withCharset = await device.request("POST", "/v1/queue/ack", {
      json: { upTo: 0 },
      contentType: "application/json; charset=utf-8",
    })
    expect(withCharset.status).toBe(200)
  })

  it("NOT_FOUND for unknown paths and methods", async () => {
    expectError(await device.get("/v1/nothing-here"), 404, "NOT_FOUND")
    expectError(await device.get("/v1/enrol"), 404, "NOT_FOUND")
    expectError(await device.request("DELETE", "/v1/me"), 404, "NOT_FOUND")
    expectError(await device.request("GET", "/", { sign: false }), 404, "NOT_FOUND")
  })

  it("WS_PROTOCOL for a plain GET on the WebSocket endpoint", async () => {
    expectError(await device.get("/v1/ws", { sign: false }), 400, "WS_PROTOCOL")
  })

  it("AUTH_REQUIRED for an unsigned request", async () => {
    expectError(await device.get("/v1/me", { sign: false }), 401, "AUTH_REQUIRED")
    const partial = await device.get("/v1/me", {
      sign: false,
      extraHeaders: { [authHeaders.device]: device.deviceId },
    })
    expectError(partial, 401, "AUTH_REQUIRED")
  })

  it("AUTH_INVALID for a bad signature, an unknown device or malformed headers", async () => {
    expectError(await device.get("/v1/me", { signingKey: other.privateKey }), 401, "AUTH_INVALID")
    const bodySwap = await device.post(
      "/v1/queue/ack",
      { upTo: 0 },
      { signedBody: new TextEncoder().encode('{"upTo":1}') },
    )
    expectError(bodySwap, 401, "AUTH_INVALID")
    expectError(await device.get("/v1/me", { deviceId: toB64(randomBytes(16)) }), 401, "AUTH_INVALID")
    expectError(await device.get("/v1/me", { deviceId: "not a device" }), 401, "AUTH_INVALID")
    expectError(await device.get("/v1/me", { nonce: "short" }), 401, "AUTH_INVALID")
    // A signature over another path or query does not authorise this one.
    expectError(
      await device.get("/v1/queue?after=5", { signedPath: "/v1/queue?after=0" }),
      401,
      "AUTH_INVALID",
    )
    expectError(await device.get("/v1/queue", { signedPath: "/v1/me" }), 401, "AUTH_INVALID")
  })

  it("AUTH_EXPIRED outside the 2-minute window, with the server's time", async () => {
    clock.advance(limits.authWindowMs) // so that the window does not reach back before the start
    const now = clock.now()
    const old = await device.get("/v1/me", { time: now - limits.authWindowMs - 1 })
    expectError(old, 401, "AUTH_EXPIRED")
    expect(old.body.error.serverTime).toBe(now)
    expectError(await device.get("/v1/me", { time: now + limits.authWindowMs + 1 }), 401, "AUTH_EXPIRED")
    expect((await device.get("/v1/me", { time: now - limits.authWindowMs + 1000 })).status).toBe(200)
  })

  it("AUTH_EXPIRED for a request signed before the server started", async () => {
    const restarted = await startTestServer({ clock })
    try {
      const [d] = await enrolDevices(restarted, ["carol"], clock)
      const startedAt = restarted.app.backchannel.startedAt
      expectError(await d.get("/v1/me", { time: startedAt - 1 }), 401, "AUTH_EXPIRED")
      expect((await d.get("/v1/me", { time: startedAt })).status).toBe(200)
    } finally {
      await restarted.close()
    }
  })

  it("AUTH_REPLAYED for a nonce used twice within the window", async () => {
    const nonce = toB64(randomBytes(16))
    const time = clock.now()
    expect((await device.get("/v1/me", { nonce, time })).status).toBe(200)
    expectError(await device.get("/v1/me", { nonce, time }), 401, "AUTH_REPLAYED")
    // Another device may use the same nonce value.
    expect((await other.get("/v1/me", { nonce, time })).status).toBe(200)
    // A forged request cannot burn a nonce: only verified ones are remembered.
    const fresh = toB64(randomBytes(16))
    expectError(
      await device.get("/v1/me", { nonce: fresh, signingKey: other.privateKey }),
      401,
      "AUTH_INVALID",
    )
    expect((await device.get("/v1/me", { nonce: fresh })).status).toBe(200)
  })

  it("RATE_LIMITED with retryAfterMs once a device's bucket is empty, per device", async () => {
    const limited = await startTestServer({ clock, config: { rateLimit: { perSecond: 1, burst: 3 } } })
    try {
      const [a, b] = await enrolDevices(limited, ["dora", "ed"], clock)
      for (let i = 0; i < 3; i++) expect((await a.get("/v1/me")).status).toBe(200)
      const limitedRes = await a.get("/v1/me")
      expectError(limitedRes, 429, "RATE_LIMITED")
      expect(limitedRes.body.error.retryAfterMs).toBeGreaterThan(0)
      expect(limitedRes.body.error.retryAfterMs).toBeLessThanOrEqual(1000)
      expect(limitedRes.headers.get("retry-after")).toBe("1")
      expect((await b.get("/v1/me")).status).toBe(200)
      clock.advance(1000)
      expect((await a.get("/v1/me")).status).toBe(200)
    } finally {
      await limited.close()
    }
  })

  it("DEVICE_REVOKED once the operator revokes the device, even while the server runs", async () => {
    const [victim] = await enrolDevices(server, ["frank"], clock)
    expect((await victim.get("/v1/me")).status).toBe(200)
    await revokeDevice(server.dataDir, victim.deviceId)
    expectError(await victim.get("/v1/me"), 403, "DEVICE_REVOKED")
  })

  it("INTERNAL with the catalog message only when the store fails", async () => {
    fail = "throw"
    const res = await device.get("/v1/directory?q=alice")
    expectError(res, 500, "INTERNAL")
    expect(Object.keys(res.body.error).sort()).toEqual(["code", "message"])
    expect(JSON.stringify(res.body)).not.toMatch(/SELECT|leaked|stack|at /)
    const logged = server.logs.join("\n")
    expect(logged).toContain('"code":"INTERNAL"')
    expect(logged).not.toMatch(/SELECT|leaked/)
  })

  it("UNAVAILABLE once shutdown has begun", async () => {
    const closing = await startTestServer({ clock })
    try {
      const [d] = await enrolDevices(closing, ["gina"], clock)
      closing.app.backchannel.beginShutdown()
      expectError(await d.get("/v1/me"), 503, "UNAVAILABLE")
      expectError(await d.get("/v1/health", { sign: false }), 503, "UNAVAILABLE")
    } finally {
      await closing.close()
    }
  })
})
