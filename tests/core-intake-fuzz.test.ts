import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BackchannelClient, MemoryStore, NobleSealer, SealedStore } from "@backchannel/core"
import type { ClientPlatform, Delivery } from "@backchannel/core"
import { createNodeCryptoProvider } from "@backchannel/mls-crypto/node"
import { fromB64, toB64 } from "@backchannel/protocol"
import type { QueueItem, QueueResponse } from "@backchannel/protocol"
import { createInvite, startServer } from "@backchannel/server"
import { HttpDelivery } from "@backchannel/transport"
import { person, texts } from "./support/devices.js"
import type { TestDevice } from "./support/devices.js"
import { plain } from "./support/text.js"

// Fuzzing the client engine's intake of incoming MLS messages (in process, fast-check): between the real
// server and Bob's engine sits a queue that adds mutated copies of real items — truncated, bit-flipped,
// extended, random, replayed, for another group, of the wrong kind, not base64 — to what Bob fetches. Bob
// must skip every one of them with a warning (never throw from sync, never show a message that was not
// sent, never show one twice), and keep a working group state: genuine messages still go both ways.

const dataDir = mkdtempSync(join(tmpdir(), "bc-intake-fuzz-"))
let server: Awaited<ReturnType<typeof startServer>>

/**
 * Bob's view of the server queue with fuzz items spliced in. Bob sees virtual seqs: real items are shifted
 * by the number of items injected before them, and acknowledgements are shifted back, so injecting never
 * makes Bob skip or acknowledge a real item he has not processed.
 */
class FuzzQueue {
  offset = 0
  pending: Omit<QueueItem, "seq">[] = []
  readonly real: QueueItem[] = []
  injected = 0

