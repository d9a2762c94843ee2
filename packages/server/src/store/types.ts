import type { QueueEvent } from "@backchannel/protocol"

/**
 * The storage port of the delivery server. Every method is async and atomic: one transaction per
 * domain operation, so a PostgreSQL implementation can follow without changing callers. Domain
 * failures are thrown as ProtocolError with the code named in each method's comment; anything else
 * that is thrown is an internal fault.
 *
 * Times are passed in by the caller (the service layer reads its clock), so stores never read a clock
 * and tests control time. Binary values are Uint8Array. Implementations: memory-store.ts (tests),
 * sqlite-store.ts (default). Both pass the contract suite in ../testing/store-contract.ts.
 */
export interface ServerStore {
  // -- Directory ---------------------------------------------------------------------------------

  /** Throws HANDLE_TAKEN. */
  createEntry(entry: NewEntryRecord): Promise<EntryRecord>
  getEntry(handle: string): Promise<EntryWithDevices | undefined>
  /** Entries whose handle, display name, title, organisation or country contains `query`, ignoring case. */
  searchEntries(query: string, limit: number): Promise<EntryWithDevices[]>
  /** The entries of these handles and of the owners of these devices; unknown ones are absent. */
  lookupEntries(handles: readonly string[], deviceIds: readonly string[]): Promise<EntryWithDevices[]>
  listEntries(): Promise<EntryWithDevices[]>

  // -- Invites, enrolment, devices -----------------------------------------------------------------

  /** Stores an invite by its hash only. Throws ENTRY_NOT_FOUND. */
  createInvite(invite: NewInviteRecord): Promise<void>
  /**
   * Consumes the invite and adds the device, atomically, and queues a `device-enrolled` event to the
   * entry's other active devices. Retrying with the same invite and the same signature key returns the
   * device that invite enrolled (a lost reply is not fatal).
   * Throws INVITE_INVALID, INVITE_EXPIRED, INVITE_USED, FORBIDDEN (device limit), KEY_INVALID (the
   * signature key is already registered to another device).
   */
  enrolDevice(request: EnrolDeviceRecord): Promise<EnrolResult>
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>
  /** Number of active (not revoked) devices of an entry. */
  countActiveDevices(handle: string): Promise<number>
  /** Marks the device revoked and drops its queue and key packages. Throws DEVICE_NOT_FOUND. */
  revokeDevice(deviceId: string, at: number): Promise<{ alreadyRevoked: boolean }>

  // -- Key packages --------------------------------------------------------------------------------

  /**
   * Adds one-time key packages and optionally replaces the last-resort one.
   * Throws VALIDATION_FAILED (field `keyPackages`) when the device would hold more than `maxUnclaimed`.
   */
  addKeyPackages(
    deviceId: string,
    keyPackages: readonly Uint8Array[],
    lastResort: Uint8Array | undefined,
    maxUnclaimed: number,
  ): Promise<KeyPackageCount>
  keyPackageCount(deviceId: string): Promise<KeyPackageCount>
  /**
   * Claims one key package for every active device of `handles` (except `exclude`) and for each of
   * `deviceIds`, in one transaction. One-time key packages are deleted as they are handed out; when a
   * device has none, its last-resort one is returned and kept. If any device has neither, nothing is
   * consumed. Throws ENTRY_NOT_FOUND, DEVICE_NOT_FOUND (unknown or revoked), KEY_PACKAGES_EXHAUSTED
   * (with `field` = that device id).
   */
  claimKeyPackages(request: ClaimRecord): Promise<ClaimedRecord[]>

  // -- Groups and queues ---------------------------------------------------------------------------

  /** Registers a group at epoch 0 with the creator as its only member. Throws GROUP_EXISTS, DEVICE_REVOKED. */
  createGroup(groupId: string, creatorDeviceId: string, at: number): Promise<GroupRecord>
  getGroup(groupId: string): Promise<GroupRecord | undefined>
  /**
   * Accepts a commit: checks the epoch, advances it, changes the roster, queues the commit to the old
   * roster minus the sender and the Welcome to the added devices, atomically. A retry of the commit
   * accepted last (same bytes from the same device) returns `duplicate: true` and changes nothing.
   * Throws GROUP_NOT_FOUND, NOT_A_MEMBER, DEVICE_REVOKED, EPOCH_CONFLICT (with the current epoch),
   * MEMBERSHIP_INVALID.
   */
  commit(request: CommitRecord): Promise<CommitResult>
  /**
   * Queues an application message (stored once) for every active member device except the sender.
   * The same bytes already queued for this group → `duplicate: true`, queued nothing.
   * Throws GROUP_NOT_FOUND, NOT_A_MEMBER, DEVICE_REVOKED, STALE_EPOCH (with the current epoch).
   */
  sendMessage(request: MessageRecord): Promise<MessageResult>
  /**
   * Items with seq > after, in order: at most `limit` of them, and no more than `maxBytes` of bodies
   * (but always at least one item); `more` if there are further ones.
   */
  fetchQueue(deviceId: string, after: number, limit: number, maxBytes?: number): Promise<QueuePage>
  /** Deletes every item with seq ≤ upTo and any message body no queue refers to any more. */
  ack(deviceId: string, upTo: number): Promise<number>
  /** Deletes every queued item received before `before`; returns how many. */
  purgeExpired(before: number): Promise<number>
  /**
   * Deletes every queued copy of the application messages whose sender-set expiry (`expiresAt`) is at or
   * before `now`, and their bodies; returns how many queue items went. Cheap when nothing has expired.
   */
  purgeExpiredMessages(now: number): Promise<number>
  /** Operator settings (e.g. the confidentiality labels), as opaque strings. */
  getSetting(key: string): Promise<string | undefined>
  setSetting(key: string, value: string): Promise<void>

