import type { DirectoryEntry } from "@backchannel/protocol"
import type { WriteOp } from "../ports/store.js"
import { ConfirmationRequiredError, CoreError } from "../errors.js"
import type { PersonToConfirm } from "../errors.js"
import type { Engine } from "./context.js"
import { keys, putJson } from "./records.js"
import type { ConversationRecord } from "./records.js"

/**
 * The right people in the room. Identities come only from the operator's directory; a person this user
 * has never shared a conversation with needs an explicit confirmation that shows their full entry (the
 * Signalgate failure: a wrong contact added without anyone looking); a verified-only conversation admits
 * only people the operator vouches for, enforced by the member who adds and by every member who receives
 * the change.
 */

export function personToConfirm(
  entry: DirectoryEntry,
  extra: Partial<PersonToConfirm> = {},
): PersonToConfirm {
  return {
    handle: entry.handle,
    displayName: entry.displayName,
    title: entry.title,
    organisation: entry.organisation,
    country: entry.country,
    kind: entry.kind,
    ...extra,
  }
}

/** Writes that remember people as known to this user (they shared a conversation). */
export function rememberContacts(e: Engine, handles: Iterable<string>): WriteOp[] {
  const now = e.clock.now()
  return [...new Set(handles)]
    .filter((h) => h !== "" && h !== e.identity.handle)
    .map((h) => putJson(keys.contact(h), { v: 1, since: now }))
}

/** The directory entries of the people in `handles` this user has never shared a conversation with. */
export async function unfamiliarPeople(e: Engine, handles: string[]): Promise<DirectoryEntry[]> {
  const others = [...new Set(handles)].filter((h) => h !== e.identity.handle)
  const unknown: string[] = []
  for (const handle of others)
    if ((await e.store.get(keys.contact(handle))) === undefined) unknown.push(handle)
  if (unknown.length === 0) return []
  const entries = await e.directory.entries(unknown, { refresh: true })
  const missing = unknown.filter((h) => !entries.some((en) => en.handle === h))
  if (missing.length > 0) throw new CoreError("UNKNOWN_PERSON", `not in the directory: ${missing.join(", ")}`)
  return entries
}

/** Throws CONFIRMATION_REQUIRED (with each new person's full entry) unless the user confirmed. */
export async function requireFamiliarOrConfirmed(
  e: Engine,
  handles: string[],
  confirmed: boolean,
): Promise<void> {
  if (confirmed) return
  const unknown = await unfamiliarPeople(e, handles)
  if (unknown.length === 0) return
  const names = unknown.map(
    (en) => `${en.displayName} (${en.handle})${en.kind === "guest" ? ", an outsider" : ""}`,
  )
  throw new ConfirmationRequiredError(
    "new-people",
    unknown.map((en) => personToConfirm(en)),
    `you have never written to ${names.join(", ")}; confirm that these are the right people`,
  )
}

/** The outsiders (directory kind "guest") among these people; unknown handles are refused. */
export async function outsidersAmong(e: Engine, handles: string[]): Promise<DirectoryEntry[]> {
  const unique = [...new Set(handles)]
  if (unique.length === 0) return []
  const entries = await e.directory.entries(unique, { refresh: true })
  const missing = unique.filter((h) => !entries.some((en) => en.handle === h))
  if (missing.length > 0) throw new CoreError("UNKNOWN_PERSON", `not in the directory: ${missing.join(", ")}`)
  return entries.filter((en) => en.kind !== "member")
}

/** Refuses to add outsiders to a verified-only conversation (the adding member's own check). */
export async function assertVerifiedOnlyAllows(
  e: Engine,
  conversation: Pick<ConversationRecord, "verifiedOnly">,
  handles: string[],
): Promise<void> {
  if (conversation.verifiedOnly !== true) return
  const outsiders = await outsidersAmong(e, handles)
  if (outsiders.length > 0) {
    throw new CoreError(
      "POLICY_REFUSED",
      `this conversation is for verified members only; ${outsiders.map((o) => `${o.displayName} (${o.handle})`).join(", ")} ${outsiders.length === 1 ? "is an outsider" : "are outsiders"}`,
    )
  }
}
