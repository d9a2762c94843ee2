import {
  fromB64,
  fromUtf8,
  idBytes,
  parseCredentialIdentity,
  ProtocolError,
  toB64,
} from "@backchannel/protocol"
import type { ClaimedKeyPackage } from "@backchannel/protocol"
import type { KeyPackage } from "ts-mls"
import { encodeGroupMeta } from "../content/content.js"
import type { ConversationKind, GroupMeta } from "../content/content.js"
import { CoreError } from "../errors.js"
import type { CatchUp } from "./commits.js"
import { commitChange } from "./commits.js"
import type { Engine } from "./context.js"
import { assertActive, MessageWriter, putGroup, requireConversation, requireGroup } from "./context.js"
import { assertVerifiedOnlyAllows, requireFamiliarOrConfirmed } from "./people.js"
import { keys, putJson } from "./records.js"
import type { ConversationRecord } from "./records.js"

export function conversationMeta(conversation: ConversationRecord): GroupMeta {
  return {
    v: 1,
    kind: conversation.kind,
    ...(conversation.name !== undefined ? { name: conversation.name } : {}),
    createdBy: conversation.createdBy,
    createdAt: conversation.createdAt,
    ...(conversation.verifiedOnly === true ? { verifiedOnly: true } : {}),
    ...(conversation.defaultTerms !== undefined ? { defaultTerms: conversation.defaultTerms } : {}),
  }
}

export interface PeopleOptions {
  /** The user saw the full directory entries of people never written to before, and agreed. */
  confirmNewPeople?: boolean
}

/**
 * Creates a conversation: registers a fresh MLS group with the server, then adds the members' devices
 * (and this user's other devices) in one commit. A direct conversation has exactly one other person.
 */
export async function createConversation(
  e: Engine,
  input: { kind: ConversationKind; name?: string; members: string[]; verifiedOnly?: boolean } & PeopleOptions,
  catchUp: CatchUp,
): Promise<ConversationRecord> {
  const others = [...new Set(input.members)].filter((h) => h !== e.identity.handle)
  if (input.kind === "direct" && others.length !== 1) {
    throw new CoreError("INVALID_INPUT", "a direct conversation is with exactly one other person")
  }
  if (others.length > 0) {
    const found = await e.directory.entries(others, { refresh: true })
    const missing = others.filter((h) => !found.some((entry) => entry.handle === h))
    if (missing.length > 0)
      throw new CoreError("UNKNOWN_PERSON", `not in the directory: ${missing.join(", ")}`)
  }
  const verifiedOnly = input.verifiedOnly === true
  await assertVerifiedOnlyAllows(e, { verifiedOnly }, others)
  await requireFamiliarOrConfirmed(e, others, input.confirmNewPeople === true)
  const groupIdBytes = idBytes((n) => e.random.bytes(n), 32)
  const groupId = toB64(groupIdBytes)
  const own = await e.mls.generateKeyPackage(e.identity.handle, e.identity.deviceId, e.signatureKeys)
  const state = await e.mls.createGroup(groupIdBytes, own)
  await e.delivery.createGroup(groupId)
  const now = e.clock.now()
  const conversation: ConversationRecord = {
    v: 1,
    id: groupId,
    kind: input.kind,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.kind === "direct" ? { peer: others[0] } : {}),
    createdBy: e.identity.handle,
    createdAt: now,
    members: [{ handle: e.identity.handle, deviceId: e.identity.deviceId, since: now }],
    status: "active",
    ...(verifiedOnly ? { verifiedOnly: true } : {}),
    joinedAt: now,
    lastActivityAt: now,
    unread: 0,
  }
  const writer = new MessageWriter(e)
  await writer.addEvent(groupId, { type: "created", actor: e.identity.handle }, e.identity)
  await e.store.batch([
    putGroup(e, groupId, state),
    putJson(keys.conversation(groupId), conversation),
    ...writer.operations(),
  ])
  writer.emit()
  e.events.emit("conversation", conversation)
  // The people were checked and confirmed above.
  await addPeople(e, groupId, [...others, e.identity.handle], catchUp, { confirmNewPeople: true })
  return requireConversation(e, groupId)
}

/** Adds every active device of these people (and this user's own other devices) to a conversation. */
export async function addPeople(
  e: Engine,
  groupId: string,
  handles: string[],
  catchUp: CatchUp,
  options: PeopleOptions = {},
): Promise<boolean> {
  const conversation = await requireConversation(e, groupId)
  assertActive(conversation)
  if (
    conversation.kind === "direct" &&
    handles.some((h) => h !== e.identity.handle && h !== conversation.peer)
  ) {
    throw new CoreError("INVALID_INPUT", "a direct conversation cannot take more people; create a group")
  }
  const wanted = [...new Set(handles)]
  if (wanted.length === 0) return false
  const others = wanted.filter((h) => h !== e.identity.handle)
  await assertVerifiedOnlyAllows(e, conversation, others)
  await requireFamiliarOrConfirmed(e, others, options.confirmNewPeople === true)
  return addClaimed(e, groupId, () => e.delivery.claimKeyPackages({ handles: wanted }), catchUp)
}

