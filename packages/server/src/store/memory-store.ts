import { ProtocolError, toHex } from "@backchannel/protocol"
import type { QueueEvent } from "@backchannel/protocol"
import {
  bytesEqualPlain,
  checkInvite,
  checkRosterChange,
  epochConflict,
  keyPackagesExhausted,
  searchText,
  staleEpoch,
  tooManyKeyPackages,
} from "./rules.js"
import type { DeviceStatus } from "./rules.js"
import type {
  ClaimRecord,
  ClaimedRecord,
  CommitRecord,
  CommitResult,
  Delivery,
  DeviceRecord,
  EnrolDeviceRecord,
  EnrolResult,
  EntryRecord,
  EntryWithDevices,
  GroupRecord,
  KeyPackageCount,
  MessageRecord,
  MessageResult,
  NewEntryRecord,
  NewInviteRecord,
  QueueItemKind,
  QueuePage,
  ServerStore,
  StoreStats,
} from "./types.js"

interface MemDevice extends DeviceRecord {
  lastSeq: number
  keyPackages: Uint8Array[]
  lastResort?: Uint8Array | undefined
  queue: MemItem[]
}

interface MemItem {
  seq: number
  kind: QueueItemKind
  groupId?: string | undefined
  senderDeviceId?: string | undefined
  body?: MemBody | undefined
  event?: QueueEvent | undefined
  at: number
}

interface MemBody {
  key: string | undefined
  data: Uint8Array
  refs: number
  expiresAt?: number | undefined
}

interface MemInvite extends NewInviteRecord {
  usedAt?: number | undefined
  usedBy?: string | undefined
}

interface MemGroup {
  groupId: string
  epoch: bigint
  createdAt: number
  members: Map<string, number>
  lastCommit?: { sender: string; hash: Uint8Array } | undefined
}

/**
 * An in-memory ServerStore for tests and experiments. Each method validates everything before it
 * changes anything, so every operation is atomic. Stored bytes are copied in and out so callers cannot
 * alias the store's state.
 */
export class MemoryStore implements ServerStore {
  private readonly entries = new Map<string, EntryRecord>()
  private readonly devices = new Map<string, MemDevice>()
  private readonly invites = new Map<string, MemInvite>()
  private readonly groups = new Map<string, MemGroup>()
  /** Message bodies by group id + SHA-256, for duplicate detection. */
  private readonly messageBodies = new Map<string, MemBody>()
  private readonly settings = new Map<string, string>()
  private closed = false

  createEntry(entry: NewEntryRecord): Promise<EntryRecord> {
    return this.run(() => {
      if (this.entries.has(entry.handle)) throw new ProtocolError("HANDLE_TAKEN")
      const record = { ...entry }
      this.entries.set(entry.handle, record)
      return { ...record }
    })
  }

  getEntry(handle: string): Promise<EntryWithDevices | undefined> {
    return this.run(() => this.entryWithDevices(handle))
  }

  searchEntries(query: string, limit: number): Promise<EntryWithDevices[]> {
    return this.run(() => {
      const needle = query.toLowerCase()
      const out: EntryWithDevices[] = []
      for (const handle of [...this.entries.keys()].sort()) {
        const entry = this.entries.get(handle)
        if (entry === undefined || !searchText(entry).includes(needle)) continue
        const full = this.entryWithDevices(handle)
        if (full !== undefined) out.push(full)
        if (out.length >= limit) break
      }
      return out
    })
  }

  lookupEntries(handles: readonly string[], deviceIds: readonly string[]): Promise<EntryWithDevices[]> {
    return this.run(() => {
      const wanted = new Set(handles)
      for (const id of deviceIds) {
        const device = this.devices.get(id)
        if (device !== undefined) wanted.add(device.handle)
      }
      return [...wanted]
        .sort()
        .map((h) => this.entryWithDevices(h))
        .filter((e): e is EntryWithDevices => e !== undefined)
    })
  }

  listEntries(): Promise<EntryWithDevices[]> {
    return this.run(() =>
      [...this.entries.keys()]
        .sort()
        .map((h) => this.entryWithDevices(h))
        .filter((e): e is EntryWithDevices => e !== undefined),
    )
  }

