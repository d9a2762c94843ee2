import { fromB64, ProtocolError, toB64 } from "@backchannel/protocol"
import type { ClientState } from "ts-mls"
import type { WriteOp } from "../ports/store.js"
import { CoreError } from "../errors.js"
import type { Engine } from "./context.js"
import { loadConversation, MessageWriter, putGroup, requireGroup } from "./context.js"
import { membersAfter, recordMembershipChange } from "./membership-records.js"
import { rememberContacts } from "./people.js"
import { getJson, keys, putJson } from "./records.js"
import type { PendingCommit } from "./records.js"

export interface BuiltCommit {
  commit: Uint8Array
  welcome?: Uint8Array
  add: string[]
  remove: string[]
  newState: ClientState
}

/** Processes whatever the server has queued; provided by the sync module (avoids an import cycle). */
export type CatchUp = (e: Engine) => Promise<void>

/**
 * Runs one group change through the server's epoch ordering. The commit and the state it leads to are
 * stored as pending BEFORE they are sent, so a crash or a lost reply can be resolved later (a resent
 * commit that the server already took is answered `duplicate`). On EPOCH_CONFLICT another member won the
 * epoch: the engine processes that commit and rebuilds its own on the new state. `build` returns
 * undefined when nothing is left to do (someone else already made the change).
 */
export async function commitChange(
  e: Engine,
  groupId: string,
  build: (state: ClientState) => Promise<BuiltCommit | undefined>,
  catchUp: CatchUp,
): Promise<boolean> {
  for (let attempt = 0; attempt < e.settings.maxRetries; attempt++) {
    const state = await requireGroup(e, groupId)
    const built = await build(state)
    if (built === undefined) return false
    const pending: PendingCommit = {
      v: 1,
      groupId,
      epoch: e.mls.epoch(state).toString(),
      commit: toB64(built.commit),
      ...(built.welcome ? { welcome: toB64(built.welcome) } : {}),
      add: built.add,
      remove: built.remove,
      newState: toB64(e.mls.encodeState(built.newState)),
      createdAt: e.clock.now(),
    }
    await e.store.batch([putJson(keys.pending(groupId), pending)])
    try {
      await sendPending(e, pending)
    } catch (err) {
      if (err instanceof ProtocolError && err.is("EPOCH_CONFLICT")) {
        await e.store.batch([{ type: "delete", key: keys.pending(groupId) }])
        await catchUp(e)
        continue
      }
      if (err instanceof ProtocolError) await e.store.batch([{ type: "delete", key: keys.pending(groupId) }])
      throw err
    }
    await applyAcceptedCommit(e, pending, built.newState)
    return true
  }
  throw new CoreError("CONFLICT_RETRIES_EXHAUSTED", "other members kept changing the conversation; try again")
}

async function sendPending(e: Engine, pending: PendingCommit): Promise<void> {
  await e.delivery.commit(pending.groupId, {
    epoch: pending.epoch,
    commit: pending.commit,
    ...(pending.welcome !== undefined ? { welcome: pending.welcome } : {}),
    add: pending.add,
    remove: pending.remove,
  })
}

/** Installs the state of a commit the server accepted, and records who joined or left. */
async function applyAcceptedCommit(e: Engine, pending: PendingCommit, newState: ClientState): Promise<void> {
  const ops: WriteOp[] = [
    putGroup(e, pending.groupId, newState),
    { type: "delete", key: keys.pending(pending.groupId) },
  ]
  const conversation = await loadConversation(e, pending.groupId)
  const writer = new MessageWriter(e)
  if (conversation) {
    const members = membersAfter(e, newState, conversation.members)
    const me = { handle: e.identity.handle, deviceId: e.identity.deviceId }
    await recordMembershipChange(e, conversation, conversation.members, members, me, writer)
    const updated = { ...conversation, members, lastActivityAt: e.clock.now() }
    ops.push(
      putJson(keys.conversation(conversation.id), updated),
      ...rememberContacts(
        e,
        members.map((m) => m.handle),
      ),
    )
    await e.store.batch([...ops, ...writer.operations()])
    e.events.emit("conversation", updated)
  } else {
    await e.store.batch(ops)
  }
  writer.emit()
}

/**
 * Resolves commits left pending by a crash or a lost reply: resend them; the server answers duplicate
 * (it had taken them), accepts them (it had not), or reports a conflict (another commit took the epoch,
 * so the pending one is dropped and its change must be made again).
 */
export async function resolvePendingCommits(e: Engine): Promise<void> {
  const records = await e.store.list("pending/")
  for (const { key } of records) {
    const pending = await getJson<PendingCommit>(e.store, key)
    if (pending === undefined) continue
    const state = await requireGroup(e, pending.groupId)
    if (e.mls.epoch(state).toString() !== pending.epoch) {
      await e.store.batch([{ type: "delete", key }])
      continue
    }
    try {
      await sendPending(e, pending)
    } catch (err) {
      if (err instanceof ProtocolError) {
        await e.store.batch([{ type: "delete", key }])
        e.events.emit("warning", {
          code: err.code,
          message: "A change to a conversation did not go through and was dropped.",
          conversationId: pending.groupId,
        })
        continue
      }
      throw err
    }
    await applyAcceptedCommit(e, pending, e.mls.decodeState(fromB64(pending.newState)))
  }
}

/** Drops a pending commit that an incoming commit for the same epoch has beaten. */
export async function dropBeatenPending(e: Engine, groupId: string, epoch: bigint): Promise<WriteOp[]> {
  const pending = await getJson<PendingCommit>(e.store, keys.pending(groupId))
  if (pending !== undefined && pending.epoch === epoch.toString())
    return [{ type: "delete", key: keys.pending(groupId) }]
  return []
}
