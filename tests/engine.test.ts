import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DeliveryUnavailableError } from "@backchannel/core"
import { startServer } from "@backchannel/server"
import { person, texts } from "./support/devices.js"
import type { TestDevice } from "./support/devices.js"

// The client engine against a real server listening on loopback (in this process), several devices,
// and faults injected between them: races for the next epoch, lost replies, no connection.

const dataDir = mkdtempSync(join(tmpdir(), "bc-engine-"))
let server: Awaited<ReturnType<typeof startServer>>

beforeAll(async () => {
  server = await startServer({ dataDir, port: 0, logLevel: "silent" })
})

afterAll(async () => {
  await server.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const handles = (device: TestDevice, conversationId: string) =>
  device.client.conversation(conversationId).then((c) => [...new Set(c.members.map((m) => m.handle))].sort())

describe("client engine against a real server", () => {
  it("resolves two members committing at once: one wins the epoch, the other catches up and commits again", async () => {
    const [alice, bob, carol, dave] = await Promise.all(
      ["e1-alice", "e1-bob", "e1-carol", "e1-dave"].map((h) => person(dataDir, server.url, h)),
    )
    if (!alice || !bob || !carol || !dave) throw new Error("enrolment failed")
    const group = await alice.client.createGroup("Race", ["e1-bob"], { confirmNewPeople: true })
    await bob.client.sync()
    await Promise.all([
      alice.client.addMembers(group.id, ["e1-carol"], { confirmNewPeople: true }),
      bob.client.addMembers(group.id, ["e1-dave"], { confirmNewPeople: true }),
    ])
    // Exactly one of the two commits lost the race and was rebuilt on top of the winner.
    const conflicts = [...alice.faults.refusals, ...bob.faults.refusals].filter(
      (r) => r === "commit:EPOCH_CONFLICT",
    )
    expect(conflicts.length).toBeGreaterThanOrEqual(1)
    for (const d of [alice, bob, carol, dave]) await d.client.sync()
    for (const d of [alice, bob, carol, dave]) {
      expect(await handles(d, group.id)).toEqual(["e1-alice", "e1-bob", "e1-carol", "e1-dave"])
    }
    await dave.client.sendText({ conversationId: group.id }, "all four of us agree on the roster")
    for (const d of [alice, bob, carol]) {
      await d.client.sync()
      expect(await texts(d, group.id)).toEqual(["all four of us agree on the roster"])
    }
  })

  it("finishes a commit whose reply was lost once the device restarts", async () => {
    const [alice, bob, carol] = await Promise.all(
      ["e2-alice", "e2-bob", "e2-carol"].map((h) => person(dataDir, server.url, h)),
    )
    if (!alice || !bob || !carol) throw new Error("enrolment failed")
    const group = await alice.client.createGroup("Lost reply", ["e2-bob"], { confirmNewPeople: true })
    alice.faults.loseNextReply.add("commit")
    await expect(
      alice.client.addMembers(group.id, ["e2-carol"], { confirmNewPeople: true }),
    ).rejects.toBeInstanceOf(DeliveryUnavailableError)
    // The server took the commit: Carol is welcomed, but Alice has not applied it yet.
    expect(await handles(alice, group.id)).toEqual(["e2-alice", "e2-bob"])
    const restarted = await alice.reopen()
    await restarted.sync()
    expect((await restarted.conversation(group.id)).members.map((m) => m.handle).sort()).toEqual([
      "e2-alice",
      "e2-bob",
      "e2-carol",
    ])
    await restarted.sendText({ conversationId: group.id }, "sent in the epoch that added Carol")
    for (const d of [bob, carol]) {
      await d.client.sync()
      expect(await texts(d, group.id)).toEqual(["sent in the epoch that added Carol"])
    }
  })

  it("resends a message whose reply was lost, and the recipient shows it once", async () => {
    const [alice, bob] = await Promise.all(["e3-alice", "e3-bob"].map((h) => person(dataDir, server.url, h)))
    if (!alice || !bob) throw new Error("enrolment failed")
    alice.faults.loseNextReply.add("send")
    const first = await alice.client.sendText({ to: "e3-bob" }, "did this arrive?", {
      confirmNewPeople: true,
    })
    expect(first.status).toBe("pending")
    await alice.client.sync()
    const mine = (await alice.client.messages(first.conversationId)).find((m) => m.id === first.id)
    expect(mine?.status).toBe("sent")
    const processed = await bob.client.sync()
    // Bob's queue held the Welcome and both copies; he shows the message once.
    expect(processed).toBeGreaterThanOrEqual(3)
    expect(await texts(bob, first.conversationId)).toEqual(["did this arrive?"])
  })

  it("keeps a message written offline and sends it on the next sync", async () => {
    const [alice, bob] = await Promise.all(["e4-alice", "e4-bob"].map((h) => person(dataDir, server.url, h)))
    if (!alice || !bob) throw new Error("enrolment failed")
    const first = await alice.client.sendText({ to: "e4-bob" }, "before the outage", {
      confirmNewPeople: true,
    })
    alice.faults.offline = true
    const queued = await alice.client.sendText(
      { conversationId: first.conversationId },
      "written during the outage",
    )
    expect(queued.status).toBe("pending")
    await expect(alice.client.sync()).rejects.toBeInstanceOf(DeliveryUnavailableError)
    await bob.client.sync()
    expect(await texts(bob, first.conversationId)).toEqual(["before the outage"])
    alice.faults.offline = false
    await alice.client.sync()
    await bob.client.sync()
    expect(await texts(bob, first.conversationId)).toEqual(["before the outage", "written during the outage"])
  })

  it("runs a group of 200 member devices", async () => {
    const others = await Promise.all(
      Array.from({ length: 199 }, (_, i) =>
        person(dataDir, server.url, `big-${String(i).padStart(3, "0")}`, { keyPackageTarget: 1 }),
      ),
    )
    const alice = await person(dataDir, server.url, "big-alice")
    const group = await alice.client.createGroup(
      "Plenary",
      others.map((d) => d.client.identity.handle),
      { confirmNewPeople: true },
    )
    expect(group.members).toHaveLength(200)
    await alice.client.sendText({ conversationId: group.id }, "the plenary opens at nine")
    for (const d of others) await d.client.sync()
    for (const d of others) expect(await texts(d, group.id)).toEqual(["the plenary opens at nine"])
    // A member in the middle of the tree removes one and speaks; everyone else follows.
    const speaker = others[100]
    const leaving = others[7]
    if (!speaker || !leaving) throw new Error("missing members")
    await speaker.client.removeMembers(group.id, [leaving.client.identity.handle])
    await speaker.client.sendText({ conversationId: group.id }, "199 of us remain")
    await alice.client.sync()
    expect((await alice.client.conversation(group.id)).members).toHaveLength(199)
    expect((await texts(alice, group.id)).at(-1)).toBe("199 of us remain")
    await leaving.client.sync()
    expect((await leaving.client.conversation(group.id)).status).toBe("removed")
    expect(await texts(leaving, group.id)).toEqual(["the plenary opens at nine"])
  }, 300_000)
})
