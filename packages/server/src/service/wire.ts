import { toB64 } from "@backchannel/protocol"
import type { DeviceInfo, DirectoryEntry, GroupResponse, QueueItem } from "@backchannel/protocol"
import type { DeviceRecord, EntryWithDevices, GroupRecord, QueueItemRecord } from "../store/types.js"

/** Conversions from store records to the JSON shapes of docs/PROTOCOL.md. */

export function deviceToWire(device: DeviceRecord): DeviceInfo {
  const out: DeviceInfo = {
    deviceId: device.deviceId,
    name: device.name,
    signaturePublicKey: toB64(device.signaturePublicKey),
    tracemarkPublicKey: toB64(device.tracemarkPublicKey),
    createdAt: device.createdAt,
  }
  if (device.revokedAt !== undefined) out.revokedAt = device.revokedAt
  return out
}

export function entryToWire(entry: EntryWithDevices): DirectoryEntry {
  const out: DirectoryEntry = {
    handle: entry.handle,
    displayName: entry.displayName,
    kind: entry.kind,
    createdAt: entry.createdAt,
    devices: entry.devices.map(deviceToWire),
  }
  if (entry.title !== undefined) out.title = entry.title
  if (entry.organisation !== undefined) out.organisation = entry.organisation
  if (entry.country !== undefined) out.country = entry.country
  return out
}

export function groupToWire(group: GroupRecord): GroupResponse {
  return {
    groupId: group.groupId,
    epoch: group.epoch.toString(),
    members: group.members.map((m) => ({ deviceId: m.deviceId, handle: m.handle, since: m.since })),
  }
}

export function itemToWire(item: QueueItemRecord): QueueItem {
  const out: QueueItem = { seq: item.seq, kind: item.kind, at: item.at }
  if (item.groupId !== undefined) out.groupId = item.groupId
  if (item.sender !== undefined) out.sender = { handle: item.sender.handle, deviceId: item.sender.deviceId }
  if (item.data !== undefined) out.data = toB64(item.data)
  if (item.event !== undefined) out.event = item.event
  return out
}
