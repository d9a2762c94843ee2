import { createHash, randomBytes } from "node:crypto"
import { ProtocolError, toB64 } from "@backchannel/protocol"
import type { ErrorCode } from "@backchannel/protocol"
import { describe, expect, it } from "vitest"
import type { CommitRecord, MessageRecord, ServerStore } from "../store/types.js"

/**
 * The contract every ServerStore implementation passes (memory, SQLite, later PostgreSQL). Each
 * implementation's test file calls `storeContract` with a factory; `reopen`, given by persistent
 * stores, closes nothing itself and must return a store over the same data as the last `create()`
 * (the caller closes the previous one first).
 */
export interface StoreFactory {
  create(): Promise<ServerStore>
  reopen?(): Promise<ServerStore>
}

const T0 = 1_700_000_000_000
const day = 24 * 60 * 60 * 1000

export function newDeviceId(): string {
  return toB64(randomBytes(16))
}

export function newGroupId(): string {
  return toB64(randomBytes(32))
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest())
}

/** Arbitrary bytes standing in for an MLS message (stores never parse them). */
function blob(label: string): Uint8Array {
  return new TextEncoder().encode(`${label}:${toB64(randomBytes(12))}`)
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<ProtocolError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError)
    expect((err as ProtocolError).code).toBe(code)
    return err as ProtocolError
  }
  throw new Error(`expected ${code}, but the operation succeeded`)
}

/** Seeding helpers that go through the port only. */
export class Seeder {
  private invites = 0
  constructor(readonly store: ServerStore) {}

  async entry(
    handle: string,
    fields: { displayName?: string; title?: string; organisation?: string; country?: string } = {},
  ) {
    return this.store.createEntry({
      handle,
      displayName: fields.displayName ?? handle,
      title: fields.title,
      organisation: fields.organisation,
      country: fields.country,
      kind: "member",
      createdAt: T0,
    })
  }

  async invite(handle: string, options: { expiresAt?: number; kind?: "operator" | "device" } = {}) {
    const hash = sha256(
      new TextEncoder().encode(`invite-${handle}-${++this.invites}-${toB64(randomBytes(8))}`),
    )
    await this.store.createInvite({
      hash,
      handle,
      kind: options.kind ?? "operator",
      createdAt: T0,
      expiresAt: options.expiresAt ?? T0 + 7 * day,
    })
    return hash
  }

  /** Creates the entry if needed and enrols one device; returns its id. */
  async device(handle: string, at = T0): Promise<string> {
    if ((await this.store.getEntry(handle)) === undefined) await this.entry(handle)
    const hash = await this.invite(handle)
    const deviceId = newDeviceId()
    await this.store.enrolDevice({
      inviteHash: hash,
      deviceId,
      name: "laptop",
      signaturePublicKey: randomBytes(32),
      tracemarkPublicKey: randomBytes(32),
      at,
      maxDevices: 10,
    })
    return deviceId
  }

  async group(creator: string, members: string[] = []): Promise<string> {
    const groupId = newGroupId()
    await this.store.createGroup(groupId, creator, T0)
    if (members.length > 0) {
      await this.store.commit(commitOf(groupId, creator, 0n, { add: members }))
    }
    return groupId
  }
}

export function commitOf(
  groupId: string,
  sender: string,
  epoch: bigint,
  change: { add?: string[]; remove?: string[]; bytes?: Uint8Array; at?: number } = {},
): CommitRecord {
  const commit = change.bytes ?? blob("commit")
  const add = change.add ?? []
  return {
    groupId,
    senderDeviceId: sender,
    epoch,
    commit,
    commitHash: sha256(commit),
    welcome: add.length > 0 ? blob("welcome") : undefined,
    add,
    remove: change.remove ?? [],
    at: change.at ?? T0,
    maxGroupDevices: 1000,
  }
}

export function messageOf(
  groupId: string,
  sender: string,
  epoch: bigint,
  options: { bytes?: Uint8Array; at?: number; expiresAt?: number } = {},
): MessageRecord {
  const message = options.bytes ?? blob("message")
  return {
    groupId,
    senderDeviceId: sender,
    epoch,
    message,
    messageHash: sha256(message),
    at: options.at ?? T0,
    ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
  }
}