  wrap(delivery: Delivery): Delivery {
    return new Proxy(delivery, {
      get: (target, prop, receiver) => {
        if (prop === "fetchQueue") {
          return async (after: number, limit?: number): Promise<QueueResponse> => {
            const page = await target.fetchQueue(after - this.offset, limit)
            if (page.items.length > 0) {
              this.real.push(...page.items)
              return { ...page, items: page.items.map((item) => ({ ...item, seq: item.seq + this.offset })) }
            }
            if (this.pending.length === 0) return page
            const items = this.pending.splice(0).map((item, i) => ({ ...item, seq: after + 1 + i }))
            this.offset += items.length
            this.injected += items.length
            return { items, more: false }
          }
        }
        if (prop === "ack") {
          return (upTo: number) => target.ack(Math.max(0, upTo - this.offset))
        }
        const value: unknown = Reflect.get(target, prop, receiver)
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
  }
}

const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) }

async function fuzzedPerson(handle: string, queue: FuzzQueue): Promise<BackchannelClient> {
  const store = new SealedStore(new MemoryStore(), new NobleSealer(random.bytes(32), random))
  const platform: ClientPlatform = {
    store,
    clock: { now: () => Date.now() },
    random,
    cryptoProvider: createNodeCryptoProvider(),
    deliveryFor: (serverUrl, credentials) =>
      queue.wrap(
        new HttpDelivery({
          baseUrl: serverUrl,
          ...(credentials ? { credentials } : {}),
          randomBytes: (n) => random.bytes(n),
        }),
      ),
  }
  const { invite } = await createInvite(dataDir, { handle, displayName: handle })
  return BackchannelClient.enrol(
    platform,
    { serverUrl: server.url, invite, deviceName: "fuzzed" },
    { keyPackageTarget: 5 },
  )
}

const mutationArb = fc.record({
  kind: fc.constantFrom(
    "truncate",
    "flip",
    "flip",
    "append",
    "random",
    "replay",
    "otherGroup",
    "asWelcome",
    "asCommit",
    "asMessage",
    "notBase64",
    "noData",
    "noGroup",
  ),
  source: fc.nat(),
  pos: fc.nat(),
  bit: fc.integer({ min: 0, max: 7 }),
  bytes: fc.uint8Array({ maxLength: 64 }),
})

type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never

function mutate(real: QueueItem[], m: Mutation): Omit<QueueItem, "seq"> {
  const withData = real.filter((item) => item.data !== undefined)
  const base = withData[m.source % withData.length] ?? real[0]
  if (base === undefined) throw new Error("no real item to mutate")
  const { seq: _seq, ...item } = base
  const data = fromB64(item.data ?? "")
  const at = data.length === 0 ? 0 : m.pos % data.length
  switch (m.kind) {
    case "truncate":
      return { ...item, data: toB64(data.subarray(0, at)) }
    case "flip": {
      const copy = new Uint8Array(data)
      if (copy.length > 0) copy[at] = (copy[at] ?? 0) ^ (1 << m.bit)
      return { ...item, data: toB64(copy) }
    }
    case "append": {
      const out = new Uint8Array(data.length + m.bytes.length)
      out.set(data)
      out.set(m.bytes, data.length)
      return { ...item, data: toB64(out) }
    }
    case "random":
      return { ...item, data: toB64(m.bytes.length > 0 ? m.bytes : new Uint8Array([0])) }
    case "replay":
      return item
    case "otherGroup":
      return { ...item, groupId: toB64(randomBytes(32)) }
    case "asWelcome":
      return { ...item, kind: "welcome" }
    case "asCommit":
      return { ...item, kind: "commit" }
    case "asMessage":
      return { ...item, kind: "message" }
    case "notBase64":
      return { ...item, data: "%%not base64%%" }
    case "noData":
      return {
        kind: item.kind,
        ...(item.groupId !== undefined ? { groupId: item.groupId } : {}),
        at: item.at,
      }
    case "noGroup":
      return { kind: "message", ...(item.data !== undefined ? { data: item.data } : {}), at: item.at }
  }
  return item
}

let alice: TestDevice
let bob: BackchannelClient
const queue = new FuzzQueue()

beforeAll(async () => {
  server = await startServer({ dataDir, port: 0, logLevel: "silent" })
  alice = await person(dataDir, server.url, "intake-alice")
  bob = await fuzzedPerson("intake-bob", queue)
})

afterAll(async () => {
  await server.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe("fuzzing the client's intake of MLS messages", () => {
  it("skips mutated items with warnings and keeps a working conversation", async () => {
    const warnings: string[] = []
    bob.events.on("warning", (w) => warnings.push(w.code))
    const first = await alice.client.sendText({ to: "intake-bob" }, "hello bob", { confirmNewPeople: true })
    await bob.sync()
    const conversation = first.conversationId
    for (let i = 1; i <= 3; i++) await alice.client.sendText({ conversationId: conversation }, `genuine ${i}`)
    await bob.sync()
    const genuine = ["hello bob", "genuine 1", "genuine 2", "genuine 3"]
    expect((await bob.messages(conversation)).filter((m) => m.kind === "text")).toHaveLength(4)
    expect(queue.real.length).toBeGreaterThanOrEqual(5) // the Welcome and four messages

    let round = 0
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (mutations) => {
        round += 1
        queue.pending.push(...mutations.map((m) => mutate(queue.real, m)))
        const before = warnings.length
        await bob.sync() // must not throw
        expect(queue.pending).toHaveLength(0)
        // Every fuzzed item was refused with a warning or was a harmless repeat; nothing new is shown.
        expect(warnings.length).toBeGreaterThanOrEqual(before)
        const shown = (await bob.messages(conversation)).filter((m) => m.kind === "text")
        expect(new Set(shown.map((m) => m.id)).size).toBe(shown.length)
        expect(shown).toHaveLength(4 + Math.floor((round - 1) / 25))
        // Every 25 rounds, a genuine message still arrives and Bob can still answer.
        if (round % 25 === 0) {
          await alice.client.sendText({ conversationId: conversation }, `genuine after round ${round}`)
          await bob.sync()
          const after = await bob.messages(conversation)
          const last = after.filter((m) => m.kind === "text").pop()
          expect(plain(last?.text ?? "")).toBe(`genuine after round ${round}`)
        }
      }),
      { numRuns: 150, seed: 61122 },
    )
    expect(queue.injected).toBeGreaterThan(150)
    expect(warnings.filter((w) => w === "ITEM_UNUSABLE").length).toBeGreaterThan(100)

    // The group state survived: messages go both ways.
    await alice.client.sendText({ conversationId: conversation }, "still there?")
    await bob.sync()
    await bob.sendText({ conversationId: conversation }, "yes, still here")
    await alice.client.sync()
    expect((await texts(alice, conversation)).slice(-1)).toEqual(["yes, still here"])
    const bobTexts = (await bob.messages(conversation)).filter((m) => m.kind === "text")
    expect(bobTexts).toHaveLength(genuine.length + 6 + 2)
    expect(new Set(bobTexts.map((m) => m.id)).size).toBe(bobTexts.length)
  }, 170_000)
})
