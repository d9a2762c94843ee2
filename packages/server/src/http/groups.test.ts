import { randomBytes } from "node:crypto"
import {
  claimResponseSchema,
  fromB64,
  groupResponseSchema,
  queueResponseSchema,
  toB64,
} from "@backchannel/protocol"
import type { QueueItem } from "@backchannel/protocol"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { enrolDevices, startTestServer } from "../testing/harness.js"
import type { TestDevice, TestServer } from "../testing/harness.js"
import { keyPackageFor, TestMember } from "../testing/mls.js"

function member(device: TestDevice): TestMember {
  return new TestMember({
    handle: device.handle,
    deviceId: device.deviceId,
    signatureSeed: device.signatureSeed,
    signaturePublicKey: device.signaturePublicKey,
  })
}

async function queueOf(device: TestDevice, after = 0): Promise<QueueItem[]> {
  const res = await device.get(`/v1/queue?after=${after}&limit=500`)
  expect(res.status).toBe(200)
  return queueResponseSchema.parse(res.body).items
}

/**
 * One conversation end to end with real MLS messages (ts-mls): key packages, claim, a group with a
 * commit that adds four devices, Welcomes, an application message that the recipients decrypt, and
 * every refusal the group endpoints can give along the way.
 */
describe("key packages, groups and messages over HTTP", () => {
  let server: TestServer
  let alice1: TestDevice, alice2: TestDevice, bob1: TestDevice, bob2: TestDevice, carol: TestDevice
  let dave: TestDevice, eve: TestDevice
  const mls = new Map<TestDevice, TestMember>()
  const groupId = toB64(randomBytes(32))
  const m = (d: TestDevice): TestMember => {
    const found = mls.get(d)
    if (found === undefined) throw new Error("no member")
    return found
  }

  beforeAll(async () => {
    server = await startTestServer({ config: { maxKeyPackagesPerDevice: 5 } })
    ;[alice1, alice2, bob1, bob2, carol, dave, eve] = await enrolDevices(server, [
      "alice",
      "alice",
      "bob",
      "bob",
      "carol",
      "dave",
      "eve",
    ])
    for (const d of [alice1, alice2, bob1, bob2, carol, dave, eve]) mls.set(d, member(d))
  })
  afterAll(async () => {
    await server.close()
  })

  describe("key packages", () => {
    it("accepts this device's key packages and reports the count", async () => {
      for (const d of [alice1, alice2, bob1, bob2, carol, eve]) {
        const res = await d.post("/v1/key-packages", { keyPackages: [await m(d).keyPackage()] })
        expect(res.status).toBe(200)
        expect(res.body).toEqual({ available: 1, lastResort: false })
      }
      const lr = await bob2.post("/v1/key-packages", {
        keyPackages: [],
        lastResort: await m(bob2).keyPackage(),
      })
      expect(lr.body).toEqual({ available: 1, lastResort: true })
      expect((await bob2.get("/v1/key-packages/status")).body).toEqual({ available: 1, lastResort: true })
    })

    it("refuses key packages that are not this device's with KEY_PACKAGE_INVALID", async () => {
      const identity = {
        handle: dave.handle,
        deviceId: dave.deviceId,
        signatureSeed: dave.signatureSeed,
        signaturePublicKey: dave.signaturePublicKey,
      }
      const good = await keyPackageFor(identity)
      const otherDevice = await keyPackageFor({ ...identity, deviceId: eve.deviceId })
      const otherKey = await keyPackageFor(identity, {
        signKey: { signKey: eve.signatureSeed, publicKey: eve.signaturePublicKey },
      })
      const wrongSuite = good.bytes.slice()
      wrongSuite[7] = 2 // cipher suite 2 (P-256) is not allowed
      const cases: [Uint8Array, string][] = [
        [otherDevice.bytes, "credential names another device"],
        [otherKey.bytes, "leaf signature key is another device's"],
        [wrongSuite, "cipher suite not allowed"],
        [fromB64(await m(alice1).keyPackage()).subarray(0, 20), "truncated"],
        [new TextEncoder().encode("hello"), "not MLS"],
      ]
      for (const [bytes, why] of cases) {
        const res = await dave.post("/v1/key-packages", { keyPackages: [toB64(good.bytes), toB64(bytes)] })
        expect(res.status, why).toBe(400)
        expect(res.body.error, why).toMatchObject({ code: "KEY_PACKAGE_INVALID", field: "keyPackages.1" })
      }
      // Nothing of a refused upload is kept.
      expect((await dave.get("/v1/key-packages/status")).body).toEqual({ available: 0, lastResort: false })
    })

    it("caps unclaimed key packages per device with VALIDATION_FAILED", async () => {
      const kps = await Promise.all(Array.from({ length: 5 }, () => m(eve).keyPackage()))
      const res = await eve.post("/v1/key-packages", { keyPackages: kps })
      expect(res.status).toBe(400)
      expect(res.body.error).toMatchObject({ code: "VALIDATION_FAILED", field: "keyPackages" })
      expect((await eve.get("/v1/key-packages/status")).body.available).toBe(1)
    })

    it("refuses a claim naming a device without key packages, consuming nothing", async () => {
      const res = await alice1.post("/v1/key-packages/claim", { handles: ["bob", "dave"] })
      expect(res.status).toBe(409)
      expect(res.body.error).toMatchObject({ code: "KEY_PACKAGES_EXHAUSTED", field: dave.deviceId })
      expect((await bob1.get("/v1/key-packages/status")).body.available).toBe(1)
      const unknownHandle = await alice1.post("/v1/key-packages/claim", { handles: ["nobody"] })
      expect(unknownHandle.status).toBe(404)
      expect(unknownHandle.body.error.code).toBe("ENTRY_NOT_FOUND")
      const unknownDevice = await alice1.post("/v1/key-packages/claim", {
        deviceIds: [toB64(randomBytes(16))],
      })
      expect(unknownDevice.status).toBe(404)
      expect(unknownDevice.body.error.code).toBe("DEVICE_NOT_FOUND")
    })
  })

  describe("a group", () => {
    let welcomeAdds: string[] = []

    it("is created at epoch 0 with its creator, once", async () => {
      await m(alice1).createGroup(groupId)
      const res = await alice1.post("/v1/groups", { groupId })
      expect(res.status).toBe(200)
      expect(groupResponseSchema.parse(res.body)).toMatchObject({
        groupId,
        epoch: "0",
        members: [{ deviceId: alice1.deviceId, handle: "alice" }],
      })
      const again = await bob1.post("/v1/groups", { groupId })
      expect(again.status).toBe(409)
      expect(again.body.error.code).toBe("GROUP_EXISTS")
    })

    it("grows by a commit that adds every other device of the users claimed", async () => {
      const claim = await alice1.post("/v1/key-packages/claim", { handles: ["alice", "bob", "carol"] })
      expect(claim.status).toBe(200)
      const claimed = claimResponseSchema.parse(claim.body).keyPackages
      expect(claimed.map((c) => c.deviceId).sort()).toEqual(
        [alice2.deviceId, bob1.deviceId, bob2.deviceId, carol.deviceId].sort(),
      )
      expect(claimed.every((c) => !c.lastResort)).toBe(true)
      // bob2 is out of one-time key packages now: the next claim gets its last resort.
      const next = await alice1.post("/v1/key-packages/claim", { deviceIds: [bob2.deviceId] })
      expect(claimResponseSchema.parse(next.body).keyPackages[0]?.lastResort).toBe(true)

      const { commit, welcome, apply } = await m(alice1).commitAdd(
        groupId,
        claimed.map((c) => c.keyPackage),
      )
      welcomeAdds = claimed.map((c) => c.deviceId)
      // Adding devices needs a Welcome.
      const noWelcome = await alice1.post(`/v1/groups/${groupId}/commits`, {
        epoch: "0",
        commit,
        add: welcomeAdds,
      })
      expect(noWelcome.status).toBe(400)
      expect(noWelcome.body.error).toMatchObject({ code: "VALIDATION_FAILED", field: "welcome" })
      const res = await alice1.post(`/v1/groups/${groupId}/commits`, {
        epoch: "0",
        commit,
        welcome,
        add: welcomeAdds,
      })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ epoch: "1", duplicate: false })
      apply()
      const retry = await alice1.post(`/v1/groups/${groupId}/commits`, {
        epoch: "0",
        commit,
        welcome,
        add: welcomeAdds,
      })
      expect(retry.body).toEqual({ epoch: "1", duplicate: true })

      const group = groupResponseSchema.parse((await bob1.get(`/v1/groups/${groupId}`)).body)
      expect(group.epoch).toBe("1")
      expect(group.members.map((x) => x.deviceId).sort()).toEqual([alice1.deviceId, ...welcomeAdds].sort())
    })

    it("delivers the Welcome to each added device, which joins with it", async () => {
      for (const d of [alice2, bob1, bob2, carol]) {
        const welcomes = (await queueOf(d)).filter((i) => i.kind === "welcome")
        expect(welcomes).toHaveLength(1)
        expect(welcomes[0]).toMatchObject({ groupId, sender: { handle: "alice", deviceId: alice1.deviceId } })
        await m(d).join(groupId, welcomes[0]?.data ?? "")
        expect(m(d).epoch(groupId)).toBe(1n)
      }
    })

    it("fans an application message out to every other device, which decrypts it", async () => {
      const message = await m(alice1).message(groupId, "Meet at 10:00.")
      const res = await alice1.post(`/v1/groups/${groupId}/messages`, { message })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ epoch: "1", recipients: 4, duplicate: false })
      for (const d of [alice2, bob1, bob2, carol]) {
        const items = (await queueOf(d)).filter((i) => i.kind === "message")
        expect(items).toHaveLength(1)
        expect(items[0]?.sender).toEqual({ handle: "alice", deviceId: alice1.deviceId })
        expect(await m(d).read(groupId, items[0]?.data ?? "")).toBe("Meet at 10:00.")
      }
      // alice1 holds only the event about alice2's enrolment: the sender gets no copy.
      expect((await queueOf(alice1)).map((i) => i.kind)).toEqual(["event"])
      const again = await alice1.post(`/v1/groups/${groupId}/messages`, { message })
      expect(again.body).toEqual({ epoch: "1", recipients: 0, duplicate: true })
      expect((await queueOf(bob1)).filter((i) => i.kind === "message")).toHaveLength(1)
    })

    it("orders commits: the first for an epoch wins, a later one gets EPOCH_CONFLICT", async () => {
      const bobCommit = await m(bob1).commitEmpty(groupId, true)
      const won = await bob1.post(`/v1/groups/${groupId}/commits`, { epoch: "1", commit: bobCommit.commit })
      expect(won.body).toEqual({ epoch: "2", duplicate: false })
      bobCommit.apply()
      const aliceCommit = await m(alice1).commitEmpty(groupId)
      const lost = await alice1.post(`/v1/groups/${groupId}/commits`, {
        epoch: "1",
        commit: aliceCommit.commit,
      })
      expect(lost.status).toBe(409)
      expect(lost.body.error).toMatchObject({ code: "EPOCH_CONFLICT", epoch: "2" })
      // The commit went to the old roster minus its sender: alice1 received it, bob1 did not.
      expect((await queueOf(alice1)).map((i) => i.kind)).toEqual(["event", "commit"])
      expect((await queueOf(bob1)).filter((i) => i.kind === "commit")).toEqual([])
    })

    it("refuses an application message from an old epoch with STALE_EPOCH", async () => {
      const stale = await m(alice1).message(groupId, "too late")
      const res = await alice1.post(`/v1/groups/${groupId}/messages`, { message: stale })
      expect(res.status).toBe(409)
      expect(res.body.error).toMatchObject({ code: "STALE_EPOCH", epoch: "2" })
    })

    it("refuses MLS messages of the wrong kind, group or epoch with MLS_MESSAGE_INVALID", async () => {
      const commit = (await m(alice1).commitEmpty(groupId)).commit
      const message = await m(alice1).message(groupId, "x")
      const proposal = await m(alice1).proposal(groupId)
      const otherGroup = toB64(randomBytes(32))
      await m(carol).createGroup(otherGroup)
      const foreign = await m(carol).message(otherGroup, "elsewhere")
      const keyPackage = await m(alice1).keyPackage()
      const cases: [string, unknown, string][] = [
        ["messages", { message: commit }, "a commit as an application message"],
        ["messages", { message: proposal }, "a proposal as an application message"],
        ["messages", { message: foreign }, "another group's message"],
        ["messages", { message: keyPackage }, "a key package"],
        ["messages", { message: toB64(randomBytes(40)) }, "random bytes"],
        ["commits", { epoch: "1", commit: message }, "an application message as a commit"],
        ["commits", { epoch: "2", commit }, "a commit whose framing says another epoch"],
        [
          "commits",
          { epoch: "1", commit, welcome: keyPackage, add: [dave.deviceId] },
          "a key package as a Welcome",
        ],
      ]
      for (const [endpoint, body, why] of cases) {
        const res = await alice1.post(`/v1/groups/${groupId}/${endpoint}`, body)
        expect(res.status, why).toBe(400)
        expect(res.body.error.code, why).toBe("MLS_MESSAGE_INVALID")
      }
    })

    it("refuses roster changes that do not match the group with MEMBERSHIP_INVALID", async () => {
      const { commit } = await m(bob1).commitAdd(groupId, [])
      const epoch = m(bob1).epoch(groupId).toString()
      const addExisting = await bob1.post(`/v1/groups/${groupId}/commits`, {
        epoch,
        commit,
        welcome: (await queueOf(bob2)).find((i) => i.kind === "welcome")?.data,
        add: [carol.deviceId],
      })
      expect(addExisting.status).toBe(400)
      expect(addExisting.body.error.code).toBe("MEMBERSHIP_INVALID")
      const removeStranger = await bob1.post(`/v1/groups/${groupId}/commits`, {
        epoch,
        commit,
        remove: [eve.deviceId],
      })
      expect(removeStranger.body.error.code).toBe("MEMBERSHIP_INVALID")
      const removeSelf = await bob1.post(`/v1/groups/${groupId}/commits`, {
        epoch,
        commit,
        remove: [bob1.deviceId],
      })
      expect(removeSelf.body.error.code).toBe("MEMBERSHIP_INVALID")
      expect(groupResponseSchema.parse((await bob1.get(`/v1/groups/${groupId}`)).body).epoch).toBe("2")
    })

    it("refuses non-members and unknown groups", async () => {
      const read = await eve.get(`/v1/groups/${groupId}`)
      expect(read.status).toBe(403)
      expect(read.body.error.code).toBe("NOT_A_MEMBER")
      await m(eve).createGroup(groupId)
      const send = await eve.post(`/v1/groups/${groupId}/messages`, {
        message: await m(eve).message(groupId, "let me in"),
      })
      expect(send.status).toBe(403)
      expect(send.body.error.code).toBe("NOT_A_MEMBER")
      const unknown = toB64(randomBytes(32))
      const missing = await eve.get(`/v1/groups/${unknown}`)
      expect(missing.status).toBe(404)
      expect(missing.body.error.code).toBe("GROUP_NOT_FOUND")
    })

    it("pages the queue and deletes what is acknowledged", async () => {
      const all = await queueOf(bob2)
      expect(all.length).toBeGreaterThanOrEqual(2)
      expect(all.map((i) => i.seq)).toEqual([...all.map((i) => i.seq)].sort((a, b) => a - b))
      const first = all[0]?.seq ?? 0
      const page = queueResponseSchema.parse((await bob2.get(`/v1/queue?after=0&limit=1`)).body)
      expect(page.items.map((i) => i.seq)).toEqual([first])
      expect(page.more).toBe(true)
      const ack = await bob2.post("/v1/queue/ack", { upTo: first })
      expect(ack.body).toEqual({ removed: 1 })
      expect((await queueOf(bob2)).map((i) => i.seq)).toEqual(all.slice(1).map((i) => i.seq))
      const last = all.at(-1)?.seq ?? 0
      expect((await bob2.post("/v1/queue/ack", { upTo: last })).body).toEqual({ removed: all.length - 1 })
      expect(await queueOf(bob2)).toEqual([])
    })
  })
})
