import { closeSync, fdatasync, fsyncSync, openSync } from "node:fs"
import { dirname } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import type { Database, Statement } from "better-sqlite3"
import { ProtocolError } from "@backchannel/protocol"
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
import { Checkpointer } from "./checkpointer.js"
import type { CheckpointStats, CheckpointerOptions } from "./checkpointer.js"
import { HeldHashes, keyOf } from "./held-hashes.js"
import { migrate } from "./sqlite-schema.js"
import type {
  ClaimRecord,
  ClaimedRecord,
  CommitRecord,
  CommitResult,
  Delivery,
  DeviceRecord,
  EnrolDeviceRecord,
  EnrolResult,
  EntryKind,
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
import { WriteQueue } from "./write-queue.js"

export interface SqliteStoreOptions {
  /**
   * FULL (default): a write settles only once it is on disk (survives power loss); the WAL is synced
   * on the thread pool, not on the event loop (see WriteQueue). NORMAL: settles at COMMIT, survives a
   * process crash but not power loss (a diagnostic for benchmarks).
   */
  synchronous?: "FULL" | "NORMAL"
  /** How long a writer waits for another process's lock (the admin CLI) before failing. */
  busyTimeoutMs?: number
  /**
   * Where WAL checkpoints run. "worker" (default): on a worker thread with its own connection, so
   * the event loop never copies pages into the database file nor waits for its fsync (see
   * Checkpointer). "inline": SQLite's own automatic checkpoints in the committing connection (for
   * short-lived processes such as the admin CLI, where a thread is not worth starting).
   */
  checkpoints?: "worker" | "inline"
  /** Tuning of the worker's checkpoints (tests use small values). */
  checkpointer?: Omit<CheckpointerOptions, "onFailure">
  /** Told when the checkpoint worker fails; the connection then goes back to SQLite's own checkpoints. */
  onCheckpointFailure?: (error: Error) => void
}

const kindCodes: Record<QueueItemKind, number> = { message: 1, commit: 2, welcome: 3, event: 4 }
const kindNames: Record<number, QueueItemKind> = { 1: "message", 2: "commit", 3: "welcome", 4: "event" }

interface DeviceRow {
  id: number
  device_id: string
  handle: string
  name: string
  signature_key: Uint8Array
  tracemark_key: Uint8Array
  created_at: number
  revoked_at: number | null
}

interface EntryRow {
  handle: string
  display_name: string
  title: string | null
  organisation: string | null
  country: string | null
  kind: EntryKind
  created_at: number
}

interface GroupRow {
  id: number
  group_id: string
  epoch: number | bigint
  created_at: number
  last_commit_hash: Uint8Array | null
  last_commit_sender: number | null
}

interface QueueRow {
  seq: number
  kind: number
  group_id: string | null
  sender_handle: string | null
  sender_device: string | null
  data: Uint8Array | null
  event: string | null
  at: number
}

/** Page size of a new database file, and the page cache in KiB (see the constructor). */
const PAGE_SIZE = 16_384
const CACHE_KIB = 16_384
/** SQLite's default `wal_autocheckpoint` (pages), restored if the checkpoint worker fails. */
const SQLITE_AUTOCHECKPOINT = 1000

const deviceColumns = "id, device_id, handle, name, signature_key, tracemark_key, created_at, revoked_at"

/**
 * The default ServerStore: one SQLite file (WAL) through better-sqlite3. Reads run directly (they are
 * synchronous and see only committed data); writes go through a WriteQueue that applies the
 * operations of one event-loop tick in one transaction. Nothing about the directory, invites or
 * devices is cached, because the operator's admin CLI writes to the same file while the server runs.
 */
export class SqliteStore implements ServerStore {
  private readonly db: Database
  private readonly writes: WriteQueue
  private readonly s: ReturnType<typeof prepareStatements>
  /** Which bodies may carry a message hash (the duplicate check); kept in step by the write queue's hooks. */
  private readonly held = new HeldHashes()
  private readonly checkpointer: Checkpointer | undefined
  private closed = false
  private walFd: number | undefined

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = new BetterSqlite3(path)
    try {
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`)
      // 16 KiB pages: a commit of queued messages writes a quarter as many WAL frames (each with its own
      // write calls) as with 4 KiB pages. SQLite applies this only to a file without tables yet, so it
      // must come before WAL mode and the migrations; a file made with other pages keeps them (it works
      // the same).
      // The cache holds a whole commit's pages (16 MiB instead of SQLite's 2 MiB default), so a large
      // batch is not spilled to the WAL before its COMMIT.
      this.db.pragma(`page_size = ${PAGE_SIZE}`)
      this.db.pragma(`cache_size = -${CACHE_KIB}`)
      const wal = this.db.pragma("journal_mode = WAL", { simple: true }) === "wal"
      // In WAL mode SQLite at NORMAL never syncs at COMMIT (only around checkpoints, which keeps the
      // file consistent); FULL durability is then the queue's own fdatasync of the WAL after COMMIT.
      const syncWal = wal && options.synchronous !== "NORMAL"
      this.db.pragma(`synchronous = ${wal || options.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`)
      this.db.pragma("foreign_keys = ON")
      if (wal && (options.checkpoints ?? "worker") === "worker") {
        this.db.pragma("wal_autocheckpoint = 0")
        this.checkpointer = new Checkpointer(this.db.name, {
          ...options.checkpointer,
          // Never called once close() has begun, so the connection is still open here.
          onFailure: (error) => {
            this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`)
            options.onCheckpointFailure?.(error)
          },
        })
      }
      migrate(this.db)
      this.s = prepareStatements(this.db)
      for (const row of this.s.heldHashes.iterate() as Iterable<{ id: number; hash: Uint8Array }>) {
        this.held.add(row.hash, row.id)
      }
      this.held.committed()
      const checkpointer = this.checkpointer
      this.writes = new WriteQueue(this.db, {
        hooks: this.held,
        ...(checkpointer !== undefined ? { afterCommit: () => checkpointer.nudge() } : {}),
        ...(syncWal ? { sync: () => this.syncWal() } : {}),
      })
    } catch (err) {
      this.db.close()
      throw err
    }
  }

  /**
   * fdatasync of the WAL file: everything committed so far is on disk when it resolves. The file is
   * opened once; SQLite keeps the same file (it truncates or rewrites it, never replaces it) while this
   * connection is open, and deletes it only when the last connection closes. The first time, the
   * directory is synced too, so that a WAL file created at this start-up is itself on disk (SQLite at
   * NORMAL would do that only at its first checkpoint).
   */
  private syncWal(): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        if (this.walFd === undefined) {
          const dir = openSync(dirname(this.db.name), "r")
          try {
            fsyncSync(dir)
          } finally {
            closeSync(dir)
          }
          this.walFd = openSync(`${this.db.name}-wal`, "r")
        }
      } catch (err) {
        reject(err instanceof Error ? err : new Error("cannot open the WAL"))
        return
      }
      fdatasync(this.walFd, (err) => {
        if (err === null) resolve()
        else reject(err)
      })
    })
  }

  /** Group-commit counters (for tests and benchmarks). */
  get writeStats(): WriteQueue["stats"] {
    return this.writes.stats
  }

  /** Checkpoint worker counters (undefined when checkpoints run inline). */
  get checkpointStats(): Readonly<CheckpointStats> | undefined {
    return this.checkpointer?.stats
  }

  /** Resolves once the checkpoint worker has nothing running or waiting (for tests and benchmarks). */
  async checkpointsIdle(): Promise<void> {
    await this.writes.drain()
    await this.checkpointer?.idle()
  }

  /** Message hashes held in memory for the duplicate check (for tests and benchmarks). */
  get heldHashCount(): number {
    return this.held.size
  }

  // -- Directory ---------------------------------------------------------------------------------

  createEntry(entry: NewEntryRecord): Promise<EntryRecord> {
    return this.write(() => {
      if (this.s.entryByHandle.get(entry.handle) !== undefined) throw new ProtocolError("HANDLE_TAKEN")
      this.s.insertEntry.run(
        entry.handle,
        entry.displayName,
        entry.title ?? null,
        entry.organisation ?? null,
        entry.country ?? null,
        entry.kind,
        searchText(entry),
        entry.createdAt,
      )
      return { ...entry }
    })
  }

  getEntry(handle: string): Promise<EntryWithDevices | undefined> {
    return this.read(() => this.entryWithDevices(handle))
  }

  searchEntries(query: string, limit: number): Promise<EntryWithDevices[]> {
    return this.read(() => {
      const rows = this.s.searchEntries.all(query.toLowerCase(), limit) as EntryRow[]
      return rows.map((row) => this.withDevices(row))
    })
  }

  lookupEntries(handles: readonly string[], deviceIds: readonly string[]): Promise<EntryWithDevices[]> {
    return this.read(() => {
      const wanted = new Set(handles)
      for (const id of deviceIds) {
        const device = this.deviceRow(id)
        if (device !== undefined) wanted.add(device.handle)
      }
      return [...wanted]
        .sort()
        .map((h) => this.entryWithDevices(h))
        .filter((e): e is EntryWithDevices => e !== undefined)
    })
  }

  listEntries(): Promise<EntryWithDevices[]> {
    return this.read(() => (this.s.allEntries.all() as EntryRow[]).map((row) => this.withDevices(row)))
  }

  // -- Invites, enrolment, devices -----------------------------------------------------------------

  createInvite(invite: NewInviteRecord): Promise<void> {
    return this.write(() => {
      if (this.s.entryByHandle.get(invite.handle) === undefined) throw new ProtocolError("ENTRY_NOT_FOUND")
      this.s.insertInvite.run(invite.hash, invite.handle, invite.kind, invite.createdAt, invite.expiresAt)
    })
  }

  enrolDevice(request: EnrolDeviceRecord): Promise<EnrolResult> {
    return this.write(() => {
      const invite = this.s.inviteByHash.get(request.inviteHash) as
        { handle: string; expires_at: number; used_at: number | null; used_by: number | null } | undefined
      if (invite !== undefined && invite.used_by !== null) {
        const earlier = this.s.deviceByRef.get(invite.used_by) as DeviceRow | undefined
        if (
          earlier !== undefined &&
          earlier.revoked_at === null &&
          bytesEqualPlain(bytes(earlier.signature_key), request.signaturePublicKey)
        ) {
          const entry = this.entryWithDevices(earlier.handle)
          if (entry === undefined) throw new Error("device without entry")
          return { device: deviceRecord(earlier), entry, delivered: [], retried: true }
        }
      }
      checkInvite(
        invite === undefined
          ? undefined
          : { expiresAt: invite.expires_at, usedAt: invite.used_at ?? undefined },
        request.at,
      )
      if (invite === undefined) throw new ProtocolError("INVITE_INVALID")
      const others = this.s.activeDevicesOf.all(invite.handle) as { id: number; device_id: string }[]
      if (others.length >= request.maxDevices) throw new ProtocolError("FORBIDDEN")
      if (this.s.deviceByKey.get(request.signaturePublicKey) !== undefined)
        throw new ProtocolError("KEY_INVALID")
      const inserted = this.s.insertDevice.run(
        request.deviceId,
        invite.handle,
        request.name,
        request.signaturePublicKey,
        request.tracemarkPublicKey,
        request.at,
      )
      const ref = Number(inserted.lastInsertRowid)
      this.s.useInvite.run(request.at, ref, request.inviteHash)
      const event: QueueEvent = { type: "device-enrolled", handle: invite.handle, deviceId: request.deviceId }
      const eventJson = JSON.stringify(event)
      const delivered: Delivery[] = others.map((other) => {
        const seq = this.nextSeq(other.id)
        this.s.insertItem.run(other.id, seq, kindCodes.event, null, null, null, eventJson, request.at)
        return { deviceId: other.device_id, seq }
      })
      const device = this.s.deviceByRef.get(ref) as DeviceRow
      const entry = this.entryWithDevices(invite.handle)
      if (entry === undefined) throw new Error("invite without entry")
      return { device: deviceRecord(device), entry, delivered, retried: false }
    })
  }

  getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    return this.read(() => {
      const row = this.deviceRow(deviceId)
      return row === undefined ? undefined : deviceRecord(row)
    })
  }

  countActiveDevices(handle: string): Promise<number> {
    return this.read(() => this.s.activeDevicesOf.all(handle).length)
  }

  revokeDevice(deviceId: string, at: number): Promise<{ alreadyRevoked: boolean }> {
    return this.write(() => {
      const device = this.deviceRow(deviceId)
      if (device === undefined) throw new ProtocolError("DEVICE_NOT_FOUND")
      if (device.revoked_at !== null) return { alreadyRevoked: true }
      this.s.revokeDevice.run(at, device.id)
      this.s.deleteKeyPackagesOf.run(device.id)
      this.s.deleteLastResortOf.run(device.id)
      this.releaseBodies(this.s.deleteQueueOf.all(device.id) as { body_ref: number | null }[])
      return { alreadyRevoked: false }
    })
  }

  // -- Key packages --------------------------------------------------------------------------------

  addKeyPackages(
    deviceId: string,
    keyPackages: readonly Uint8Array[],
    lastResort: Uint8Array | undefined,
    maxUnclaimed: number,
  ): Promise<KeyPackageCount> {
    return this.write(() => {
      const device = this.activeDevice(deviceId)
      const have = (this.s.countKeyPackages.get(device.id) as { n: number }).n
      if (have + keyPackages.length > maxUnclaimed) throw tooManyKeyPackages()
      for (const kp of keyPackages) this.s.insertKeyPackage.run(device.id, kp)
      if (lastResort !== undefined) this.s.upsertLastResort.run(device.id, lastResort)
      return this.countOf(device.id)
    })
  }

  keyPackageCount(deviceId: string): Promise<KeyPackageCount> {
    return this.read(() => this.countOf(this.activeDevice(deviceId).id))
  }

  claimKeyPackages(request: ClaimRecord): Promise<ClaimedRecord[]> {
    return this.write(() => {
      const targets: DeviceRow[] = []
      const seen = new Set<number>()
      const addTarget = (d: DeviceRow): void => {
        if (seen.has(d.id)) return
        seen.add(d.id)
        targets.push(d)
      }
      for (const handle of request.handles) {
        if (this.s.entryByHandle.get(handle) === undefined) throw new ProtocolError("ENTRY_NOT_FOUND")
        for (const d of this.s.activeDeviceRowsOf.all(handle) as DeviceRow[]) {
          if (d.device_id !== request.exclude) addTarget(d)
        }
      }
      for (const id of request.deviceIds) {
        const d = this.deviceRow(id)
        if (d === undefined || d.revoked_at !== null) throw new ProtocolError("DEVICE_NOT_FOUND")
        addTarget(d)
      }
      const picks = targets.map((d) => {
        const oneTime = this.s.oldestKeyPackage.get(d.id) as { id: number; data: Uint8Array } | undefined
        if (oneTime !== undefined) return { device: d, id: oneTime.id, data: bytes(oneTime.data) }
        const lastResort = this.s.lastResortOf.get(d.id) as { data: Uint8Array } | undefined
        if (lastResort === undefined) throw keyPackagesExhausted(d.device_id)
        return { device: d, id: undefined, data: bytes(lastResort.data) }
      })
      return picks.map((p) => {
        if (p.id !== undefined) this.s.deleteKeyPackage.run(p.id)
        return {
          handle: p.device.handle,
          deviceId: p.device.device_id,
          keyPackage: p.data,
          lastResort: p.id === undefined,
        }
      })
    })
  }

  // -- Groups and queues ---------------------------------------------------------------------------

  createGroup(groupId: string, creatorDeviceId: string, at: number): Promise<GroupRecord> {
    return this.write(() => {
      if (this.s.groupByGid.get(groupId) !== undefined) throw new ProtocolError("GROUP_EXISTS")
      const creator = this.activeDevice(creatorDeviceId)
      const ref = Number(this.s.insertGroup.run(groupId, at).lastInsertRowid)
      this.s.insertMember.run(ref, creator.id, at)
      return {
        groupId,
        epoch: 0n,
        createdAt: at,
        members: [{ deviceId: creator.device_id, handle: creator.handle, since: at }],
      }
    })
  }

  getGroup(groupId: string): Promise<GroupRecord | undefined> {
    return this.read(() => {
      const group = this.s.groupByGid.get(groupId) as GroupRow | undefined
      if (group === undefined) return undefined
      const members = this.s.membersOf.all(group.id) as { device_id: string; handle: string; since: number }[]
      return {
        groupId: group.group_id,
        epoch: BigInt(group.epoch),
        createdAt: group.created_at,
        members: members.map((m) => ({ deviceId: m.device_id, handle: m.handle, since: m.since })),
      }
    })
  }

  commit(request: CommitRecord): Promise<CommitResult> {
    return this.write(() => {
      const group = this.s.groupByGid.get(request.groupId) as GroupRow | undefined
      if (group === undefined) throw new ProtocolError("GROUP_NOT_FOUND")
      const sender = this.activeDevice(request.senderDeviceId)
      const epoch = BigInt(group.epoch)
      if (
        group.last_commit_sender === sender.id &&
        group.last_commit_hash !== null &&
        request.epoch + 1n === epoch &&
        bytesEqualPlain(bytes(group.last_commit_hash), request.commitHash)
      ) {
        return { epoch, duplicate: true, commitDelivered: [], welcomeDelivered: [] }
      }
      if (this.s.isMember.get(group.id, sender.id) === undefined) throw new ProtocolError("NOT_A_MEMBER")
      if (request.epoch !== epoch) throw epochConflict(epoch)
      const memberIds = (this.s.memberDeviceIds.all(group.id) as { device_id: string }[]).map(
        (m) => m.device_id,
      )
      const statusCache = new Map<string, DeviceRow | undefined>()
      const lookup = (id: string): DeviceRow | undefined => {
        if (!statusCache.has(id)) statusCache.set(id, this.deviceRow(id))
        return statusCache.get(id)
      }
      checkRosterChange({
        members: new Set(memberIds),
        sender: sender.device_id,
        add: request.add,
        remove: request.remove,
        status: (id): DeviceStatus => {
          const d = lookup(id)
          if (d === undefined) return "unknown"
          return d.revoked_at === null ? "active" : "revoked"
        },
        maxGroupDevices: request.maxGroupDevices,
      })
      const commitDelivered = this.fanOut(
        group.id,
        sender.id,
        kindCodes.commit,
        request.commit,
        null,
        request.at,
      )
      let welcomeDelivered: Delivery[] = []
      if (request.welcome !== undefined && request.add.length > 0) {
        const body = this.insertBody(group.id, null, request.welcome, request.add.length)
        welcomeDelivered = request.add.map((id) => {
          const device = lookup(id)
          if (device === undefined) throw new Error("unreachable: checked above")
          const seq = this.nextSeq(device.id)
          this.s.insertItem.run(
            device.id,
            seq,
            kindCodes.welcome,
            group.id,
            sender.id,
            body,
            null,
            request.at,
          )
          return { deviceId: device.device_id, seq }
        })
      }
      for (const id of request.remove) {
        const device = lookup(id)
        if (device !== undefined) this.s.deleteMember.run(group.id, device.id)
      }
      for (const id of request.add) {
        const device = lookup(id)
        if (device !== undefined) this.s.insertMember.run(group.id, device.id, request.at)
      }
      const next = epoch + 1n
      this.s.advanceEpoch.run(next, request.commitHash, sender.id, group.id)
      return { epoch: next, duplicate: false, commitDelivered, welcomeDelivered }
    })
  }

  sendMessage(request: MessageRecord): Promise<MessageResult> {
    return this.write(() => {
      // The hot path: group, sender and membership in one statement; "already stored?" from memory.
      const row = this.s.sendContext.get(request.groupId, request.senderDeviceId) as
        | {
            sender_ref: number
            revoked_at: number | null
            group_ref: number | null
            epoch: number | bigint | null
            member: number | null
          }
        | undefined
      if (row === undefined) throw new ProtocolError("DEVICE_NOT_FOUND")
      if (row.group_ref === null || row.epoch === null) throw new ProtocolError("GROUP_NOT_FOUND")
      if (row.revoked_at !== null) throw new ProtocolError("DEVICE_REVOKED")
      if (row.member === null) throw new ProtocolError("NOT_A_MEMBER")
      const epoch = BigInt(row.epoch)
      if (this.isStored(row.group_ref, request.messageHash)) return { epoch, duplicate: true, delivered: [] }
      if (request.epoch !== epoch) throw staleEpoch(epoch)
      const delivered = this.fanOut(
        row.group_ref,
        row.sender_ref,
        kindCodes.message,
        request.message,
        request.messageHash,
        request.at,
        request.expiresAt,
      )
      return { epoch, duplicate: false, delivered }
    })
  }

  fetchQueue(deviceId: string, after: number, limit: number, maxBytes = Infinity): Promise<QueuePage> {
    return this.read(() => {
      const device = this.s.deviceRefById.get(deviceId) as { id: number } | undefined
      if (device === undefined) return { items: [], more: false }
      const rows: QueueRow[] = []
      let total = 0
      let more = false
      // Iterate so that a byte budget stops the read before large bodies are loaded.
      for (const row of this.s.fetchQueue.iterate(device.id, after, limit + 1) as Iterable<QueueRow>) {
        const size = row.data?.length ?? 0
        if (rows.length === limit || (rows.length > 0 && total + size > maxBytes)) {
          more = true
          break
        }
        rows.push(row)
        total += size
      }
      return {
        items: rows.map((row) => ({
          seq: row.seq,
          kind: kindNames[row.kind] ?? "event",
          groupId: row.group_id ?? undefined,
          sender:
            row.sender_device === null || row.sender_handle === null
              ? undefined
              : { handle: row.sender_handle, deviceId: row.sender_device },
          data: row.data === null ? undefined : bytes(row.data),
          event: row.event === null ? undefined : (JSON.parse(row.event) as QueueEvent),
          at: row.at,
        })),
        more,
      }
    })
  }

  ack(deviceId: string, upTo: number): Promise<number> {
    return this.write(() => {
      // An unknown device matches no queue row.
      const rows = this.s.ackDelete.all(deviceId, upTo) as { body_ref: number | null }[]
      this.releaseBodies(rows)
      return rows.length
    })
  }

  purgeExpired(before: number): Promise<number> {
    return this.write(() => {
      const rows = this.s.purge.all(before) as { body_ref: number | null }[]
      this.releaseBodies(rows)
      return rows.length
    })
  }

  purgeExpiredMessages(now: number): Promise<number> {
    return this.write(() => {
      // The partial index answers "anything expired?" without touching the queue; only then is the
      // queue scanned for the expired bodies' rows.
      if (this.s.expiredBody.get(now) === undefined) return 0
      const removed = this.s.deleteExpiredItems.run(now).changes
      for (const row of this.s.deleteExpiredBodies.all(now) as { id: number; hash: Uint8Array | null }[]) {
        if (row.hash !== null) this.held.remove(row.hash, row.id)
      }
      return removed
    })
  }

  getSetting(key: string): Promise<string | undefined> {
    return this.read(() => (this.s.getSetting.get(key) as { value: string } | undefined)?.value)
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.write(() => {
      this.s.setSetting.run(key, value)
    })
  }

  stats(): Promise<StoreStats> {
    return this.read(() => {
      const count = (table: string): number =>
        (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
      return {
        entries: count("entries"),
        devices: count("devices"),
        groups: count("groups"),
        keyPackages: count("key_packages"),
        queueItems: count("queue"),
        bodies: count("bodies"),
      }
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.writes.drain()
    // The worker's connection closes first, so that this one is the last: SQLite then checkpoints
    // what is left and deletes the WAL file.
    await this.checkpointer?.close()
    this.closed = true
    this.db.close()
    if (this.walFd !== undefined) closeSync(this.walFd)
  }

  // -- internals -----------------------------------------------------------------------------------

  private read<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("store is closed"))
    try {
      return Promise.resolve(fn())
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error("store failure"))
    }
  }

  private write<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("store is closed"))
    return this.writes.run(fn)
  }

  private deviceRow(deviceId: string): DeviceRow | undefined {
    return this.s.deviceById.get(deviceId) as DeviceRow | undefined
  }

  private activeDevice(deviceId: string): DeviceRow {
    const device = this.deviceRow(deviceId)
    if (device === undefined) throw new ProtocolError("DEVICE_NOT_FOUND")
    if (device.revoked_at !== null) throw new ProtocolError("DEVICE_REVOKED")
    return device
  }

  private nextSeq(deviceRef: number): number {
    return (this.s.nextSeq.get(deviceRef) as { last_seq: number }).last_seq
  }

  private countOf(deviceRef: number): KeyPackageCount {
    return {
      available: (this.s.countKeyPackages.get(deviceRef) as { n: number }).n,
      lastResort: this.s.lastResortOf.get(deviceRef) !== undefined,
    }
  }

  private insertBody(
    groupRef: number,
    hash: Uint8Array | null,
    data: Uint8Array,
    refs: number,
    expiresAt: number | null = null,
  ): number {
    return Number(this.s.insertBody.run(groupRef, hash, data, refs, expiresAt).lastInsertRowid)
  }

  /**
   * Queues one item for every active member of the group except the sender: advances each
   * recipient's counter in one statement, stores the body once, then writes one queue row each.
   */
  private fanOut(
    groupRef: number,
    senderRef: number,
    kind: number,
    data: Uint8Array,
    hash: Uint8Array | null,
    at: number,
    expiresAt?: number,
  ): Delivery[] {
    const recipients = this.s.bumpRecipients.all(groupRef, senderRef) as {
      id: number
      device_id: string
      last_seq: number
    }[]
    if (recipients.length === 0) return []
    const body = this.insertBody(groupRef, hash, data, recipients.length, expiresAt ?? null)
    if (hash !== null) this.held.add(hash, body)
    return recipients.map((r) => {
      this.s.insertItem.run(r.id, r.last_seq, kind, groupRef, senderRef, body, null, at)
      return { deviceId: r.device_id, seq: r.last_seq }
    })
  }

  /** Drops one reference per deleted queue row and deletes bodies nobody refers to any more. */
  private releaseBodies(rows: readonly { body_ref: number | null }[]): void {
    const counts = new Map<number, number>()
    for (const row of rows) {
      if (row.body_ref !== null) counts.set(row.body_ref, (counts.get(row.body_ref) ?? 0) + 1)
    }
    for (const [id, n] of counts) {
      // Most often these were the last references (always for a 1:1 message): one statement.
      const deleted = this.s.deleteReleasedBody.get(id, n) as { hash: Uint8Array | null } | undefined
      if (deleted === undefined) this.s.releaseBody.run(n, id)
      else if (deleted.hash !== null) this.held.remove(deleted.hash, id)
    }
  }

  /**
   * Whether this group already holds a body with this message hash. Each candidate from memory is
   * confirmed against its row; one that no longer matches (its body was deleted by another process,
   * such as the admin CLI) is dropped from the map.
   */
  private isStored(groupRef: number, hash: Uint8Array): boolean {
    for (const id of [...this.held.candidates(hash)]) {
      const row = this.s.bodyHash.get(id) as { group_ref: number; hash: Uint8Array | null } | undefined
      const stored = row?.hash ?? null
      if (stored !== null && bytesEqualPlain(stored, hash)) {
        if (row?.group_ref === groupRef) return true
        continue
      }
      // Not this hash. Keep the entry only if the row (under a reused id) has the same map key.
      if (stored === null || keyOf(stored) !== keyOf(hash)) this.held.remove(hash, id)
    }
    return false
  }

  private entryWithDevices(handle: string): EntryWithDevices | undefined {
    const row = this.s.entryByHandle.get(handle) as EntryRow | undefined
    return row === undefined ? undefined : this.withDevices(row)
  }

  private withDevices(row: EntryRow): EntryWithDevices {
    const devices = (this.s.devicesOf.all(row.handle) as DeviceRow[]).map(deviceRecord)
    const entry: EntryWithDevices = {
      handle: row.handle,
      displayName: row.display_name,
      kind: row.kind,
      createdAt: row.created_at,
      devices,
    }
    if (row.title !== null) entry.title = row.title
    if (row.organisation !== null) entry.organisation = row.organisation
    if (row.country !== null) entry.country = row.country
    return entry
  }
}

