import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { toB64, utf8 } from "@backchannel/protocol"
import type { DirectoryEntry } from "@backchannel/protocol"
import type { Delivery } from "../ports/delivery.js"
import { DirectoryAuthenticationService } from "../engine/auth-service.js"
import { Directory } from "../engine/directory.js"
import { MemoryStore } from "../store/memory-store.js"
import { generateDeviceKeys } from "../identity/device-keys.js"
import { MlsEngine } from "./mls-engine.js"
import { defaultSuite, loadSuite } from "./suite.js"

const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) }
const clock = { now: () => Date.now() }

interface Person {
  handle: string
  deviceId: string
  keys: ReturnType<typeof generateDeviceKeys>
}

function person(handle: string): Person {
  return { handle, deviceId: toB64(random.bytes(16)), keys: generateDeviceKeys(random) }
}

function entryOf(p: Person, signaturePublicKey = p.keys.signature.publicKey): DirectoryEntry {
  return {
    handle: p.handle,
    displayName: p.handle,
    kind: "member",
    createdAt: 0,
    devices: [
      {
        deviceId: p.deviceId,
        name: "test",
        signaturePublicKey: toB64(signaturePublicKey),
        tracemarkPublicKey: toB64(p.keys.tracemark.publicKey),
        createdAt: 0,
      },
    ],
  }
}

/** A directory served from a fixed list: the engine under test is the MLS adapter and its checks. */
function directoryWith(entries: DirectoryEntry[]): Directory {
  const lookup = (req: { handles?: string[] }) =>
    Promise.resolve(entries.filter((e) => req.handles?.includes(e.handle) === true))
  return new Directory(new MemoryStore(), { lookup } as unknown as Delivery, clock)
}

async function engineFor(entries: DirectoryEntry[], rejections: string[] = []): Promise<MlsEngine> {
  const suite = await loadSuite(defaultSuite)
  return new MlsEngine(
    suite,
    new DirectoryAuthenticationService(directoryWith(entries), (r) => rejections.push(r)),
  )
}