async function seqs(store: ServerStore, deviceId: string, after = 0): Promise<number[]> {
  return (await store.fetchQueue(deviceId, after, 500)).items.map((i) => i.seq)
}

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`ServerStore contract: ${name}`, () => {
    describe("directory", () => {
      it("creates an entry once and refuses a second one with HANDLE_TAKEN", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        await seed.entry("alice", { displayName: "Alice", title: "Minister" })
        await expectCode(seed.entry("alice"), "HANDLE_TAKEN")
        const entry = await store.getEntry("alice")
        expect(entry).toMatchObject({
          handle: "alice",
          displayName: "Alice",
          title: "Minister",
          kind: "member",
        })
        expect(entry?.devices).toEqual([])
        expect(await store.getEntry("nobody")).toBeUndefined()
        await store.close()
      })

      it("searches handle, name, title, organisation and country, ignoring case, up to the limit", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        await seed.entry("fr.president", { displayName: "Président de la République", country: "France" })
        await seed.entry("nato.sg", { displayName: "Secretary General", organisation: "NATO" })
        await seed.entry("de.chancellor", {
          displayName: "Bundeskanzler",
          title: "Chancellor",
          country: "Germany",
        })
        const handles = async (q: string, limit = 10) =>
          (await store.searchEntries(q, limit)).map((e) => e.handle)
        expect(await handles("nato")).toEqual(["nato.sg"])
        expect(await handles("GERMANY")).toEqual(["de.chancellor"])
        expect(await handles("président")).toEqual(["fr.president"])
        expect(await handles("PRÉSIDENT")).toEqual(["fr.president"])
        expect(await handles("chancellor")).toEqual(["de.chancellor"])
        expect(await handles("")).toEqual(["de.chancellor", "fr.president", "nato.sg"])
        expect(await handles("", 2)).toEqual(["de.chancellor", "fr.president"])
        expect(await handles("nobody-matches-this")).toEqual([])
        await store.close()
      })

      it("looks up by handle and by device id, omitting unknown ones", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const bobDevice = await seed.device("bob")
        await seed.entry("alice")
        const found = await store.lookupEntries(["alice", "zed"], [bobDevice, newDeviceId()])
        expect(found.map((e) => e.handle)).toEqual(["alice", "bob"])
        expect(found[1]?.devices.map((d) => d.deviceId)).toEqual([bobDevice])
        expect((await store.listEntries()).map((e) => e.handle)).toEqual(["alice", "bob"])
        await store.close()
      })
    })

    describe("invites and enrolment", () => {
      it("enrols a device with an invite exactly once", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        await seed.entry("alice")
        const hash = await seed.invite("alice")
        const key = randomBytes(32)
        const deviceId = newDeviceId()
        const request = {
          inviteHash: hash,
          deviceId,
          name: "phone",
          signaturePublicKey: key,
          tracemarkPublicKey: randomBytes(32),
          at: T0 + 1000,
          maxDevices: 10,
        }
        const result = await store.enrolDevice(request)
        expect(result.retried).toBe(false)
        expect(result.device).toMatchObject({
          deviceId,
          handle: "alice",
          name: "phone",
          createdAt: T0 + 1000,
        })
        expect(result.device.signaturePublicKey).toEqual(new Uint8Array(key))
        expect(result.entry.devices.map((d) => d.deviceId)).toEqual([deviceId])
        expect(await store.getDevice(deviceId)).toMatchObject({ deviceId, handle: "alice" })

        // The same invite with another key is used up; with the same key it is a retry.
        await expectCode(
          store.enrolDevice({ ...request, deviceId: newDeviceId(), signaturePublicKey: randomBytes(32) }),
          "INVITE_USED",
        )
        const retry = await store.enrolDevice({ ...request, deviceId: newDeviceId() })
        expect(retry.retried).toBe(true)
        expect(retry.device.deviceId).toBe(deviceId)
        expect((await store.getEntry("alice"))?.devices).toHaveLength(1)
        await store.close()
      })

      it("refuses unknown and expired invites and an entry-less invite", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        await seed.entry("alice")
        const hash = await seed.invite("alice", { expiresAt: T0 + 1000 })
        const request = {
          inviteHash: hash,
          deviceId: newDeviceId(),
          name: "phone",
          signaturePublicKey: randomBytes(32),
          tracemarkPublicKey: randomBytes(32),
          at: T0 + 1000,
          maxDevices: 10,
        }
        await expectCode(store.enrolDevice(request), "INVITE_EXPIRED")
        await expectCode(
          store.enrolDevice({ ...request, inviteHash: sha256(randomBytes(8)) }),
          "INVITE_INVALID",
        )
        await expectCode(seed.invite("nobody"), "ENTRY_NOT_FOUND")
        // One millisecond earlier the same invite works: expiry is exact.
        await store.enrolDevice({ ...request, at: T0 + 999 })
        await store.close()
      })

      it("enforces the device limit and one device per signature key", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        await seed.device("alice")
        await seed.device("alice")
        const hash = await seed.invite("alice")
        const request = {
          inviteHash: hash,
          deviceId: newDeviceId(),
          name: "third",
          signaturePublicKey: randomBytes(32),
          tracemarkPublicKey: randomBytes(32),
          at: T0,
          maxDevices: 2,
        }
        await expectCode(store.enrolDevice(request), "FORBIDDEN")
        const taken = (await store.getEntry("alice"))?.devices[0]?.signaturePublicKey
        expect(taken).toBeDefined()
        await expectCode(
          store.enrolDevice({ ...request, maxDevices: 10, signaturePublicKey: taken ?? new Uint8Array() }),
          "KEY_INVALID",
        )
        // Neither failure consumed the invite.
        const ok = await store.enrolDevice({ ...request, maxDevices: 10 })
        expect(ok.retried).toBe(false)
        await store.close()
      })

      it("queues a device-enrolled event to the user's other active devices", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const first = await seed.device("alice")
        const second = await seed.device("alice", T0 + 1)
        const firstItems = (await store.fetchQueue(first, 0, 10)).items
        expect(firstItems).toHaveLength(1)
        expect(firstItems[0]).toMatchObject({
          seq: 1,
          kind: "event",
          event: { type: "device-enrolled", handle: "alice", deviceId: second },
          at: T0 + 1,
        })
        expect(await seqs(store, second)).toEqual([])
        await store.revokeDevice(first, T0 + 2)
        const hash = await seed.invite("alice", { kind: "device" })
        const third = newDeviceId()
        const result = await store.enrolDevice({
          inviteHash: hash,
          deviceId: third,
          name: "tablet",
          signaturePublicKey: randomBytes(32),
          tracemarkPublicKey: randomBytes(32),
          at: T0 + 5,
          maxDevices: 10,
        })
        // Only the active other device hears of it; the revoked one has no queue any more.
        expect(result.delivered).toEqual([{ deviceId: second, seq: 1 }])
        const page = await store.fetchQueue(second, 0, 10)
        expect(page.items).toHaveLength(1)
        expect(page.items[0]).toMatchObject({
          seq: 1,
          kind: "event",
          event: { type: "device-enrolled", handle: "alice", deviceId: third },
          at: T0 + 5,
        })
        expect(page.items[0]?.sender).toBeUndefined()
        expect(page.items[0]?.data).toBeUndefined()
        expect(await seqs(store, first)).toEqual([])
        expect(await seqs(store, third)).toEqual([])
        await store.close()
      })
    })

    describe("devices and key packages", () => {
      it("revokes a device, dropping its queue and key packages", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        await store.addKeyPackages(bob, [blob("kp")], blob("lr"), 1000)
        const group = await seed.group(alice, [bob])
        await store.sendMessage(messageOf(group, alice, 1n))
        expect((await store.stats()).queueItems).toBe(2)
        expect(await store.revokeDevice(bob, T0 + 9)).toEqual({ alreadyRevoked: false })
        expect(await store.revokeDevice(bob, T0 + 10)).toEqual({ alreadyRevoked: true })
        expect((await store.getDevice(bob))?.revokedAt).toBe(T0 + 9)
        const stats = await store.stats()
        expect(stats.queueItems).toBe(0)
        expect(stats.bodies).toBe(0)
        expect(stats.keyPackages).toBe(0)
        await expectCode(store.revokeDevice(newDeviceId(), T0), "DEVICE_NOT_FOUND")
        await expectCode(store.keyPackageCount(bob), "DEVICE_REVOKED")
        // A revoked member stays on the roster (so a commit may remove it) but receives nothing.
        const sent = await store.sendMessage(messageOf(group, alice, 1n))
        expect(sent.delivered).toEqual([])
        expect((await store.getGroup(group))?.members.map((m) => m.deviceId).sort()).toEqual(
          [alice, bob].sort(),
        )
        await store.close()
      })

      it("counts key packages, caps unclaimed ones and replaces the last resort", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        expect(await store.keyPackageCount(alice)).toEqual({ available: 0, lastResort: false })
        expect(await store.addKeyPackages(alice, [blob("a"), blob("b")], undefined, 3)).toEqual({
          available: 2,
          lastResort: false,
        })
        const err = await expectCode(
          store.addKeyPackages(alice, [blob("c"), blob("d")], blob("lr"), 3),
          "VALIDATION_FAILED",
        )
        expect(err.details.field).toBe("keyPackages")
        // The refused upload changed nothing, not even the last resort.
        expect(await store.keyPackageCount(alice)).toEqual({ available: 2, lastResort: false })
        expect(await store.addKeyPackages(alice, [], blob("lr"), 3)).toEqual({
          available: 2,
          lastResort: true,
        })
        await store.close()
      })

      it("claims one-time key packages oldest first, then the last resort, which is kept", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const [k1, k2, lr1, lr2] = [blob("k1"), blob("k2"), blob("lr1"), blob("lr2")]
        await store.addKeyPackages(bob, [k1, k2], lr1, 1000)
        await store.addKeyPackages(bob, [], lr2, 1000)
        const claim = () => store.claimKeyPackages({ handles: [], deviceIds: [bob], exclude: alice })
        expect(await claim()).toEqual([{ handle: "bob", deviceId: bob, keyPackage: k1, lastResort: false }])
        expect(await claim()).toEqual([{ handle: "bob", deviceId: bob, keyPackage: k2, lastResort: false }])
        expect(await claim()).toEqual([{ handle: "bob", deviceId: bob, keyPackage: lr2, lastResort: true }])
        expect(await claim()).toEqual([{ handle: "bob", deviceId: bob, keyPackage: lr2, lastResort: true }])
        expect(await store.keyPackageCount(bob)).toEqual({ available: 0, lastResort: true })
        await store.close()
      })

      it("claims for every active device of a handle except the claimer, once each", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const a1 = await seed.device("alice")
        const a2 = await seed.device("alice")
        const a3 = await seed.device("alice")
        const b1 = await seed.device("bob")
        for (const d of [a1, a2, a3, b1]) await store.addKeyPackages(d, [blob(d)], undefined, 1000)
        await store.revokeDevice(a3, T0)
        const claimed = await store.claimKeyPackages({
          handles: ["alice", "bob", "bob"],
          deviceIds: [b1],
          exclude: a1,
        })
        expect(claimed.map((c) => c.deviceId).sort()).toEqual([a2, b1].sort())
        expect((await store.stats()).keyPackages).toBe(1) // a1's own, untouched
        await expectCode(
          store.claimKeyPackages({ handles: ["nobody"], deviceIds: [], exclude: a1 }),
          "ENTRY_NOT_FOUND",
        )
        await expectCode(
          store.claimKeyPackages({ handles: [], deviceIds: [a3], exclude: a1 }),
          "DEVICE_NOT_FOUND",
        )
        await expectCode(
          store.claimKeyPackages({ handles: [], deviceIds: [newDeviceId()], exclude: a1 }),
          "DEVICE_NOT_FOUND",
        )
        await store.close()
      })

      it("consumes nothing when one requested device has no key package at all", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const carol = await seed.device("carol")
        await store.addKeyPackages(bob, [blob("b")], undefined, 1000)
        const err = await expectCode(
          store.claimKeyPackages({ handles: ["bob", "carol"], deviceIds: [], exclude: alice }),
          "KEY_PACKAGES_EXHAUSTED",
        )
        expect(err.details.field).toBe(carol)
        expect(await store.keyPackageCount(bob)).toEqual({ available: 1, lastResort: false })
        await store.close()
      })
    })

    describe("groups and commits", () => {
      it("creates a group at epoch 0 with its creator, once", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const groupId = newGroupId()
        const group = await store.createGroup(groupId, alice, T0 + 3)
        expect(group).toMatchObject({
          groupId,
          epoch: 0n,
          members: [{ deviceId: alice, handle: "alice", since: T0 + 3 }],
        })
        await expectCode(store.createGroup(groupId, alice, T0), "GROUP_EXISTS")
        expect(await store.getGroup(groupId)).toMatchObject({ epoch: 0n })
        expect(await store.getGroup(newGroupId())).toBeUndefined()
        await store.close()
      })

      it("accepts the first commit for an epoch and refuses the rest with EPOCH_CONFLICT", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [bob])
        const first = await store.commit(commitOf(group, bob, 1n))
        expect(first).toMatchObject({ epoch: 2n, duplicate: false })
        const conflict = await expectCode(store.commit(commitOf(group, alice, 1n)), "EPOCH_CONFLICT")
        expect(conflict.details.epoch).toBe("2")
        const ahead = await expectCode(store.commit(commitOf(group, alice, 5n)), "EPOCH_CONFLICT")
        expect(ahead.details.epoch).toBe("2")
        expect((await store.getGroup(group))?.epoch).toBe(2n)
        await store.close()
      })

      it("queues a commit to the old roster minus the sender and the Welcome to added devices", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const alice2 = await seed.device("alice")
        const bob = await seed.device("bob")
        const carol = await seed.device("carol")
        const group = await seed.group(alice, [alice2, bob])
        await store.ack(alice, 100)
        const before = { alice2: await seqs(store, alice2), bob: await seqs(store, bob) }
        const request = commitOf(group, alice, 1n, { add: [carol], remove: [bob], at: T0 + 7 })
        const result = await store.commit(request)
        expect(result.epoch).toBe(2n)
        expect(result.commitDelivered.map((d) => d.deviceId).sort()).toEqual([alice2, bob].sort())
        expect(result.welcomeDelivered).toEqual([{ deviceId: carol, seq: 1 }])
        const bobItems = (await store.fetchQueue(bob, before.bob.at(-1) ?? 0, 10)).items
        expect(bobItems).toHaveLength(1)
        expect(bobItems[0]).toMatchObject({
          kind: "commit",
          groupId: group,
          sender: { handle: "alice", deviceId: alice },
          data: request.commit,
          at: T0 + 7,
        })
        const carolItems = (await store.fetchQueue(carol, 0, 10)).items
        expect(carolItems).toEqual([
          expect.objectContaining({ seq: 1, kind: "welcome", groupId: group, data: request.welcome }),
        ])
        expect(await seqs(store, alice)).toEqual([])
        const roster = (await store.getGroup(group))?.members.map((m) => m.deviceId).sort()
        expect(roster).toEqual([alice, alice2, carol].sort())
        await store.close()
      })

      it("recognises a retried commit as a duplicate and queues nothing twice", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [bob])
        const request = commitOf(group, alice, 1n)
        expect(await store.commit(request)).toMatchObject({ epoch: 2n, duplicate: false })
        const queued = (await store.stats()).queueItems
        expect(await store.commit(request)).toMatchObject({
          epoch: 2n,
          duplicate: true,
          commitDelivered: [],
          welcomeDelivered: [],
        })
        expect((await store.stats()).queueItems).toBe(queued)
        // The same bytes from another member are not a retry.
        await expectCode(store.commit({ ...request, senderDeviceId: bob }), "EPOCH_CONFLICT")
        // Once a later commit is accepted, the old one is simply stale.
        await store.commit(commitOf(group, bob, 2n))
        await expectCode(store.commit(request), "EPOCH_CONFLICT")
        await store.close()
      })

      it("refuses invalid roster changes and leaves the group untouched", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const carol = await seed.device("carol")
        const revoked = await seed.device("dave")
        await store.revokeDevice(revoked, T0)
        const group = await seed.group(alice, [bob])
        const queued = (await store.stats()).queueItems
        const invalid: { add?: string[]; remove?: string[] }[] = [
          { add: [bob] },
          { add: [newDeviceId()] },
          { add: [revoked] },
          { add: [carol, carol] },
          { remove: [carol] },
          { remove: [alice] },
          { add: [carol], remove: [carol] },
        ]
        for (const change of invalid) {
          await expectCode(store.commit(commitOf(group, alice, 1n, change)), "MEMBERSHIP_INVALID")
        }
        await expectCode(
          store.commit({ ...commitOf(group, alice, 1n, { add: [carol] }), maxGroupDevices: 2 }),
          "MEMBERSHIP_INVALID",
        )
        const after = await store.getGroup(group)
        expect(after?.epoch).toBe(1n)
        expect(after?.members.map((m) => m.deviceId).sort()).toEqual([alice, bob].sort())
        expect((await store.stats()).queueItems).toBe(queued)
        await store.close()
      })

      it("refuses commits from non-members and for unknown groups", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const eve = await seed.device("eve")
        const group = await seed.group(alice)
        await expectCode(store.commit(commitOf(group, eve, 0n)), "NOT_A_MEMBER")
        await expectCode(store.commit(commitOf(newGroupId(), alice, 0n)), "GROUP_NOT_FOUND")
        await store.revokeDevice(alice, T0)
        await expectCode(store.commit(commitOf(group, alice, 0n)), "DEVICE_REVOKED")
        await store.close()
      })
    })

    describe("application messages and queues", () => {
      it("stores a message once and queues it for every other member device, the sender's included", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const alice2 = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [alice2, bob])
        const bodiesBefore = (await store.stats()).bodies
        const request = messageOf(group, alice, 1n, { at: T0 + 11 })
        const result = await store.sendMessage(request)
        expect(result.duplicate).toBe(false)
        expect(result.epoch).toBe(1n)
        expect(result.delivered.map((d) => d.deviceId).sort()).toEqual([alice2, bob].sort())
        expect((await store.stats()).bodies).toBe(bodiesBefore + 1)
        for (const d of result.delivered) {
          const page = await store.fetchQueue(d.deviceId, d.seq - 1, 10)
          expect(page.items).toEqual([
            expect.objectContaining({
              seq: d.seq,
              kind: "message",
              groupId: group,
              sender: { handle: "alice", deviceId: alice },
              data: request.message,
              at: T0 + 11,
            }),
          ])
        }
        await store.close()
      })

      it("refuses a message for another epoch with STALE_EPOCH and the current epoch", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [bob])
        const stale = await expectCode(store.sendMessage(messageOf(group, alice, 0n)), "STALE_EPOCH")
        expect(stale.details.epoch).toBe("1")
        await expectCode(store.sendMessage(messageOf(group, alice, 2n)), "STALE_EPOCH")
        const eve = await seed.device("eve")
        await expectCode(store.sendMessage(messageOf(group, eve, 1n)), "NOT_A_MEMBER")
        await expectCode(store.sendMessage(messageOf(newGroupId(), alice, 1n)), "GROUP_NOT_FOUND")
        await store.close()
      })

      it("recognises a resent message as a duplicate while it is queued", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [bob])
        const request = messageOf(group, alice, 1n)
        await store.sendMessage(request)
        const again = await store.sendMessage(request)
        expect(again).toMatchObject({ duplicate: true, delivered: [], epoch: 1n })
        // Even after the epoch moved on, the retry of a queued message is a duplicate, not stale.
        await store.commit(commitOf(group, bob, 1n))
        expect((await store.sendMessage(request)).duplicate).toBe(true)
        const messages = (await store.fetchQueue(bob, 0, 50)).items.filter((i) => i.kind === "message")
        expect(messages).toHaveLength(1)
        await store.close()
      })

      it("stores a message sent twice in one batch once, and again once every copy is acknowledged", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const carol = await seed.device("carol")
        const group = await seed.group(alice, [bob, carol])
        const request = messageOf(group, alice, 1n)
        const [first, second] = await Promise.all([store.sendMessage(request), store.sendMessage(request)])
        expect([first.duplicate, second.duplicate].sort()).toEqual([false, true])
        // The same bytes in another group are another message.
        const other = await seed.group(alice, [bob])
        expect((await store.sendMessage({ ...request, groupId: other })).duplicate).toBe(false)
        const messages = async (device: string) =>
          (await store.fetchQueue(device, 0, 50)).items.filter((i) => i.kind === "message")
        expect(await messages(carol)).toHaveLength(1)
        // While one copy is still queued (carol's), a retry is still a duplicate.
        await store.ack(bob, 100)
        expect((await store.sendMessage(request)).duplicate).toBe(true)
        // Once nobody holds it, the body is gone and the same bytes are queued again.
        await store.ack(carol, 100)
        const after = await store.sendMessage(request)
        expect(after.duplicate).toBe(false)
        expect(after.delivered.map((d) => d.deviceId).sort()).toEqual([bob, carol].sort())
        expect((await store.sendMessage(request)).duplicate).toBe(true)
        await store.close()
      })

      it("pages a queue in seq order with `more`, and never reuses a seq after acknowledgement", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [bob])
        for (let i = 0; i < 5; i++) await store.sendMessage(messageOf(group, alice, 1n))
        const all = await seqs(store, bob)
        expect(all).toEqual([1, 2, 3, 4, 5, 6]) // the Welcome, then five messages
        const page = await store.fetchQueue(bob, 2, 2)
        expect(page.items.map((i) => i.seq)).toEqual([3, 4])
        expect(page.more).toBe(true)
        expect((await store.fetchQueue(bob, 4, 2)).more).toBe(false)
        expect(await store.ack(bob, 4)).toBe(4)
        expect(await store.ack(bob, 4)).toBe(0)
        expect(await seqs(store, bob)).toEqual([5, 6])
        expect(await store.ack(bob, 6)).toBe(2)
        await store.sendMessage(messageOf(group, alice, 1n))
        expect(await seqs(store, bob)).toEqual([7])
        await store.close()
      })

      it("stops a page at the byte budget, but always returns at least one item", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [bob])
        await store.ack(bob, 100)
        for (let i = 0; i < 3; i++) {
          await store.sendMessage(messageOf(group, alice, 1n, { bytes: new Uint8Array(100).fill(i + 1) }))
        }
        const page = async (maxBytes: number) => {
          const p = await store.fetchQueue(bob, 0, 10, maxBytes)
          return { n: p.items.length, more: p.more }
        }
        expect(await page(10)).toEqual({ n: 1, more: true })
        expect(await page(199)).toEqual({ n: 1, more: true })
        expect(await page(200)).toEqual({ n: 2, more: true })
        expect(await page(300)).toEqual({ n: 3, more: false })
        expect((await store.fetchQueue(bob, 0, 2, 1000)).more).toBe(true)
        await store.close()
      })

      it("deletes a body when the last device holding it acknowledges", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const carol = await seed.device("carol")
        const group = await seed.group(alice, [bob, carol])
        await store.ack(bob, 100)
        await store.ack(carol, 100)
        expect((await store.stats()).bodies).toBe(0)
        const sent = await store.sendMessage(messageOf(group, alice, 1n))
        expect((await store.stats()).bodies).toBe(1)
        const [first, second] = sent.delivered
        if (first === undefined || second === undefined) throw new Error("two recipients expected")
        await store.ack(first.deviceId, first.seq)
        expect((await store.stats()).bodies).toBe(1)
        expect((await store.fetchQueue(second.deviceId, 0, 10)).items[0]?.data).toBeDefined()
        await store.ack(second.deviceId, second.seq)
        expect(await store.stats()).toMatchObject({ bodies: 0, queueItems: 0 })
        await store.close()
      })

      it("purges items older than the cut-off and their bodies", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const group = await seed.group(alice, [bob])
        await store.ack(bob, 100)
        await store.sendMessage(messageOf(group, alice, 1n, { at: T0 + 1000 }))
        await store.sendMessage(messageOf(group, alice, 1n, { at: T0 + 31 * day }))
        expect(await store.purgeExpired(T0 + 1000)).toBe(0)
        expect(await store.purgeExpired(T0 + 1001)).toBe(1)
        expect((await store.fetchQueue(bob, 0, 10)).items.map((i) => i.at)).toEqual([T0 + 31 * day])
        expect((await store.stats()).bodies).toBe(1)
        await store.close()
      })

      it("deletes every queued copy of a message once its sender-set expiry passes, and nothing else", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const carol = await seed.device("carol")
        const group = await seed.group(alice, [bob, carol])
        await store.ack(bob, 100)
        await store.ack(carol, 100)
        const expiring = blob("expiring")
        const kept = blob("kept")
        await store.sendMessage(messageOf(group, alice, 1n, { bytes: expiring, expiresAt: T0 + 60_000 }))
        await store.sendMessage(messageOf(group, alice, 1n, { bytes: kept }))
        expect(await store.purgeExpiredMessages(T0 + 59_999)).toBe(0)
        expect((await store.fetchQueue(bob, 0, 10)).items).toHaveLength(2)
        expect(await store.purgeExpiredMessages(T0 + 60_000)).toBe(2)
        for (const device of [bob, carol]) {
          const items = (await store.fetchQueue(device, 0, 10)).items
          expect(items).toHaveLength(1)
          expect(items[0]?.data).toEqual(kept)
        }
        expect(await store.stats()).toMatchObject({ bodies: 1, queueItems: 2 })
        expect(await store.purgeExpiredMessages(T0 + 120_000)).toBe(0)
        await store.close()
      })
    })

    describe("settings", () => {
      it("stores and replaces operator settings", async () => {
        const store = await factory.create()
        expect(await store.getSetting("labels")).toBeUndefined()
        await store.setSetting("labels", "[1]")
        await store.setSetting("labels", "[2]")
        expect(await store.getSetting("labels")).toBe("[2]")
        await store.close()
      })
    })

    describe("concurrency", () => {
      it("keeps each device's seq contiguous under concurrent sends", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const alice = await seed.device("alice")
        const bob = await seed.device("bob")
        const carol = await seed.device("carol")
        const group = await seed.group(alice, [bob])
        const group2 = await seed.group(carol, [bob])
        await store.ack(bob, 100)
        const sends = []
        for (let i = 0; i < 40; i++) {
          sends.push(store.sendMessage(messageOf(group, alice, 1n)))
          sends.push(store.sendMessage(messageOf(group2, carol, 1n)))
        }
        const results = await Promise.all(sends)
        const bobSeqs = results.flatMap((r) =>
          r.delivered.filter((d) => d.deviceId === bob).map((d) => d.seq),
        )
        expect(bobSeqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, i) => i + 3))
        expect(await seqs(store, bob)).toEqual(Array.from({ length: 80 }, (_, i) => i + 3))
        await store.close()
      })

      it("lets exactly one of several concurrent commits for an epoch win", async () => {
        const store = await factory.create()
        const seed = new Seeder(store)
        const devices = [await seed.device("a"), await seed.device("b"), await seed.device("c")]
        const [creator, ...others] = devices
        if (creator === undefined) throw new Error("no creator")
        const group = await seed.group(creator, others)
        const outcomes = await Promise.allSettled(devices.map((d) => store.commit(commitOf(group, d, 1n))))
        const won = outcomes.filter((o) => o.status === "fulfilled")
        const lost = outcomes.filter((o) => o.status === "rejected")
        expect(won).toHaveLength(1)
        expect(lost).toHaveLength(2)
        for (const o of lost) expect((o.reason as ProtocolError).code).toBe("EPOCH_CONFLICT")
        expect((await store.getGroup(group))?.epoch).toBe(2n)
        await store.close()
      })
    })

    if (factory.reopen !== undefined) {
      const reopen = factory.reopen.bind(factory)
      describe("persistence", () => {
        it("keeps data and seq counters across a reopen", async () => {
          const store = await factory.create()
          const seed = new Seeder(store)
          const alice = await seed.device("alice")
          const bob = await seed.device("bob")
          const group = await seed.group(alice, [bob])
          await store.sendMessage(messageOf(group, alice, 1n))
          expect(await seqs(store, bob)).toEqual([1, 2])
          await store.ack(bob, 2)
          await store.close()
          const again = await reopen()
          expect((await again.getGroup(group))?.epoch).toBe(1n)
          expect(await seqs(again, bob)).toEqual([])
          const sent = await again.sendMessage(messageOf(group, alice, 1n))
          expect(sent.delivered).toEqual([{ deviceId: bob, seq: 3 }])
          await again.close()
        })

        it("recognises a message queued before a restart as a duplicate after it", async () => {
          const store = await factory.create()
          const seed = new Seeder(store)
          const alice = await seed.device("alice")
          const bob = await seed.device("bob")
          const group = await seed.group(alice, [bob])
          const kept = messageOf(group, alice, 1n)
          const acked = messageOf(group, alice, 1n)
          await store.sendMessage(acked)
          await store.ack(bob, 2) // the Welcome and `acked`
          await store.sendMessage(kept)
          await store.close()
          const again = await reopen()
          expect(await again.sendMessage(kept)).toMatchObject({ duplicate: true, delivered: [] })
          expect((await again.sendMessage(acked)).duplicate).toBe(false)
          expect(await seqs(again, bob)).toEqual([3, 4])
          await again.close()
        })
      })
    }
  })
}
