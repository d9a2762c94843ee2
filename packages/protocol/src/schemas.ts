import { z } from "zod"
import { deviceIdPattern, groupIdPattern, handlePattern } from "./ids.js"
import { limits } from "./limits.js"

/**
 * Every request body and WebSocket frame is checked against one of these schemas. Objects are
 * strict: an unknown field is an error (VALIDATION_FAILED), never silently dropped.
 */

const b64Chars = /^[A-Za-z0-9_-]*$/

/** Unpadded base64url of at most `maxBytes` decoded bytes (and at least `minBytes`). */
export function b64(maxBytes: number, minBytes = 1) {
  return z
    .string()
    .min(Math.ceil((minBytes * 4) / 3))
    .max(Math.ceil((maxBytes * 4) / 3))
    .regex(b64Chars, "must be base64url without padding")
}

/** An exact-length base64url value, e.g. a 32-byte public key. */
export function b64Exact(bytes: number) {
  return z
    .string()
    .length(Math.ceil((bytes * 4) / 3))
    .regex(b64Chars, "must be base64url without padding")
}

export const handleSchema = z.string().regex(handlePattern, "not a handle")
export const deviceIdSchema = z.string().regex(deviceIdPattern, "not a device id")
export const groupIdSchema = z.string().regex(groupIdPattern, "not a group id")
/** Epochs are uint64 in MLS; they travel as decimal strings. */
export const epochSchema = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, "not an epoch")
export const seqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/\p{Cc}/u.test(s), "control characters are not allowed")

export const entryKindSchema = z.enum(["member", "guest"])

// ---------------------------------------------------------------------------------------------
// Directory

export const deviceInfoSchema = z.strictObject({
  deviceId: deviceIdSchema,
  name: z.string(),
  signaturePublicKey: b64Exact(32),
  tracemarkPublicKey: b64Exact(32),
  createdAt: z.number(),
  revokedAt: z.number().optional(),
})
export type DeviceInfo = z.infer<typeof deviceInfoSchema>

export const directoryEntrySchema = z.strictObject({
  handle: handleSchema,
  displayName: z.string(),
  title: z.string().optional(),
  organisation: z.string().optional(),
  country: z.string().optional(),
  /** "guest": admitted by the operator but not vouched for; clients label the person an outsider. */
  kind: entryKindSchema,
  createdAt: z.number(),
  devices: z.array(deviceInfoSchema),
})
export type DirectoryEntry = z.infer<typeof directoryEntrySchema>

/** Operator input for a new directory entry (admin CLI; not an HTTP endpoint). */
export const newEntrySchema = z.strictObject({
  handle: handleSchema,
  displayName: text(limits.displayNameChars),
  title: text(limits.titleChars).optional(),
  organisation: text(limits.organisationChars).optional(),
  country: text(limits.organisationChars).optional(),
  kind: entryKindSchema.default("member"),
})
export type NewEntry = z.input<typeof newEntrySchema>

// ---------------------------------------------------------------------------------------------
// Enrolment and devices

export const enrolRequestSchema = z.strictObject({
  invite: z.string().min(1).max(64),
  deviceName: text(limits.deviceNameChars),
  signaturePublicKey: b64Exact(32),
  tracemarkPublicKey: b64Exact(32),
  /** Ed25519 signature over enrolmentSigningBytes(invite, signaturePublicKey, tracemarkPublicKey). */
  proof: b64Exact(64),
})
export type EnrolRequest = z.infer<typeof enrolRequestSchema>

export const enrolResponseSchema = z.strictObject({
  deviceId: deviceIdSchema,
  entry: directoryEntrySchema,
  serverTime: z.number(),
})
export type EnrolResponse = z.infer<typeof enrolResponseSchema>

export const meResponseSchema = z.strictObject({
  deviceId: deviceIdSchema,
  entry: directoryEntrySchema,
  serverTime: z.number(),
})
export type MeResponse = z.infer<typeof meResponseSchema>