describe("MlsEngine", () => {
  const alice = person("alice")
  const bob = person("bob")
  const carol = person("carol")
  const everyone = [alice, bob, carol].map((p) => entryOf(p))

  it("creates a group, welcomes members with metadata, and names the sender of each message", async () => {
    const engine = await engineFor(everyone)
    const groupId = random.bytes(32)
    const aliceKp = await engine.generateKeyPackage(alice.handle, alice.deviceId, alice.keys.signature)
    let aliceState = await engine.createGroup(groupId, aliceKp)
    const bobKp = await engine.generateKeyPackage(bob.handle, bob.deviceId, bob.keys.signature)
    const carolKp = await engine.generateKeyPackage(carol.handle, carol.deviceId, carol.keys.signature)
    const added = await engine.commitAdd(
      aliceState,
      [bobKp.publicPackage, carolKp.publicPackage],
      utf8('{"name":"Summit"}'),
    )
    aliceState = added.newState

    expect(engine.welcomeRefs(added.welcome).sort()).toEqual([bobKp.ref, carolKp.ref].sort())
    const bobJoin = await engine.join(added.welcome, bobKp)
    expect(new TextDecoder().decode(bobJoin.meta)).toBe('{"name":"Summit"}')
    let carolState = (await engine.join(added.welcome, carolKp)).state
    expect(engine.members(bobJoin.state).map((m) => m.handle)).toEqual(["alice", "bob", "carol"])

    const fromCarol = await engine.encrypt(carolState, utf8("paragraph 4"))
    carolState = fromCarol.newState
    const atBob = await engine.process(bobJoin.state, fromCarol.message)
    expect(atBob.kind).toBe("application")
    if (atBob.kind !== "application") return
    expect(new TextDecoder().decode(atBob.plaintext)).toBe("paragraph 4")
    expect(atBob.sender).toMatchObject({ handle: "carol", deviceId: carol.deviceId })

    // The same ciphertext cannot be processed twice with the advanced state (no replay).
    await expect(engine.process(atBob.newState, fromCarol.message)).rejects.toThrow()
  })

  it("reports membership changes and cuts a removed member off", async () => {
    const engine = await engineFor(everyone)
    const kps = await Promise.all(
      [alice, bob, carol].map((p) => engine.generateKeyPackage(p.handle, p.deviceId, p.keys.signature)),
    )
    const [aKp, bKp, cKp] = kps as [(typeof kps)[0], (typeof kps)[0], (typeof kps)[0]]
    let a = await engine.createGroup(random.bytes(32), aKp)
    const add = await engine.commitAdd(a, [bKp.publicPackage, cKp.publicPackage], utf8("{}"))
    a = add.newState
    let b = (await engine.join(add.welcome, bKp)).state
    let c = (await engine.join(add.welcome, cKp)).state

    const carolLeaf = engine.members(a).find((m) => m.handle === "carol")?.leafIndex ?? -1
    const removal = await engine.commitRemove(a, [carolLeaf])
    a = removal.newState
    const atBob = await engine.process(b, removal.commit)
    expect(atBob.kind).toBe("commit")
    if (atBob.kind !== "commit") return
    expect(atBob.removed.map((m) => m.handle)).toEqual(["carol"])
    expect(atBob.added).toEqual([])
    expect(atBob.committer?.handle).toBe("alice")
    b = atBob.newState
    const atCarol = await engine.process(c, removal.commit)
    expect(atCarol.kind === "commit" && atCarol.removedSelf).toBe(true)
    c = atCarol.newState

    const secret = await engine.encrypt(a, utf8("after carol left"))
    const bobReads = await engine.process(b, secret.message)
    expect(bobReads.kind).toBe("application")
    await expect(engine.process(c, secret.message)).rejects.toThrow()
  })

  it("survives a state round trip through its encoding", async () => {
    const engine = await engineFor(everyone)
    const aKp = await engine.generateKeyPackage(alice.handle, alice.deviceId, alice.keys.signature)
    const bKp = await engine.generateKeyPackage(bob.handle, bob.deviceId, bob.keys.signature)
    const a = await engine.createGroup(random.bytes(32), aKp)
    const add = await engine.commitAdd(a, [bKp.publicPackage], utf8("{}"))
    const b = (await engine.join(add.welcome, bKp)).state
    const restored = engine.decodeState(engine.encodeState(add.newState))
    const msg = await engine.encrypt(restored, utf8("restored"))
    const read = await engine.process(b, msg.message)
    expect(read.kind === "application" && new TextDecoder().decode(read.plaintext)).toBe("restored")
  })

  it("refuses to join a group whose members' keys do not match the directory", async () => {
    const mallory = person("alice")
    // The directory lists Alice's real key; Mallory builds a leaf claiming to be Alice's device.
    const forgedAlice = { ...mallory, deviceId: alice.deviceId }
    const honest = await engineFor(everyone)
    const rejections: string[] = []
    const bobsEngine = await engineFor(everyone, rejections)
    const forgedKp = await honest.generateKeyPackage(
      forgedAlice.handle,
      forgedAlice.deviceId,
      forgedAlice.keys.signature,
    )
    const bobKp = await honest.generateKeyPackage(bob.handle, bob.deviceId, bob.keys.signature)
    // Mallory's own engine trusts whatever she wants; Bob's checks against the directory.
    const malloryEngine = await engineFor([entryOf(forgedAlice), entryOf(bob)])
    const state = await malloryEngine.createGroup(random.bytes(32), forgedKp)
    const add = await malloryEngine.commitAdd(state, [bobKp.publicPackage], utf8("{}"))
    await expect(bobsEngine.join(add.welcome, bobKp)).rejects.toThrow()
    expect(rejections).toContain("credential does not match the directory")
  })

  it("refuses a key package whose credential names a device the directory does not know", async () => {
    const rejections: string[] = []
    const engine = await engineFor(everyone, rejections)
    const stranger = person("bob")
    const kp = await engine.generateKeyPackage(stranger.handle, stranger.deviceId, stranger.keys.signature)
    const aKp = await engine.generateKeyPackage(alice.handle, alice.deviceId, alice.keys.signature)
    const state = await engine.createGroup(random.bytes(32), aKp)
    await expect(engine.commitAdd(state, [kp.publicPackage], utf8("{}"))).rejects.toThrow()
    expect(rejections.length).toBeGreaterThan(0)
  })
})