/** Adds one device (a new device of this user) to a conversation, unless it is already there. */
export async function addDevice(
  e: Engine,
  groupId: string,
  deviceId: string,
  catchUp: CatchUp,
): Promise<boolean> {
  const state = await requireGroup(e, groupId)
  if (e.mls.members(state).some((m) => m.deviceId === deviceId)) return false
  return addClaimed(e, groupId, () => e.delivery.claimKeyPackages({ deviceIds: [deviceId] }), catchUp)
}

async function addClaimed(
  e: Engine,
  groupId: string,
  claim: () => Promise<ClaimedKeyPackage[]>,
  catchUp: CatchUp,
): Promise<boolean> {
  // Claim once: retries after an epoch conflict reuse the same key packages instead of burning more.
  let claimed: Array<{ deviceId: string; keyPackage: KeyPackage }> | undefined
  return commitChange(
    e,
    groupId,
    async (state) => {
      const present = new Set(e.mls.members(state).map((m) => m.deviceId))
      if (claimed === undefined) {
        const raw = await claimIfNeeded(claim)
        claimed = await verifyClaimed(
          e,
          raw.filter((c) => !present.has(c.deviceId)),
        )
      }
      const toAdd = claimed.filter((c) => !present.has(c.deviceId))
      if (toAdd.length === 0) return undefined
      const conversation = await requireConversation(e, groupId)
      const { commit, welcome, newState } = await e.mls.commitAdd(
        state,
        toAdd.map((c) => c.keyPackage),
        encodeGroupMeta(conversationMeta(conversation)),
      )
      return { commit, welcome, add: toAdd.map((c) => c.deviceId), remove: [], newState }
    },
    catchUp,
  )
}

async function claimIfNeeded(claim: () => Promise<ClaimedKeyPackage[]>): Promise<ClaimedKeyPackage[]> {
  try {
    return await claim()
  } catch (err) {
    if (err instanceof ProtocolError && err.is("ENTRY_NOT_FOUND")) {
      throw new CoreError("UNKNOWN_PERSON", "someone to add is not in the directory")
    }
    throw err
  }
}

/**
 * Checks every claimed key package before it enters the group: it must decode, name the device the
 * server said it is for, and carry the signature key the directory lists for that device.
 */
async function verifyClaimed(
  e: Engine,
  claimed: ClaimedKeyPackage[],
): Promise<Array<{ deviceId: string; keyPackage: KeyPackage }>> {
  const out: Array<{ deviceId: string; keyPackage: KeyPackage }> = []
  for (const c of claimed) {
    const keyPackage = e.mls.decodeKeyPackage(fromB64(c.keyPackage))
    const credential = keyPackage.leafNode.credential
    const identity =
      credential.credentialType === "basic"
        ? parseCredentialIdentity(fromUtf8(credential.identity))
        : undefined
    const keyOk = await e.directory.verifyDeviceKey(
      c.handle,
      c.deviceId,
      keyPackage.leafNode.signaturePublicKey,
    )
    if (identity?.handle !== c.handle || identity.deviceId !== c.deviceId || !keyOk) {
      e.events.emit("warning", {
        code: "KEY_PACKAGE_REJECTED",
        message: "A key package did not match the directory and was not used.",
      })
      continue
    }
    out.push({ deviceId: c.deviceId, keyPackage })
  }
  return out
}

/** Removes every device of these people from a conversation. */
export async function removePeople(
  e: Engine,
  groupId: string,
  handles: string[],
  catchUp: CatchUp,
): Promise<boolean> {
  const conversation = await requireConversation(e, groupId)
  assertActive(conversation)
  const targets = new Set(handles)
  if (targets.has(e.identity.handle))
    throw new CoreError("INVALID_INPUT", "you cannot remove yourself this way")
  return commitChange(
    e,
    groupId,
    async (state) => {
      const leaving = e.mls.members(state).filter((m) => targets.has(m.handle))
      if (leaving.length === 0) return undefined
      const { commit, newState } = await e.mls.commitRemove(
        state,
        leaving.map((m) => m.leafIndex),
      )
      return { commit, add: [], remove: leaving.map((m) => m.deviceId), newState }
    },
    catchUp,
  )
}
