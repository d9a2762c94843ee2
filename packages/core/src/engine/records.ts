import { fromUtf8, utf8 } from "@backchannel/protocol"
import type { DirectoryEntry } from "@backchannel/protocol"
import type { RenderPlan } from "@backchannel/tracemark"
import type { KeyValueStore, WriteOp } from "../ports/store.js"
import type { Content, ConversationKind, DefaultTerms, Terms } from "../content/content.js"
import type { SuiteName } from "../mls/suite.js"
import { CoreError } from "../errors.js"

/**
 * The layout of a device's local store. Every value is sealed by SealedStore; keys hold only random ids,
 * counters and record kinds.
 *
 *   identity                      IdentityRecord
 *   cursor                        last queue seq fully processed
 *   counter                       last local message sequence number
 *   kp/<ref>                      KeyPackageRecord (our unclaimed key packages' private parts)
 *   group/<groupId>               MLS group state (ts-mls encoding)
 *   conv/<groupId>                ConversationRecord
 *   pending/<groupId>             PendingCommit: a commit sent but not yet confirmed
 *   msg/<groupId>/<localSeq>      MessageRecord, in display order
 *   msgid/<messageId>             pointer to the msg/ key (deduplication)
 *   dir/<handle>                  cached DirectoryEntry
 *   todo/add-device/<deviceId>    a new device of this user still to be added to conversations
 *   outbox/<createdAt>/<id>       content written by this user and not yet accepted by the server
 *   exp/<expiresAt>/<messageId>   index of messages with an expiry, for the sweep
 *   contact/<handle>              a person this user has shared a conversation with
 *   ledger/<handle>/<entryId>     the user's trust ledger (shared among the user's devices)
 *   trace/<messageId>             the last leak check of a message (evidence for the ledger)
 *   config/labels                 the operator's confidentiality labels, as last fetched
 */
export const keys = {
  identity: "identity",
  cursor: "cursor",
  counter: "counter",
  keyPackage: (ref: string) => `kp/${ref}`,
  group: (groupId: string) => `group/${groupId}`,
  conversation: (groupId: string) => `conv/${groupId}`,
  pending: (groupId: string) => `pending/${groupId}`,
  messagePrefix: (groupId: string) => `msg/${groupId}/`,
  message: (groupId: string, localSeq: number) => `msg/${groupId}/${String(localSeq).padStart(12, "0")}`,
  messageId: (id: string) => `msgid/${id}`,
  directory: (handle: string) => `dir/${handle}`,
  todoAddDevicePrefix: "todo/add-device/",
  outboxPrefix: "outbox/",
  expiryPrefix: "exp/",
  expiry: (expiresAt: number, id: string) => `exp/${String(expiresAt).padStart(15, "0")}/${id}`,
  contactPrefix: "contact/",
  contact: (handle: string) => `contact/${handle}`,
  ledgerPrefix: "ledger/",
  ledgerOf: (handle: string) => `ledger/${handle}/`,
  ledger: (handle: string, id: string) => `ledger/${handle}/${id}`,
  trace: (messageId: string) => `trace/${messageId}`,
  labels: "config/labels",
  outbox: (createdAt: number, id: string) => `outbox/${String(createdAt).padStart(15, "0")}/${id}`,
  todoAddDevice: (deviceId: string) => `todo/add-device/${deviceId}`,
} as const

export interface IdentityRecord {
  v: 1
  serverUrl: string
  handle: string
  deviceId: string
  deviceName: string
  suite: SuiteName
  /** Ed25519 seed (32 bytes, base64url): the MLS signature key, also signs every request. */
  signaturePrivateKey: string
  signaturePublicKey: string
  /** X25519 device key (base64url): how senders mark this device's copies. */
  tracemarkPrivateKey: string
  tracemarkPublicKey: string
  /** X25519 user-level sender key shared by all of this user's devices (synced in the self group). */
  senderTracemarkPrivateKey?: string
  selfGroupId?: string
  enrolledAt: number
}

export interface KeyPackageRecord {
  v: 1
  ref: string
  publicPackage: string
  initPrivateKey: string
  hpkePrivateKey: string
  lastResort: boolean
  createdAt: number
}

export interface MemberRecord {
  handle: string
  deviceId: string
  /** Local time at which this device saw the member join (or joined itself). */
  since: number
}

export interface ConversationRecord {
  v: 1
  id: string
  kind: ConversationKind
  name?: string
  /** For a direct conversation: the other person's handle. */
  peer?: string
  createdBy: string
  createdAt: number
  members: MemberRecord[]
  /** "frozen": a member broke the conversation's rules (e.g. added an outsider to a verified-only one). */
  status: "active" | "removed" | "frozen"
  frozenReason?: string
  verifiedOnly?: boolean
  defaultTerms?: DefaultTerms
  joinedAt: number
  lastActivityAt: number
  unread: number
}

export type MessageEvent =
  | { type: "created"; actor: string }
  | { type: "joined"; actor?: string }
  | { type: "added"; actor?: string; subjects: string[] }
  | { type: "removed"; actor?: string; subjects: string[] }
  /** Devices of people who stay were added or removed. */
  | { type: "devices"; actor?: string; subjects: string[] }
  /** A member changed the conversation's default terms. */
  | { type: "terms"; actor?: string; defaults: DefaultTerms }
  /** This device refused a change that broke the conversation's rules; the conversation is frozen. */
  | { type: "frozen"; actor?: string; reason: string }
  | { type: "you-were-removed"; actor?: string }

export interface MessageRecord {
  v: 1
  id: string
  conversationId: string
  localSeq: number
  kind: "text" | "event"
  sender: { handle: string; deviceId: string }
  sentAt: number
  receivedAt: number
  outgoing: boolean
  /** Outgoing messages from this device: "pending" until the server accepted them. */
  status?: "pending" | "sent"
  /** What this device shows: for a received marked message, this device's own marked copy. */
  text?: string
  replyTo?: string
  event?: MessageEvent
  /** A received marked copy's render plan (word positions, glyph pieces, overlay) for the bubble renderer. */
  plan?: RenderPlan
  /** Messages written by this user: how they were marked, kept so that a leak of them can be traced. */
  marks?: { key: string; wording: boolean }
  /** Messages written by this user: the other people's devices that received a marked copy. */
  recipients?: Array<{ handle: string; deviceId: string }>
  terms?: Terms
  forwardedFrom?: string
  /** The content is gone from this device: its expiry passed, or it was viewed once. */
  removed?: "expired" | "viewed"
}

export interface PendingCommit {
  v: 1
  groupId: string
  epoch: string
  commit: string
  welcome?: string
  add: string[]
  remove: string[]
  newState: string
  createdAt: number
}

export interface OutboxEntry {
  v: 1
  conversationId: string
  content: Content
}

export interface CachedEntry {
  v: 1
  entry: DirectoryEntry
  fetchedAt: number
}

export function encodeJson(value: unknown): Uint8Array {
  return utf8(JSON.stringify(value))
}

// Records are written only by this engine and authenticated by the Sealer, so reading one back as its
// declared type is a checked round trip, not an unchecked cast of foreign input.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function decodeJson<T>(bytes: Uint8Array): T {
  try {
    return JSON.parse(fromUtf8(bytes)) as T
  } catch {
    throw new CoreError("STORE_CORRUPT", "a stored record does not decode")
  }
}

export async function getJson<T>(store: KeyValueStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key)
  return bytes === undefined ? undefined : decodeJson<T>(bytes)
}

export function putJson(key: string, value: unknown): WriteOp {
  return { type: "put", key, value: encodeJson(value) }
}