/** A plain Uint8Array view of a Buffer that better-sqlite3 returned (no copy). */
function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
}

function deviceRecord(row: DeviceRow): DeviceRecord {
  const out: DeviceRecord = {
    deviceId: row.device_id,
    handle: row.handle,
    name: row.name,
    signaturePublicKey: bytes(row.signature_key),
    tracemarkPublicKey: bytes(row.tracemark_key),
    createdAt: row.created_at,
  }
  if (row.revoked_at !== null) out.revokedAt = row.revoked_at
  return out
}

function prepareStatements(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql)
  return {
    entryByHandle: p("SELECT * FROM entries WHERE handle = ?"),
    insertEntry: p(
      `INSERT INTO entries (handle, display_name, title, organisation, country, kind, search_text, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    searchEntries: p("SELECT * FROM entries WHERE instr(search_text, ?) > 0 ORDER BY handle LIMIT ?"),
    allEntries: p("SELECT * FROM entries ORDER BY handle"),
    devicesOf: p(`SELECT ${deviceColumns} FROM devices WHERE handle = ? ORDER BY id`),
    activeDevicesOf: p(
      "SELECT id, device_id FROM devices WHERE handle = ? AND revoked_at IS NULL ORDER BY id",
    ),
    activeDeviceRowsOf: p(
      `SELECT ${deviceColumns} FROM devices WHERE handle = ? AND revoked_at IS NULL ORDER BY id`,
    ),
    deviceById: p(`SELECT ${deviceColumns} FROM devices WHERE device_id = ?`),
    deviceRefById: p("SELECT id FROM devices WHERE device_id = ?"),
    deviceByRef: p(`SELECT ${deviceColumns} FROM devices WHERE id = ?`),
    deviceByKey: p("SELECT id FROM devices WHERE signature_key = ?"),
    insertDevice: p(
      `INSERT INTO devices (device_id, handle, name, signature_key, tracemark_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    revokeDevice: p("UPDATE devices SET revoked_at = ? WHERE id = ?"),
    nextSeq: p("UPDATE queue_counters SET last_seq = last_seq + 1 WHERE device_ref = ? RETURNING last_seq"),
    bumpRecipients: p(
      `UPDATE queue_counters SET last_seq = last_seq + 1
       WHERE device_ref IN (
         SELECT m.device_ref FROM members m JOIN devices d ON d.id = m.device_ref
         WHERE m.group_ref = ? AND m.device_ref <> ? AND d.revoked_at IS NULL)
       RETURNING device_ref AS id, device_id, last_seq`,
    ),
    insertInvite: p(
      "INSERT INTO invites (hash, handle, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    ),
    inviteByHash: p("SELECT handle, expires_at, used_at, used_by FROM invites WHERE hash = ?"),
    useInvite: p("UPDATE invites SET used_at = ?, used_by = ? WHERE hash = ?"),
    countKeyPackages: p("SELECT COUNT(*) AS n FROM key_packages WHERE device_ref = ?"),
    insertKeyPackage: p("INSERT INTO key_packages (device_ref, data) VALUES (?, ?)"),
    oldestKeyPackage: p("SELECT id, data FROM key_packages WHERE device_ref = ? ORDER BY id LIMIT 1"),
    deleteKeyPackage: p("DELETE FROM key_packages WHERE id = ?"),
    deleteKeyPackagesOf: p("DELETE FROM key_packages WHERE device_ref = ?"),
    lastResortOf: p("SELECT data FROM last_resort_key_packages WHERE device_ref = ?"),
    upsertLastResort: p(
      `INSERT INTO last_resort_key_packages (device_ref, data) VALUES (?, ?)
       ON CONFLICT (device_ref) DO UPDATE SET data = excluded.data`,
    ),
    deleteLastResortOf: p("DELETE FROM last_resort_key_packages WHERE device_ref = ?"),
    groupByGid: p(
      "SELECT id, group_id, epoch, created_at, last_commit_hash, last_commit_sender FROM groups WHERE group_id = ?",
    ),
    insertGroup: p("INSERT INTO groups (group_id, epoch, created_at) VALUES (?, 0, ?)"),
    advanceEpoch: p("UPDATE groups SET epoch = ?, last_commit_hash = ?, last_commit_sender = ? WHERE id = ?"),
    membersOf: p(
      `SELECT d.device_id, d.handle, m.since FROM members m JOIN devices d ON d.id = m.device_ref
       WHERE m.group_ref = ? ORDER BY m.since, d.id`,
    ),
    memberDeviceIds: p(
      "SELECT d.device_id FROM members m JOIN devices d ON d.id = m.device_ref WHERE m.group_ref = ?",
    ),
    isMember: p("SELECT 1 AS one FROM members WHERE group_ref = ? AND device_ref = ?"),
    sendContext: p(
      `SELECT d.id AS sender_ref, d.revoked_at, g.id AS group_ref, g.epoch,
              (SELECT 1 FROM members m WHERE m.group_ref = g.id AND m.device_ref = d.id) AS member
       FROM devices d LEFT JOIN groups g ON g.group_id = ?
       WHERE d.device_id = ?`,
    ),
    insertMember: p("INSERT INTO members (group_ref, device_ref, since) VALUES (?, ?, ?)"),
    deleteMember: p("DELETE FROM members WHERE group_ref = ? AND device_ref = ?"),
    insertBody: p("INSERT INTO bodies (group_ref, hash, data, refs, expires_at) VALUES (?, ?, ?, ?, ?)"),
    expiredBody: p("SELECT 1 FROM bodies WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1"),
    deleteExpiredItems: p(
      "DELETE FROM queue WHERE body_ref IN (SELECT id FROM bodies WHERE expires_at IS NOT NULL AND expires_at <= ?)",
    ),
    deleteExpiredBodies: p(
      "DELETE FROM bodies WHERE expires_at IS NOT NULL AND expires_at <= ? RETURNING id, hash",
    ),
    bodyHash: p("SELECT group_ref, hash FROM bodies WHERE id = ?"),
    heldHashes: p("SELECT id, hash FROM bodies INDEXED BY bodies_hashed WHERE hash IS NOT NULL"),
    getSetting: p("SELECT value FROM settings WHERE key = ?"),
    setSetting: p(
      "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ),
    releaseBody: p("UPDATE bodies SET refs = refs - ? WHERE id = ?"),
    deleteReleasedBody: p("DELETE FROM bodies WHERE id = ? AND refs <= ? RETURNING hash"),
    insertItem: p(
      `INSERT INTO queue (device_ref, seq, kind, group_ref, sender_ref, body_ref, event, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    fetchQueue: p(
      `SELECT q.seq, q.kind, g.group_id, s.handle AS sender_handle, s.device_id AS sender_device,
              b.data, q.event, q.at
       FROM queue q
       LEFT JOIN groups g ON g.id = q.group_ref
       LEFT JOIN devices s ON s.id = q.sender_ref
       LEFT JOIN bodies b ON b.id = q.body_ref
       WHERE q.device_ref = ? AND q.seq > ?
       ORDER BY q.seq LIMIT ?`,
    ),
    ackDelete: p(
      `DELETE FROM queue WHERE device_ref = (SELECT id FROM devices WHERE device_id = ?) AND seq <= ?
       RETURNING body_ref`,
    ),
    deleteQueueOf: p("DELETE FROM queue WHERE device_ref = ? RETURNING body_ref"),
    purge: p("DELETE FROM queue WHERE at < ? RETURNING body_ref"),
  }
}
