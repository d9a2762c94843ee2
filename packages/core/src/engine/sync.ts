import { newId } from "@backchannel/protocol"
import type { QueueItem } from "@backchannel/protocol"
import type { Subscription } from "../ports/delivery.js"
import { DeliveryUnavailableError } from "../ports/delivery.js"
import { resolvePendingCommits } from "./commits.js"
import type { Engine } from "./context.js"
import { processItems } from "./incoming.js"
import { replenishKeyPackages } from "./key-packages.js"
import { addDevice } from "./membership.js"
import { ledger, shareLedger } from "./ledger.js"
import { flushOutbox, sendContent } from "./outgoing.js"
import { sweepExpired } from "./terms.js"
import { decodeJson, getJson, keys } from "./records.js"
import type { ConversationRecord } from "./records.js"

const pageSize = 200

/** Fetches and processes everything queued for this device, acknowledging as it goes. */
export async function catchUp(e: Engine): Promise<number> {
  let processed = 0
  for (;;) {
    const after = (await getJson<number>(e.store, keys.cursor)) ?? 0
    const page = await e.delivery.fetchQueue(after, pageSize)
    if (page.items.length > 0) {
      const cursor = await processItems(e, page.items)
      processed += page.items.length
      if (cursor !== undefined && cursor > after) await e.delivery.ack(cursor)
    }
    if (!page.more) return processed
  }
}

const catchUpOnly = async (e: Engine) => {
  await catchUp(e)
}

/**
 * A full sync: finish interrupted commits, process the queue, send what waits in the outbox, do
 * follow-up work, top up key packages.
 */
export async function sync(e: Engine): Promise<number> {
  await sweepExpired(e)
  await resolvePendingCommits(e)
  const processed = await catchUp(e)
  await flushOutbox(e, catchUpOnly)
  await runFollowUps(e)
  await replenishKeyPackages(e)
  return processed
}

/**
 * Work found while processing the queue that needs commits of its own: adding this user's newly
 * enrolled devices to every conversation. A task stays recorded until it has fully succeeded, so a
 * failure (network, exhausted key packages) is retried on the next sync.
 */
export async function runFollowUps(e: Engine): Promise<void> {
  for (const { key, value } of await e.store.list(keys.todoAddDevicePrefix)) {
    const deviceId = decodeJson<string>(value)
    if (await addOwnDevice(e, deviceId)) await e.store.batch([{ type: "delete", key }])
  }
}

/**
 * Adds a new device of this user to every active conversation this device is in, then shares the
 * user-level secrets with it inside the user's self group. Returns true when nothing is left to do.
 */
async function addOwnDevice(e: Engine, deviceId: string): Promise<boolean> {
  let complete = true
  for (const { value } of await e.store.list("conv/")) {
    const conversation = decodeJson<ConversationRecord>(value)
    if (conversation.status !== "active" || conversation.members.some((m) => m.deviceId === deviceId))
      continue
    try {
      const added = await addDevice(e, conversation.id, deviceId, catchUpOnly)
      if (added && conversation.id === e.identity.selfGroupId) {
        await shareUserSecrets(e)
        await shareLedger(e, await ledger(e), catchUpOnly)
      }
    } catch (err) {
      if (err instanceof DeliveryUnavailableError) throw err
      complete = false
      e.events.emit("warning", {
        code: "DEVICE_NOT_ADDED",
        message:
          "Your new device could not be added to a conversation yet; this is retried on the next sync.",
        conversationId: conversation.id,
      })
    }
  }
  return complete
}

async function shareUserSecrets(e: Engine): Promise<void> {
  const selfGroupId = e.identity.selfGroupId
  const secret = e.identity.senderTracemarkPrivateKey
  if (selfGroupId === undefined || secret === undefined) return
  const id = newId((n) => e.random.bytes(n), 16)
  await sendContent(
    e,
    selfGroupId,
    { v: 1, type: "secrets", id, sentAt: e.clock.now(), senderTracemarkPrivateKey: secret },
    catchUpOnly,
  )
}

/** Keeps a push session open; items are processed under the engine's mutex as they arrive. */
export function listen(
  e: Engine,
  runLocked: <T>(task: () => Promise<T>) => Promise<T>,
  after: number,
): Subscription {
  const subscription: Subscription = e.delivery.subscribe(after, {
    onItems: (items: QueueItem[]) =>
      runLocked(async () => {
        const cursor = await processItems(e, items)
        if (cursor !== undefined) subscription.ack(cursor)
        await runFollowUps(e)
      }),
    onStateChange: (state) => {
      e.events.emit("connection", { state })
      // Back online: what waited in the outbox goes out now.
      if (state === "open") void runLocked(() => flushOutbox(e, catchUpOnly)).catch(() => undefined)
    },
  })
  return subscription
}
