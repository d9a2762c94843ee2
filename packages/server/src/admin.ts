import { randomBytes } from "node:crypto"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { deviceIdSchema, newEntrySchema, ProtocolError } from "@backchannel/protocol"
import type { DirectoryEntry, Label } from "@backchannel/protocol"
import { defaultConfig } from "./config.js"
import { issueInvite } from "./service/enrolment.js"
import { parseInput } from "./service/input.js"
import { entryToWire } from "./service/wire.js"
import { readLabels, writeLabels } from "./service/settings.js"
import { SqliteStore } from "./store/sqlite-store.js"
import type { EntryKind } from "./store/types.js"

/**
 * Operator tools. Each opens the server's SQLite file directly (WAL and a busy timeout make that safe
 * while the server runs), does one thing, and closes it. Failures are ProtocolErrors with stable codes
 * (VALIDATION_FAILED with `field`, DEVICE_NOT_FOUND).
 */

export const databaseFileName = "backchannel.db"

export function databasePath(dataDir: string): string {
  return join(dataDir, databaseFileName)
}

export interface CreateInviteOptions {
  handle: string
  /** Used when the entry is created; defaults to the handle. Ignored if the entry exists. */
  displayName?: string
  title?: string
  organisation?: string
  country?: string
  /** The directory entry's kind when it is created: "member" (default) or "guest" (an outsider). */
  kind?: EntryKind
  /** Invite lifetime; default 7 days. */
  ttlMs?: number
  /** Current time (tests). */
  now?: number
}

export interface CreatedInvite {
  /** The invite code, formatted in groups of five. Show it to the operator once; it is not stored. */
  invite: string
  handle: string
  expiresAt: number
  /** True if the directory entry was created by this call. */
  createdEntry: boolean
}

/** Creates the directory entry if it does not exist, then issues an operator invite for it. */
export async function createInvite(dataDir: string, options: CreateInviteOptions): Promise<CreatedInvite> {
  const entry = parseInput(newEntrySchema, {
    handle: options.handle,
    displayName: options.displayName ?? options.handle,
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.organisation === undefined ? {} : { organisation: options.organisation }),
    ...(options.country === undefined ? {} : { country: options.country }),
    ...(options.kind === undefined ? {} : { kind: options.kind }),
  })
  const ttlMs = options.ttlMs ?? defaultConfig.inviteTtlMs
  if (!(Number.isFinite(ttlMs) && ttlMs > 0))
    throw new ProtocolError("VALIDATION_FAILED", undefined, { field: "ttlMs" })
  const now = options.now ?? Date.now()
  return withStore(dataDir, async (store) => {
    let createdEntry = false
    if ((await store.getEntry(entry.handle)) === undefined) {
      await store.createEntry({ ...entry, createdAt: now })
      createdEntry = true
    }
    const issued = await issueInvite(store, (n) => new Uint8Array(randomBytes(n)), {
      handle: entry.handle,
      kind: "operator",
      now,
      ttlMs,
    })
    return { invite: issued.code, handle: entry.handle, expiresAt: issued.expiresAt, createdEntry }
  })
}

/** Every directory entry with its devices (revoked ones included), by handle. */
export function listEntries(dataDir: string): Promise<DirectoryEntry[]> {
  return withStore(dataDir, async (store) => (await store.listEntries()).map(entryToWire))
}

export interface RevokedDevice {
  deviceId: string
  handle: string
  /** True if the device had been revoked before. */
  alreadyRevoked: boolean
}

/**
 * Revokes a device: it can no longer authenticate, its queue and key packages are deleted, and
 * nothing more is queued for it. A running server closes its WebSocket session within
 * `wsRevalidateMs` and refuses its next request.
 */
export async function revokeDevice(
  dataDir: string,
  deviceId: string,
  now = Date.now(),
): Promise<RevokedDevice> {
  parseInput(deviceIdSchema, deviceId)
  return withStore(dataDir, async (store) => {
    const device = await store.getDevice(deviceId)
    if (device === undefined) throw new ProtocolError("DEVICE_NOT_FOUND")
    const { alreadyRevoked } = await store.revokeDevice(deviceId, now)
    return { deviceId, handle: device.handle, alreadyRevoked }
  })
}

async function withStore<T>(dataDir: string, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  // A short-lived process: SQLite's own checkpoints, no worker thread.
  const store = new SqliteStore(databasePath(dataDir), { checkpoints: "inline" })
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

/** The operator's confidentiality labels, most sensitive first. */
export function getLabels(dataDir: string): Promise<Label[]> {
  return withStore(dataDir, readLabels)
}

/** Replaces the label list; `names` are ordered most sensitive first. */
export function setLabels(dataDir: string, names: string[]): Promise<Label[]> {
  return withStore(dataDir, (store) => writeLabels(store, names))
}
