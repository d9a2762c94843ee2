import {
  enrolmentSigningBytes,
  formatInviteCode,
  inviteCodeFromRandom,
  inviteHash,
  newId,
  normaliseInviteCode,
  ProtocolError,
} from "@backchannel/protocol"
import type { EnrolRequest, EnrolResponse, InviteResponse } from "@backchannel/protocol"
import type { InviteKind, ServerStore } from "../store/types.js"
import type { Caller, ServiceContext } from "./context.js"
import { decodeField } from "./input.js"
import { publishDeliveries } from "./publish.js"
import { entryToWire } from "./wire.js"

export interface IssuedInvite {
  /** The code to hand to the person, formatted in groups of five. Never stored, never logged. */
  code: string
  expiresAt: number
}

/** Creates an invite for an existing entry; only its hash is stored. Throws ENTRY_NOT_FOUND. */
export async function issueInvite(
  store: ServerStore,
  random: (length: number) => Uint8Array,
  request: { handle: string; kind: InviteKind; now: number; ttlMs: number },
): Promise<IssuedInvite> {
  const code = inviteCodeFromRandom(random(25))
  const expiresAt = request.now + request.ttlMs
  await store.createInvite({
    hash: inviteHash(code),
    handle: request.handle,
    kind: request.kind,
    createdAt: request.now,
    expiresAt,
  })
  return { code: formatInviteCode(code), expiresAt }
}

/**
 * POST /v1/enrol: checks the proof of possession of the signature key (bound to this invite and to the
 * tracemark key), then consumes the invite and registers the device in one transaction, and tells
 * the user's other devices.
 */
export async function enrol(ctx: ServiceContext, body: EnrolRequest): Promise<EnrolResponse> {
  const code = normaliseInviteCode(body.invite)
  if (code === undefined) throw new ProtocolError("INVITE_INVALID")
  const signaturePublicKey = decodeField(body.signaturePublicKey, "signaturePublicKey")
  const tracemarkPublicKey = decodeField(body.tracemarkPublicKey, "tracemarkPublicKey")
  const proof = decodeField(body.proof, "proof")
  const signed = enrolmentSigningBytes(code, signaturePublicKey, tracemarkPublicKey)
  if (!ctx.verifier.verify(signaturePublicKey, signed, proof)) throw new ProtocolError("KEY_INVALID")
  const at = ctx.clock.now()
  const result = await ctx.store.enrolDevice({
    inviteHash: inviteHash(code),
    deviceId: newId(ctx.random, 16),
    name: body.deviceName,
    signaturePublicKey,
    tracemarkPublicKey,
    at,
    maxDevices: ctx.config.maxDevicesPerUser,
  })
  publishDeliveries(ctx, result.delivered, {
    kind: "event",
    event: { type: "device-enrolled", handle: result.device.handle, deviceId: result.device.deviceId },
    at,
  })
  return { deviceId: result.device.deviceId, entry: entryToWire(result.entry), serverTime: ctx.clock.now() }
}

/** POST /v1/devices/invites: an invite that adds a device to the caller's own entry. */
export async function createDeviceInvite(ctx: ServiceContext, caller: Caller): Promise<InviteResponse> {
  const active = await ctx.store.countActiveDevices(caller.handle)
  if (active >= ctx.config.maxDevicesPerUser) throw new ProtocolError("FORBIDDEN")
  const issued = await issueInvite(ctx.store, ctx.random, {
    handle: caller.handle,
    kind: "device",
    now: ctx.clock.now(),
    ttlMs: ctx.config.deviceInviteTtlMs,
  })
  return { invite: issued.code, expiresAt: issued.expiresAt }
}