export const deviceInviteRequestSchema = z.strictObject({})
export const inviteResponseSchema = z.strictObject({
  invite: z.string(),
  expiresAt: z.number(),
})
export type InviteResponse = z.infer<typeof inviteResponseSchema>

// ---------------------------------------------------------------------------------------------
// Directory search and lookup

export const searchQuerySchema = z.strictObject({
  q: z.string().max(100).default(""),
  limit: z.coerce.number().int().min(1).max(limits.maxSearchResults).default(20),
})

export const lookupRequestSchema = z
  .strictObject({
    handles: z.array(handleSchema).max(limits.maxClaimDevices).optional(),
    deviceIds: z.array(deviceIdSchema).max(limits.maxClaimDevices).optional(),
  })
  .refine((v) => (v.handles?.length ?? 0) + (v.deviceIds?.length ?? 0) > 0, "ask for at least one")
export type LookupRequest = z.infer<typeof lookupRequestSchema>

export const entriesResponseSchema = z.strictObject({ entries: z.array(directoryEntrySchema) })
export type EntriesResponse = z.infer<typeof entriesResponseSchema>

// ---------------------------------------------------------------------------------------------
// Key packages

export const uploadKeyPackagesSchema = z
  .strictObject({
    keyPackages: z.array(b64(limits.maxKeyPackageBytes)).max(limits.maxKeyPackagesPerUpload),
    /** Replaces this device's last-resort key package: handed out when no other one is left, never consumed. */
    lastResort: b64(limits.maxKeyPackageBytes).optional(),
  })
  .refine((v) => v.keyPackages.length > 0 || v.lastResort !== undefined, "upload at least one")
export type UploadKeyPackagesRequest = z.infer<typeof uploadKeyPackagesSchema>

export const keyPackageStatusSchema = z.strictObject({
  available: z.number(),
  lastResort: z.boolean(),
})
export type KeyPackageStatus = z.infer<typeof keyPackageStatusSchema>

export const claimKeyPackagesSchema = z
  .strictObject({
    /** Claim one key package for every active device of these users. */
    handles: z.array(handleSchema).max(limits.maxClaimDevices).optional(),
    /** Claim one key package for each of these devices. */
    deviceIds: z.array(deviceIdSchema).max(limits.maxClaimDevices).optional(),
  })
  .refine((v) => (v.handles?.length ?? 0) + (v.deviceIds?.length ?? 0) > 0, "claim at least one")
export type ClaimKeyPackagesRequest = z.infer<typeof claimKeyPackagesSchema>

export const claimedKeyPackageSchema = z.strictObject({
  handle: handleSchema,
  deviceId: deviceIdSchema,
  keyPackage: z.string(),
  lastResort: z.boolean(),
})
export type ClaimedKeyPackage = z.infer<typeof claimedKeyPackageSchema>
export const claimResponseSchema = z.strictObject({ keyPackages: z.array(claimedKeyPackageSchema) })
export type ClaimResponse = z.infer<typeof claimResponseSchema>

// ---------------------------------------------------------------------------------------------
// Groups

export const createGroupSchema = z.strictObject({ groupId: groupIdSchema })
export type CreateGroupRequest = z.infer<typeof createGroupSchema>

export const groupMemberSchema = z.strictObject({
  deviceId: deviceIdSchema,
  handle: handleSchema,
  /** Server time at which the device was added to the routing list. */
  since: z.number(),
})
export const groupResponseSchema = z.strictObject({
  groupId: groupIdSchema,
  epoch: epochSchema,
  members: z.array(groupMemberSchema),
})
export type GroupResponse = z.infer<typeof groupResponseSchema>