  /** Row counts, for tests and operators. */
  stats(): Promise<StoreStats>
  /** Completes pending writes, then closes. */
  close(): Promise<void>
}

export type EntryKind = "member" | "guest"

export interface NewEntryRecord {
  handle: string
  displayName: string
  title?: string | undefined
  organisation?: string | undefined
  country?: string | undefined
  kind: EntryKind
  createdAt: number
}

export type EntryRecord = NewEntryRecord

export interface DeviceRecord {
  deviceId: string
  handle: string
  name: string
  signaturePublicKey: Uint8Array
  tracemarkPublicKey: Uint8Array
  createdAt: number
  revokedAt?: number | undefined
}

export interface EntryWithDevices extends EntryRecord {
  /** In enrolment order, revoked ones included (with revokedAt). */
  devices: DeviceRecord[]
}

export type InviteKind = "operator" | "device"

export interface NewInviteRecord {
  /** inviteHash(normalised code); the code itself is never stored. */
  hash: Uint8Array
  handle: string
  kind: InviteKind
  createdAt: number
  expiresAt: number
}

export interface EnrolDeviceRecord {
  inviteHash: Uint8Array
  /** Fresh random device id, chosen by the service. */
  deviceId: string
  name: string
  signaturePublicKey: Uint8Array
  tracemarkPublicKey: Uint8Array
  at: number
  maxDevices: number
}

export interface EnrolResult {
  device: DeviceRecord
  entry: EntryWithDevices
  /** Events queued to the entry's other devices (empty on an idempotent retry). */
  delivered: Delivery[]
  /** True when this was a retry that returned the device the invite had already enrolled. */
  retried: boolean
}

export interface KeyPackageCount {
  available: number
  lastResort: boolean
}

export interface ClaimRecord {
  handles: readonly string[]
  deviceIds: readonly string[]
  /** The claiming device: skipped when expanding `handles`. */
  exclude: string
}

export interface ClaimedRecord {
  handle: string
  deviceId: string
  keyPackage: Uint8Array
  lastResort: boolean
}

export interface GroupMemberRecord {
  deviceId: string
  handle: string
  since: number
}

export interface GroupRecord {
  groupId: string
  epoch: bigint
  createdAt: number
  members: GroupMemberRecord[]
}

export interface CommitRecord {
  groupId: string
  senderDeviceId: string
  /** The epoch the commit was created in (the group's current epoch if it is to be accepted). */
  epoch: bigint
  commit: Uint8Array
  /** SHA-256 of `commit`, for duplicate detection. */
  commitHash: Uint8Array
  welcome?: Uint8Array | undefined
  add: readonly string[]
  remove: readonly string[]
  at: number
  maxGroupDevices: number
}

export interface CommitResult {
  /** The group's epoch after the commit. */
  epoch: bigint
  duplicate: boolean
  /** Where the commit was queued (old roster minus sender). */
  commitDelivered: Delivery[]
  /** Where the Welcome was queued (added devices). */
  welcomeDelivered: Delivery[]
}

export interface MessageRecord {
  groupId: string
  senderDeviceId: string
  epoch: bigint
  message: Uint8Array
  /** SHA-256 of `message`, for duplicate detection. */
  messageHash: Uint8Array
  at: number
  /** The sender's expiry: every queued copy is deleted at this time. */
  expiresAt?: number | undefined
}

export interface MessageResult {
  epoch: bigint
  duplicate: boolean
  delivered: Delivery[]
}

/** One queue item written for one device: its sequence number there. */
export interface Delivery {
  deviceId: string
  seq: number
}

export type QueueItemKind = "message" | "commit" | "welcome" | "event"

export interface QueueItemRecord {
  seq: number
  kind: QueueItemKind
  groupId?: string | undefined
  sender?: { handle: string; deviceId: string } | undefined
  data?: Uint8Array | undefined
  event?: QueueEvent | undefined
  at: number
}

export interface QueuePage {
  items: QueueItemRecord[]
  more: boolean
}

export interface StoreStats {
  entries: number
  devices: number
  groups: number
  keyPackages: number
  queueItems: number
  /** Stored MLS message bodies (each shared by every queue item that carries it). */
  bodies: number
}
