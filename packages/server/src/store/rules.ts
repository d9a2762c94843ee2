import { ProtocolError } from "@backchannel/protocol"

/**
 * Domain rules shared by every ServerStore implementation, as pure functions over what the store has
 * read inside its transaction, so memory and SQLite cannot drift apart.
 */

export type DeviceStatus = "active" | "revoked" | "unknown"

export interface InviteState {
  expiresAt: number
  usedAt?: number | undefined
}

/** INVITE_USED before INVITE_EXPIRED: a used invite stays used whatever its age. */
export function checkInvite(invite: InviteState | undefined, at: number): void {
  if (invite === undefined) throw new ProtocolError("INVITE_INVALID")
  if (invite.usedAt !== undefined) throw new ProtocolError("INVITE_USED")
  if (at >= invite.expiresAt) throw new ProtocolError("INVITE_EXPIRED")
}

export interface RosterChange {
  members: ReadonlySet<string>
  sender: string
  add: readonly string[]
  remove: readonly string[]
  status: (deviceId: string) => DeviceStatus
  maxGroupDevices: number
}

/**
 * A commit's declared roster change is valid when every added device is an active device that is not
 * a member, every removed device is a member other than the sender (MLS forbids committing one's own
 * removal), no device is named twice, and the group stays within its size limit.
 */
export function checkRosterChange(change: RosterChange): void {
  const seen = new Set<string>()
  for (const id of [...change.add, ...change.remove]) {
    if (seen.has(id)) throw new ProtocolError("MEMBERSHIP_INVALID")
    seen.add(id)
  }
  for (const id of change.add) {
    if (change.members.has(id) || change.status(id) !== "active")
      throw new ProtocolError("MEMBERSHIP_INVALID")
  }
  for (const id of change.remove) {
    if (!change.members.has(id) || id === change.sender) throw new ProtocolError("MEMBERSHIP_INVALID")
  }
  if (change.members.size + change.add.length - change.remove.length > change.maxGroupDevices) {
    throw new ProtocolError("MEMBERSHIP_INVALID")
  }
}

export function epochConflict(current: bigint): ProtocolError {
  return new ProtocolError("EPOCH_CONFLICT", undefined, { epoch: current.toString() })
}

export function staleEpoch(current: bigint): ProtocolError {
  return new ProtocolError("STALE_EPOCH", undefined, { epoch: current.toString() })
}

export function keyPackagesExhausted(deviceId: string): ProtocolError {
  return new ProtocolError("KEY_PACKAGES_EXHAUSTED", undefined, { field: deviceId })
}

export function tooManyKeyPackages(): ProtocolError {
  return new ProtocolError("VALIDATION_FAILED", undefined, { field: "keyPackages" })
}

/** Lower-cased text that directory search matches against. */
export function searchText(entry: {
  handle: string
  displayName: string
  title?: string | undefined
  organisation?: string | undefined
  country?: string | undefined
}): string {
  return [entry.handle, entry.displayName, entry.title, entry.organisation, entry.country]
    .filter((v): v is string => v !== undefined)
    .join("\n")
    .toLowerCase()
}

export function bytesEqualPlain(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
