import { ProtocolError } from "@backchannel/protocol"
import type { CommitResponse, GroupResponse, commitRequestSchema } from "@backchannel/protocol"
import type { z } from "zod"
import { sha256 } from "../crypto/ed25519.js"
import type { Caller, ServiceContext } from "./context.js"
import { decodeField } from "./input.js"
import { framingOf, groupMessageFraming } from "./mls.js"
import { publishDeliveries } from "./publish.js"
import { groupToWire } from "./wire.js"

export async function createGroup(
  ctx: ServiceContext,
  caller: Caller,
  groupId: string,
): Promise<GroupResponse> {
  const group = await ctx.store.createGroup(groupId, caller.deviceId, ctx.clock.now())
  return groupToWire(group)
}

export async function getGroup(ctx: ServiceContext, caller: Caller, groupId: string): Promise<GroupResponse> {
  const group = await ctx.store.getGroup(groupId)
  if (group === undefined) throw new ProtocolError("GROUP_NOT_FOUND")
  if (!group.members.some((m) => m.deviceId === caller.deviceId)) throw new ProtocolError("NOT_A_MEMBER")
  return groupToWire(group)
}

/**
 * POST /v1/groups/:groupId/commits. The commit's framing must be a commit for this group at the
 * declared epoch; a Welcome must be a Welcome, and comes exactly when the commit adds devices. The
 * store then accepts it only if the declared epoch is the group's current one (first commit wins).
 */
export async function commit(
  ctx: ServiceContext,
  caller: Caller,
  groupId: string,
  body: z.output<typeof commitRequestSchema>,
): Promise<CommitResponse> {
  const commitBytes = decodeField(body.commit, "commit")
  const epoch = BigInt(body.epoch)
  const framing = groupMessageFraming(commitBytes, groupId, {
    wireFormats: ["publicMessage", "privateMessage"],
    contentType: "commit",
  })
  if (framing.epoch !== epoch) throw new ProtocolError("MLS_MESSAGE_INVALID")
  let welcome: Uint8Array | undefined
  if (body.welcome !== undefined) {
    welcome = decodeField(body.welcome, "welcome")
    if (framingOf(welcome).wireFormat !== "welcome") throw new ProtocolError("MLS_MESSAGE_INVALID")
  }
  if ((welcome === undefined) !== (body.add.length === 0)) {
    throw new ProtocolError("VALIDATION_FAILED", undefined, { field: "welcome" })
  }
  const at = ctx.clock.now()
  const result = await ctx.store.commit({
    groupId,
    senderDeviceId: caller.deviceId,
    epoch,
    commit: commitBytes,
    commitHash: sha256(commitBytes),
    welcome,
    add: body.add,
    remove: body.remove,
    at,
    maxGroupDevices: ctx.config.maxGroupDevices,
  })
  const sender = { handle: caller.handle, deviceId: caller.deviceId }
  publishDeliveries(ctx, result.commitDelivered, { kind: "commit", groupId, sender, data: body.commit, at })
  if (body.welcome !== undefined) {
    publishDeliveries(ctx, result.welcomeDelivered, {
      kind: "welcome",
      groupId,
      sender,
      data: body.welcome,
      at,
    })
  }
  return { epoch: result.epoch.toString(), duplicate: result.duplicate }
}