export const commitRequestSchema = z.strictObject({
  /** The epoch the commit was created in; it must be the group's current epoch. */
  epoch: epochSchema,
  commit: b64(limits.maxCommitBytes),
  welcome: b64(limits.maxWelcomeBytes).optional(),
  /** Devices this commit adds (they receive the Welcome) and removes, for routing. */
  add: z.array(deviceIdSchema).max(limits.maxGroupDevices).default([]),
  remove: z.array(deviceIdSchema).max(limits.maxGroupDevices).default([]),
})
export type CommitRequest = z.input<typeof commitRequestSchema>

export const commitResponseSchema = z.strictObject({
  epoch: epochSchema,
  /** True when this exact commit had already been accepted (a retry after a lost reply). */
  duplicate: z.boolean(),
})
export type CommitResponse = z.infer<typeof commitResponseSchema>

/**
 * When the sender set an expiry on the message (confidentiality terms), the time after which the server
 * deletes every queued copy. This is the only term the server sees; the others stay end to end.
 */
export const messageExpirySchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER)

export const sendMessageSchema = z.strictObject({
  message: b64(limits.maxApplicationMessageBytes),
  expiresAt: messageExpirySchema.optional(),
})
export type SendMessageRequest = z.infer<typeof sendMessageSchema>

export const sendResponseSchema = z.strictObject({
  epoch: epochSchema,
  recipients: z.number(),
  duplicate: z.boolean(),
})
export type SendResponse = z.infer<typeof sendResponseSchema>

// ---------------------------------------------------------------------------------------------
// Queue

export const queueEventSchema = z.discriminatedUnion("type", [
  /** Sent to a user's other devices when the user enrols a new device. */
  z.strictObject({ type: z.literal("device-enrolled"), handle: handleSchema, deviceId: deviceIdSchema }),
])
export type QueueEvent = z.infer<typeof queueEventSchema>

export const queueItemSchema = z.strictObject({
  seq: seqSchema,
  kind: z.enum(["message", "commit", "welcome", "event"]),
  groupId: groupIdSchema.optional(),
  /** The device that handed this item to the server (authenticated by the server, not end to end). */
  sender: z.strictObject({ handle: handleSchema, deviceId: deviceIdSchema }).optional(),
  /** The MLSMessage, base64url; absent for events. */
  data: z.string().optional(),
  event: queueEventSchema.optional(),
  /** Server receive time, ms. */
  at: z.number(),
})
export type QueueItem = z.infer<typeof queueItemSchema>

export const fetchQueueQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(limits.maxFetchItems).default(100),
})

export const queueResponseSchema = z.strictObject({
  items: z.array(queueItemSchema),
  more: z.boolean(),
})
export type QueueResponse = z.infer<typeof queueResponseSchema>

export const ackRequestSchema = z.strictObject({ upTo: seqSchema })
export const ackResponseSchema = z.strictObject({ removed: z.number() })
export type AckResponse = z.infer<typeof ackResponseSchema>

// ---------------------------------------------------------------------------------------------
// Operator configuration

/** A confidentiality label of the operator's list; a higher level is more sensitive. */
export const labelSchema = z.strictObject({
  name: z.string().trim().min(1).max(40),
  level: z.number().int().min(1).max(100),
})
export type Label = z.infer<typeof labelSchema>

export const defaultLabels: Label[] = [
  { name: "Leaders only", level: 3 },
  { name: "Not for publication", level: 2 },
  { name: "Personal", level: 1 },
]

export const configResponseSchema = z.strictObject({
  labels: z.array(labelSchema),
})
export type ConfigResponse = z.infer<typeof configResponseSchema>

export const healthResponseSchema = z.strictObject({
  ok: z.boolean(),
  protocol: z.number(),
  serverTime: z.number(),
})
export type HealthResponse = z.infer<typeof healthResponseSchema>

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    serverTime: z.number().optional(),
    epoch: z.string().optional(),
    retryAfterMs: z.number().optional(),
    field: z.string().optional(),
  }),
})

export const PROTOCOL_VERSION = 1
