import { bytesEqual, fromB64 } from "@backchannel/protocol"
import type { DeviceInfo, DirectoryEntry } from "@backchannel/protocol"
import type { Delivery } from "../ports/delivery.js"
import type { Clock } from "../ports/platform.js"
import type { KeyValueStore } from "../ports/store.js"
import { getJson, keys, putJson } from "./records.js"
import type { CachedEntry } from "./records.js"

export interface DeviceChange {
  handle: string
  added: string[]
  removed: string[]
}

/**
 * The operator's directory as this device knows it: entries fetched from the server and cached in the
 * sealed store. Identities come only from here, never from an address book. When an entry's set of
 * devices changes between two fetches, `onDevicesChanged` fires so the user can be warned.
 */
export class Directory {
  private readonly memory = new Map<string, CachedEntry>()

  constructor(
    private readonly store: KeyValueStore,
    private readonly delivery: Delivery,
    private readonly clock: Clock,
    private readonly onDevicesChanged: (change: DeviceChange) => void = () => undefined,
  ) {}

  /** The cached entry, or a fresh one from the server when not cached (or when `refresh`). */
  async entry(handle: string, options: { refresh?: boolean } = {}): Promise<DirectoryEntry | undefined> {
    if (options.refresh !== true) {
      const cached = await this.cached(handle)
      if (cached) return cached.entry
    }
    const [entry] = await this.fetch({ handles: [handle] })
    return entry
  }

  async entries(handles: string[], options: { refresh?: boolean } = {}): Promise<DirectoryEntry[]> {
    const found: DirectoryEntry[] = []
    const missing: string[] = []
    for (const handle of new Set(handles)) {
      const cached = options.refresh === true ? undefined : await this.cached(handle)
      if (cached) found.push(cached.entry)
      else missing.push(handle)
    }
    if (missing.length > 0) found.push(...(await this.fetch({ handles: missing })))
    return found
  }

  /** Finds a device by id: from the cache, else by asking the server. */
  async device(handle: string, deviceId: string): Promise<DeviceInfo | undefined> {
    const cached = await this.cached(handle)
    const hit = cached?.entry.devices.find((d) => d.deviceId === deviceId)
    if (hit) return hit
    const [fresh] = await this.fetch({ handles: [handle] })
    return fresh?.devices.find((d) => d.deviceId === deviceId)
  }

  /** True when the directory lists exactly this signature key for this active device of this handle. */
  async verifyDeviceKey(handle: string, deviceId: string, signaturePublicKey: Uint8Array): Promise<boolean> {
    const device = await this.device(handle, deviceId)
    if (device === undefined || device.revokedAt !== undefined) return false
    return bytesEqual(fromB64(device.signaturePublicKey), signaturePublicKey)
  }

  /** Like verifyDeviceKey, from the cache only: never asks the server. */
  async matchesCached(handle: string, deviceId: string, signaturePublicKey: Uint8Array): Promise<boolean> {
    const device = (await this.cached(handle))?.entry.devices.find((d) => d.deviceId === deviceId)
    if (device === undefined || device.revokedAt !== undefined) return false
    return bytesEqual(fromB64(device.signaturePublicKey), signaturePublicKey)
  }

  search(query: string, limit?: number): Promise<DirectoryEntry[]> {
    return this.delivery.searchDirectory(query, limit)
  }

  async refresh(handles: string[]): Promise<DirectoryEntry[]> {
    return this.fetch({ handles })
  }

  private async cached(handle: string): Promise<CachedEntry | undefined> {
    const hit = this.memory.get(handle)
    if (hit) return hit
    const stored = await getJson<CachedEntry>(this.store, keys.directory(handle))
    if (stored) this.memory.set(handle, stored)
    return stored
  }

  private async fetch(request: { handles: string[] }): Promise<DirectoryEntry[]> {
    const entries = await this.delivery.lookup(request)
    const now = this.clock.now()
    const ops = []
    for (const entry of entries) {
      const previous = await this.cached(entry.handle)
      if (previous) this.reportChanges(previous.entry, entry)
      const record: CachedEntry = { v: 1, entry, fetchedAt: now }
      this.memory.set(entry.handle, record)
      ops.push(putJson(keys.directory(entry.handle), record))
    }
    if (ops.length > 0) await this.store.batch(ops)
    return entries
  }

  private reportChanges(before: DirectoryEntry, after: DirectoryEntry): void {
    const active = (e: DirectoryEntry) =>
      new Set(e.devices.filter((d) => d.revokedAt === undefined).map((d) => d.deviceId))
    const was = active(before)
    const now = active(after)
    const added = [...now].filter((d) => !was.has(d))
    const removed = [...was].filter((d) => !now.has(d))
    if (added.length > 0 || removed.length > 0)
      this.onDevicesChanged({ handle: after.handle, added, removed })
  }
}
