import {
  enrolResponseSchema,
  inviteCodeChars,
  inviteResponseSchema,
  meResponseSchema,
  queueResponseSchema,
  toB64,
} from "@backchannel/protocol"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ManualClock, startTestServer, TestDevice } from "../testing/harness.js"
import type { TestServer } from "../testing/harness.js"

describe("enrolment over HTTP", () => {
  let server: TestServer
  const clock = new ManualClock()

  beforeAll(async () => {
    server = await startTestServer({ clock })
  })
  afterAll(async () => {
    await server.close()
  })

  it("enrols the first device with an operator invite and serves /v1/me to it", async () => {
    const invite = await server.invite("fr.president", { displayName: "Président", country: "France" })
    expect(invite).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/)
    const device = new TestDevice(server, clock)
    const res = await device.enrol(invite)
    expect(res.status).toBe(200)
    const body = enrolResponseSchema.parse(res.body)
    expect(body.entry).toMatchObject({ handle: "fr.president", displayName: "Président", country: "France" })
    expect(body.entry.devices).toEqual([
      expect.objectContaining({
        deviceId: body.deviceId,
        name: "test device",
        signaturePublicKey: toB64(device.signaturePublicKey),
        tracemarkPublicKey: toB64(device.tracemarkPublicKey),
      }),
    ])
    const me = await device.get("/v1/me")
    expect(me.status).toBe(200)
    expect(meResponseSchema.parse(me.body).deviceId).toBe(body.deviceId)
  })

  it("accepts the invite code in lower case, with spaces and with I/L/O typed for 1/1/0", async () => {
    const invite = await server.invite("typist")
    const sloppy = invite.toLowerCase().replace(/-/g, " ").replace(/1/g, "l").replace(/0/g, "o")
    const res = await new TestDevice(server, clock).enrol(sloppy)
    expect(res.status).toBe(200)
  })

  it("adds a second device through a device invite and tells the first one", async () => {
    const first = new TestDevice(server, clock)
    expect((await first.enrol(await server.invite("nato.sg"))).status).toBe(200)
    const inv = await first.post("/v1/devices/invites", {})
    expect(inv.status).toBe(200)
    const issued = inviteResponseSchema.parse(inv.body)
    expect(issued.expiresAt).toBe(clock.now() + 7 * 24 * 60 * 60 * 1000)
    expect(issued.invite.replace(/-/g, "")).toHaveLength(inviteCodeChars)
    const second = new TestDevice(server, clock)
    const res = await second.enrol(issued.invite)
    expect(res.status).toBe(200)
    const entry = enrolResponseSchema.parse(res.body).entry
    expect(entry.handle).toBe("nato.sg")
    expect(entry.devices).toHaveLength(2)
    const queue = await first.get("/v1/queue")
    expect(queue.status).toBe(200)
    expect(queueResponseSchema.parse(queue.body).items).toEqual([
      {
        seq: 1,
        kind: "event",
        event: { type: "device-enrolled", handle: "nato.sg", deviceId: second.deviceId },
        at: clock.now(),
      },
    ])
    expect((await second.get("/v1/queue")).body.items).toEqual([])
  })

  it("refuses a used invite, but a retry with the same key gets the same device back", async () => {
    const invite = await server.invite("retrier")
    const device = new TestDevice(server, clock)
    const first = await device.enrol(invite)
    expect(first.status).toBe(200)
    const retry = await device.enrol(invite)
    expect(retry.status).toBe(200)
    expect(retry.body.deviceId).toBe(first.body.deviceId)
    const other = await new TestDevice(server, clock).enrol(invite)
    expect(other.status).toBe(410)
    expect(other.body.error.code).toBe("INVITE_USED")
  })

  it("refuses an expired invite with INVITE_EXPIRED", async () => {
    const invite = await server.invite("late")
    clock.advance(7 * 24 * 60 * 60 * 1000)
    const res = await new TestDevice(server, clock).enrol(invite)
    expect(res.status).toBe(410)
    expect(res.body.error.code).toBe("INVITE_EXPIRED")
  })

  it("refuses an unknown or malformed invite with INVITE_INVALID", async () => {
    const device = new TestDevice(server, clock)
    const unknown = await device.enrol("00000-00000-00000-00000-00000")
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("INVITE_INVALID")
    const malformed = await device.enrol("not-an-invite")
    expect(malformed.body.error.code).toBe("INVITE_INVALID")
  })

  it("refuses a proof that does not verify with KEY_INVALID and leaves the invite usable", async () => {
    const invite = await server.invite("prover")
    const device = new TestDevice(server, clock)
    const other = new TestDevice(server, clock)
    // Signed by another key.
    const wrongKey = await device.request("POST", "/v1/enrol", {
      sign: false,
      json: device.enrolBody(invite, { proof: other.enrolBody(invite).proof }),
    })
    expect(wrongKey.status).toBe(400)
    expect(wrongKey.body.error.code).toBe("KEY_INVALID")
    // A valid proof, but bound to a different tracemark key than the one submitted.
    const swapped = await device.request("POST", "/v1/enrol", {
      sign: false,
      json: device.enrolBody(invite, { tracemarkPublicKey: toB64(other.tracemarkPublicKey) }),
    })
    expect(swapped.body.error.code).toBe("KEY_INVALID")
    expect((await device.enrol(invite)).status).toBe(200)
  })

  it("refuses a device invite once the user has the maximum number of devices", async () => {
    const limited = await startTestServer({ clock, config: { maxDevicesPerUser: 1 } })
    try {
      const device = new TestDevice(limited, clock)
      expect((await device.enrol(await limited.invite("solo"))).status).toBe(200)
      const res = await device.post("/v1/devices/invites", {})
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe("FORBIDDEN")
      // An operator invite for the same entry is refused at enrolment for the same reason.
      const res2 = await new TestDevice(limited, clock).enrol(await limited.invite("solo"))
      expect(res2.status).toBe(403)
      expect(res2.body.error.code).toBe("FORBIDDEN")
    } finally {
      await limited.close()
    }
  })
})