  createInvite(invite: NewInviteRecord): Promise<void> {
    return this.run(() => {
      if (!this.entries.has(invite.handle)) throw new ProtocolError("ENTRY_NOT_FOUND")
      this.invites.set(toHex(invite.hash), { ...invite, hash: copy(invite.hash) })
    })
  }

  enrolDevice(request: EnrolDeviceRecord): Promise<EnrolResult> {
    return this.run(() => {
      const invite = this.invites.get(toHex(request.inviteHash))
      if (invite?.usedBy !== undefined) {
        const earlier = this.devices.get(invite.usedBy)
        if (
          earlier !== undefined &&
          earlier.revokedAt === undefined &&
          bytesEqualPlain(earlier.signaturePublicKey, request.signaturePublicKey)
        ) {
          const entry = this.entryWithDevices(earlier.handle)
          if (entry === undefined) throw new Error("device without entry")
          return { device: publicDevice(earlier), entry, delivered: [], retried: true }
        }
      }
      checkInvite(invite, request.at)
      if (invite === undefined) throw new ProtocolError("INVITE_INVALID")
      const others = this.devicesOf(invite.handle).filter((d) => d.revokedAt === undefined)
      if (others.length >= request.maxDevices) throw new ProtocolError("FORBIDDEN")
      for (const d of this.devices.values()) {
        if (bytesEqualPlain(d.signaturePublicKey, request.signaturePublicKey)) {
          throw new ProtocolError("KEY_INVALID")
        }
      }
      if (this.devices.has(request.deviceId)) throw new Error("device id collision")
      const device: MemDevice = {
        deviceId: request.deviceId,
        handle: invite.handle,
        name: request.name,
        signaturePublicKey: copy(request.signaturePublicKey),
        tracemarkPublicKey: copy(request.tracemarkPublicKey),
        createdAt: request.at,
        lastSeq: 0,
        keyPackages: [],
        queue: [],
      }
      this.devices.set(device.deviceId, device)
      invite.usedAt = request.at
      invite.usedBy = device.deviceId
      const event: QueueEvent = { type: "device-enrolled", handle: invite.handle, deviceId: device.deviceId }
      const delivered = others.map((other) => this.enqueue(other, { kind: "event", event, at: request.at }))
      const entry = this.entryWithDevices(invite.handle)
      if (entry === undefined) throw new Error("invite without entry")
      return { device: publicDevice(device), entry, delivered, retried: false }
    })
  }

  getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    return this.run(() => {
      const device = this.devices.get(deviceId)
      return device === undefined ? undefined : publicDevice(device)
    })
  }

  countActiveDevices(handle: string): Promise<number> {
    return this.run(() => this.devicesOf(handle).filter((d) => d.revokedAt === undefined).length)
  }

  revokeDevice(deviceId: string, at: number): Promise<{ alreadyRevoked: boolean }> {
    return this.run(() => {
      const device = this.devices.get(deviceId)
      if (device === undefined) throw new ProtocolError("DEVICE_NOT_FOUND")
      if (device.revokedAt !== undefined) return { alreadyRevoked: true }
      device.revokedAt = at
      device.keyPackages = []
      device.lastResort = undefined
      this.dropItems(device, device.queue.length)
      return { alreadyRevoked: false }
    })
  }

  addKeyPackages(
    deviceId: string,
    keyPackages: readonly Uint8Array[],
    lastResort: Uint8Array | undefined,
    maxUnclaimed: number,
  ): Promise<KeyPackageCount> {
    return this.run(() => {
      const device = this.activeDevice(deviceId)
      if (device.keyPackages.length + keyPackages.length > maxUnclaimed) throw tooManyKeyPackages()
      for (const kp of keyPackages) device.keyPackages.push(copy(kp))
      if (lastResort !== undefined) device.lastResort = copy(lastResort)
      return countOf(device)
    })
  }

  keyPackageCount(deviceId: string): Promise<KeyPackageCount> {
    return this.run(() => countOf(this.activeDevice(deviceId)))
  }

  claimKeyPackages(request: ClaimRecord): Promise<ClaimedRecord[]> {
    return this.run(() => {
      const targets: MemDevice[] = []
      const seen = new Set<string>()
      const addTarget = (d: MemDevice): void => {
        if (seen.has(d.deviceId)) return
        seen.add(d.deviceId)
        targets.push(d)
      }
      for (const handle of request.handles) {
        if (!this.entries.has(handle)) throw new ProtocolError("ENTRY_NOT_FOUND")
        for (const d of this.devicesOf(handle)) {
          if (d.revokedAt === undefined && d.deviceId !== request.exclude) addTarget(d)
        }
      }
      for (const id of request.deviceIds) {
        const d = this.devices.get(id)
        if (d === undefined || d.revokedAt !== undefined) throw new ProtocolError("DEVICE_NOT_FOUND")
        addTarget(d)
      }
      for (const d of targets) {
        if (d.keyPackages.length === 0 && d.lastResort === undefined) throw keyPackagesExhausted(d.deviceId)
      }
      return targets.map((d) => {
        const oneTime = d.keyPackages.shift()
        const keyPackage = oneTime ?? d.lastResort
        if (keyPackage === undefined) throw new Error("unreachable: checked above")
        return {
          handle: d.handle,
          deviceId: d.deviceId,
          keyPackage: copy(keyPackage),
          lastResort: oneTime === undefined,
        }
      })
    })
  }

  createGroup(groupId: string, creatorDeviceId: string, at: number): Promise<GroupRecord> {
    return this.run(() => {
      if (this.groups.has(groupId)) throw new ProtocolError("GROUP_EXISTS")
      this.activeDevice(creatorDeviceId)
      const group: MemGroup = { groupId, epoch: 0n, createdAt: at, members: new Map([[creatorDeviceId, at]]) }
      this.groups.set(groupId, group)
      return this.groupRecord(group)
    })
  }

  getGroup(groupId: string): Promise<GroupRecord | undefined> {
    return this.run(() => {
      const group = this.groups.get(groupId)
      return group === undefined ? undefined : this.groupRecord(group)
    })
  }

  commit(request: CommitRecord): Promise<CommitResult> {
    return this.run(() => {
      const group = this.groups.get(request.groupId)
      if (group === undefined) throw new ProtocolError("GROUP_NOT_FOUND")
      this.activeDevice(request.senderDeviceId)
      const last = group.lastCommit
      if (
        last !== undefined &&
        last.sender === request.senderDeviceId &&
        request.epoch + 1n === group.epoch &&
        bytesEqualPlain(last.hash, request.commitHash)
      ) {
        return { epoch: group.epoch, duplicate: true, commitDelivered: [], welcomeDelivered: [] }
      }
      if (!group.members.has(request.senderDeviceId)) throw new ProtocolError("NOT_A_MEMBER")
      if (request.epoch !== group.epoch) throw epochConflict(group.epoch)
      checkRosterChange({
        members: new Set(group.members.keys()),
        sender: request.senderDeviceId,
        add: request.add,
        remove: request.remove,
        status: (id) => this.status(id),
        maxGroupDevices: request.maxGroupDevices,
      })
      const oldRoster = this.activeMembers(group, request.senderDeviceId)
      const commitBody: MemBody = { key: undefined, data: copy(request.commit), refs: 0 }
      const commitDelivered = oldRoster.map((d) =>
        this.enqueue(d, {
          kind: "commit",
          groupId: group.groupId,
          senderDeviceId: request.senderDeviceId,
          body: commitBody,
          at: request.at,
        }),
      )
      let welcomeDelivered: Delivery[] = []
      if (request.welcome !== undefined && request.add.length > 0) {
        const welcomeBody: MemBody = { key: undefined, data: copy(request.welcome), refs: 0 }
        welcomeDelivered = request.add.map((id) =>
          this.enqueue(this.activeDevice(id), {
            kind: "welcome",
            groupId: group.groupId,
            senderDeviceId: request.senderDeviceId,
            body: welcomeBody,
            at: request.at,
          }),
        )
      }
      for (const id of request.remove) group.members.delete(id)
      for (const id of request.add) group.members.set(id, request.at)
      group.epoch += 1n
      group.lastCommit = { sender: request.senderDeviceId, hash: copy(request.commitHash) }
      return { epoch: group.epoch, duplicate: false, commitDelivered, welcomeDelivered }
    })
  }

  sendMessage(request: MessageRecord): Promise<MessageResult> {
    return this.run(() => {
      const group = this.groups.get(request.groupId)
      if (group === undefined) throw new ProtocolError("GROUP_NOT_FOUND")
      this.activeDevice(request.senderDeviceId)
      if (!group.members.has(request.senderDeviceId)) throw new ProtocolError("NOT_A_MEMBER")
      const key = `${group.groupId}:${toHex(request.messageHash)}`
      if (this.messageBodies.has(key)) return { epoch: group.epoch, duplicate: true, delivered: [] }
      if (request.epoch !== group.epoch) throw staleEpoch(group.epoch)
      const recipients = this.activeMembers(group, request.senderDeviceId)
      if (recipients.length === 0) return { epoch: group.epoch, duplicate: false, delivered: [] }
      const body: MemBody = { key, data: copy(request.message), refs: 0, expiresAt: request.expiresAt }
      this.messageBodies.set(key, body)
      const delivered = recipients.map((d) =>
        this.enqueue(d, {
          kind: "message",
          groupId: group.groupId,
          senderDeviceId: request.senderDeviceId,
          body,
          at: request.at,
        }),
      )
      return { epoch: group.epoch, duplicate: false, delivered }
    })
  }

  fetchQueue(deviceId: string, after: number, limit: number, maxBytes = Infinity): Promise<QueuePage> {
    return this.run(() => {
      const device = this.devices.get(deviceId)
      if (device === undefined) return { items: [], more: false }
      const start = firstAfter(device.queue, after)
      const slice: MemItem[] = []
      let bytes = 0
      for (const item of device.queue.slice(start, start + limit)) {
        const size = item.body?.data.length ?? 0
        if (slice.length > 0 && bytes + size > maxBytes) break
        slice.push(item)
        bytes += size
      }
      return {
        items: slice.map((item) => {
          const sender = item.senderDeviceId === undefined ? undefined : this.devices.get(item.senderDeviceId)
          return {
            seq: item.seq,
            kind: item.kind,
            groupId: item.groupId,
            sender: sender === undefined ? undefined : { handle: sender.handle, deviceId: sender.deviceId },
            data: item.body === undefined ? undefined : copy(item.body.data),
            event: item.event,
            at: item.at,
          }
        }),
        more: start + slice.length < device.queue.length,
      }
    })
  }

  ack(deviceId: string, upTo: number): Promise<number> {
    return this.run(() => {
      const device = this.devices.get(deviceId)
      if (device === undefined) return 0
      return this.dropItems(device, firstAfter(device.queue, upTo))
    })
  }

  purgeExpired(before: number): Promise<number> {
    return this.run(() => {
      let removed = 0
      for (const device of this.devices.values()) {
        const kept: MemItem[] = []
        for (const item of device.queue) {
          if (item.at < before) {
            this.release(item)
            removed++
          } else kept.push(item)
        }
        device.queue = kept
      }
      return removed
    })
  }

  stats(): Promise<StoreStats> {
    return this.run(() => {
      let keyPackages = 0
      let queueItems = 0
      const bodies = new Set<MemBody>(this.messageBodies.values())
      for (const d of this.devices.values()) {
        keyPackages += d.keyPackages.length
        queueItems += d.queue.length
        for (const item of d.queue) if (item.body !== undefined) bodies.add(item.body)
      }
      return {
        entries: this.entries.size,
        devices: this.devices.size,
        groups: this.groups.size,
        keyPackages,
        queueItems,
        bodies: bodies.size,
      }
    })
  }

  close(): Promise<void> {
    this.closed = true
    return Promise.resolve()
  }

  // -- internals -----------------------------------------------------------------------------------

  private run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("store is closed"))
    try {
      return Promise.resolve(fn())
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error("store failure"))
    }
  }

  private devicesOf(handle: string): MemDevice[] {
    return [...this.devices.values()].filter((d) => d.handle === handle)
  }

  private entryWithDevices(handle: string): EntryWithDevices | undefined {
    const entry = this.entries.get(handle)
    if (entry === undefined) return undefined
    return { ...entry, devices: this.devicesOf(handle).map(publicDevice) }
  }

  private status(deviceId: string): DeviceStatus {
    const device = this.devices.get(deviceId)
    if (device === undefined) return "unknown"
    return device.revokedAt === undefined ? "active" : "revoked"
  }

  /** The device, which must exist and not be revoked (DEVICE_NOT_FOUND, DEVICE_REVOKED). */
  private activeDevice(deviceId: string): MemDevice {
    const device = this.devices.get(deviceId)
    if (device === undefined) throw new ProtocolError("DEVICE_NOT_FOUND")
    if (device.revokedAt !== undefined) throw new ProtocolError("DEVICE_REVOKED")
    return device
  }

  private activeMembers(group: MemGroup, except: string): MemDevice[] {
    const out: MemDevice[] = []
    for (const id of group.members.keys()) {
      if (id === except) continue
      const device = this.devices.get(id)
      if (device !== undefined && device.revokedAt === undefined) out.push(device)
    }
    return out
  }

  private groupRecord(group: MemGroup): GroupRecord {
    return {
      groupId: group.groupId,
      epoch: group.epoch,
      createdAt: group.createdAt,
      members: [...group.members].map(([deviceId, since]) => ({
        deviceId,
        handle: this.devices.get(deviceId)?.handle ?? "",
        since,
      })),
    }
  }

  private enqueue(device: MemDevice, item: Omit<MemItem, "seq">): Delivery {
    device.lastSeq += 1
    if (item.body !== undefined) item.body.refs += 1
    device.queue.push({ ...item, seq: device.lastSeq })
    return { deviceId: device.deviceId, seq: device.lastSeq }
  }

  /** Removes the first `count` items of a device's queue and releases their bodies. */
  private dropItems(device: MemDevice, count: number): number {
    const dropped = device.queue.splice(0, count)
    for (const item of dropped) this.release(item)
    return dropped.length
  }

  purgeExpiredMessages(now: number): Promise<number> {
    return this.run(() => {
      let removed = 0
      for (const device of this.devices.values()) {
        const kept: MemItem[] = []
        for (const item of device.queue) {
          const expiresAt = item.body?.expiresAt
          if (expiresAt !== undefined && expiresAt <= now) {
            this.release(item)
            removed++
          } else kept.push(item)
        }
        device.queue = kept
      }
      return removed
    })
  }

  getSetting(key: string): Promise<string | undefined> {
    return this.run(() => this.settings.get(key))
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.run(() => {
      this.settings.set(key, value)
    })
  }

  private release(item: MemItem): void {
    const body = item.body
    if (body === undefined) return
    body.refs -= 1
    if (body.refs <= 0 && body.key !== undefined) this.messageBodies.delete(body.key)
  }
}

function publicDevice(device: MemDevice): DeviceRecord {
  const out: DeviceRecord = {
    deviceId: device.deviceId,
    handle: device.handle,
    name: device.name,
    signaturePublicKey: copy(device.signaturePublicKey),
    tracemarkPublicKey: copy(device.tracemarkPublicKey),
    createdAt: device.createdAt,
  }
  if (device.revokedAt !== undefined) out.revokedAt = device.revokedAt
  return out
}

function countOf(device: MemDevice): KeyPackageCount {
  return { available: device.keyPackages.length, lastResort: device.lastResort !== undefined }
}

/** Index of the first item with seq > after (queues are sorted by seq). */
function firstAfter(queue: readonly MemItem[], after: number): number {
  let lo = 0
  let hi = queue.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((queue[mid]?.seq ?? Infinity) <= after) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** A plain Uint8Array copy (never a Buffer), so callers cannot alias the store's state. */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}
