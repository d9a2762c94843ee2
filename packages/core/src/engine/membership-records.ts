import type { ClientState } from "ts-mls"
import type { MlsMember } from "../mls/mls-engine.js"
import type { Engine, MessageWriter } from "./context.js"
import type { ConversationRecord, MemberRecord } from "./records.js"

/** The member list of a conversation after a change, keeping each known member's `since`. */
export function membersAfter(e: Engine, state: ClientState, previous: MemberRecord[]): MemberRecord[] {
  const since = new Map(previous.map((m) => [m.deviceId, m.since]))
  const now = e.clock.now()
  return e.mls
    .members(state)
    .map((m) => ({ handle: m.handle, deviceId: m.deviceId, since: since.get(m.deviceId) ?? now }))
}

/**
 * Writes the visible events of a membership change: people added, people removed, and devices added to
 * or removed from people who stay. Every change to who can read the conversation shows in it.
 */
export async function recordMembershipChange(
  e: Engine,
  conversation: ConversationRecord,
  before: MemberRecord[],
  after: MemberRecord[],
  actor: MlsMember | { handle: string; deviceId: string } | undefined,
  writer: MessageWriter,
): Promise<void> {
  const handlesBefore = new Set(before.map((m) => m.handle))
  const handlesAfter = new Set(after.map((m) => m.handle))
  const devicesBefore = new Set(before.map((m) => m.deviceId))
  const devicesAfter = new Set(after.map((m) => m.deviceId))
  const addedPeople = [...handlesAfter].filter((h) => !handlesBefore.has(h))
  const removedPeople = [...handlesBefore].filter((h) => !handlesAfter.has(h))
  const deviceChanges = [
    ...new Set(
      [
        ...after.filter((m) => !devicesBefore.has(m.deviceId)),
        ...before.filter((m) => !devicesAfter.has(m.deviceId)),
      ]
        .map((m) => m.handle)
        .filter((h) => handlesBefore.has(h) && handlesAfter.has(h)),
    ),
  ]
  const by = actor?.handle
  if (addedPeople.length > 0) {
    await writer.addEvent(conversation.id, { type: "added", actor: by, subjects: addedPeople }, actor)
  }
  if (removedPeople.length > 0) {
    await writer.addEvent(conversation.id, { type: "removed", actor: by, subjects: removedPeople }, actor)
  }
  if (deviceChanges.length > 0) {
    await writer.addEvent(conversation.id, { type: "devices", actor: by, subjects: deviceChanges }, actor)
  }
}
