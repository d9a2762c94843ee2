import { ConfirmationRequiredError, CoreError } from "../errors.js"
import type { CatchUp } from "./commits.js"
import type { Engine } from "./context.js"
import { requireConversation } from "./context.js"
import { membersBelow } from "./ledger.js"
import { addPeople, createConversation } from "./membership.js"
import type { PeopleOptions } from "./membership.js"
import { sendText } from "./outgoing.js"
import type { SendOptions } from "./outgoing.js"
import { personToConfirm } from "./people.js"
import { decodeJson, getJson, keys } from "./records.js"
import type { ConversationRecord, MessageRecord } from "./records.js"
import { resolveTerms } from "./terms.js"
import type { TermsInput } from "./terms.js"

export type SendTarget = { to: string } | { conversationId: string }

export interface ClientSendOptions extends SendOptions, PeopleOptions {
  /** Confidentiality terms; unset fields fall back to the conversation's default terms. */
  terms?: TermsInput
  /** The user agreed to send a labelled message to members whose standing is below its label. */
  confirmStanding?: boolean
}

/**
 * Everything a send checks before anything is encrypted: the person (first contact needs confirmation),
 * the terms (the label must be the operator's), and every member's standing in the user's trust ledger
 * against the label's level (a member below it needs confirmation, or a new conversation without them).
 */
export async function sendWithChecks(
  e: Engine,
  target: SendTarget,
  text: string,
  options: ClientSendOptions,
  catchUp: CatchUp,
): Promise<MessageRecord> {
  const conversationId =
    "to" in target ? await directFor(e, target.to, options, catchUp) : target.conversationId
  const conversation = await requireConversation(e, conversationId)
  const terms = await resolveTerms(e, conversation, options.terms ?? {})
  await assertStanding(e, conversation, terms?.level, terms?.label, options.confirmStanding === true)
  return sendText(
    e,
    conversationId,
    text,
    {
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...(options.wordingMarks !== undefined ? { wordingMarks: options.wordingMarks } : {}),
      terms,
    },
    catchUp,
  )
}

/** Throws CONFIRMATION_REQUIRED when a member's standing in the trust ledger is below the label's level. */
async function assertStanding(
  e: Engine,
  conversation: ConversationRecord,
  level: number | undefined,
  label: string | undefined,
  confirmed: boolean,
): Promise<void> {
  if (level === undefined || confirmed) return
  const below = await membersBelow(e, conversation, level)
  if (below.length === 0) return
  const entries = await e.directory.entries(below.map((b) => b.handle))
  const people = below.map((b) => {
    const entry = entries.find((en) => en.handle === b.handle)
    const base = entry
      ? personToConfirm(entry)
      : { handle: b.handle, displayName: b.handle, kind: "member" as const }
    return { ...base, standing: b.standing, breaches: b.breaches.length }
  })
  const names = people.map((p) => `${p.displayName} (${p.handle})`).join(", ")
  throw new ConfirmationRequiredError(
    "standing",
    people,
    `"${label ?? ""}" is above the standing of ${names}, who ${people.length === 1 ? "has" : "have"} a recorded breach; send anyway or continue in a new conversation without them`,
  )
}

/** The direct conversation with a person, created (with the first-contact confirmation) on first use. */
async function directFor(
  e: Engine,
  handle: string,
  options: PeopleOptions,
  catchUp: CatchUp,
): Promise<string> {
  if (handle === e.identity.handle) throw new CoreError("INVALID_INPUT", "use a group to write to yourself")
  const existing = await directConversation(e, handle)
  if (existing === undefined) {
    return (await createConversation(e, { kind: "direct", members: [handle], ...options }, catchUp)).id
  }
  if (!existing.members.some((m) => m.handle === handle))
    await addPeople(e, existing.id, [handle], catchUp, options)
  return existing.id
}

/** The direct conversation with this person, if there is one. */
export async function directConversation(e: Engine, handle: string): Promise<ConversationRecord | undefined> {
  const candidates = (await e.store.list("conv/"))
    .map((r) => decodeJson<ConversationRecord>(r.value))
    .filter((c) => c.kind === "direct" && c.peer === handle && c.status === "active")
  // If both people started a conversation at once, both devices settle on the same one.
  return candidates.sort((a, b) => (a.id < b.id ? -1 : 1))[0]
}

/** Forwards a message this device holds to another conversation, unless its terms forbid it. */
export async function forward(
  e: Engine,
  messageId: string,
  target: SendTarget,
  options: ClientSendOptions,
  catchUp: CatchUp,
): Promise<MessageRecord> {
  const key = await getJson<string>(e.store, keys.messageId(messageId))
  const original = key === undefined ? undefined : await getJson<MessageRecord>(e.store, key)
  if (original?.kind !== "text" || original.text === undefined || original.removed !== undefined) {
    throw new CoreError("INVALID_INPUT", "no message with that id can be forwarded from this device")
  }
  if (original.terms?.noForward === true) {
    throw new CoreError("POLICY_REFUSED", "the sender marked this message not to be forwarded")
  }
  if (original.terms?.viewOnce === true)
    throw new CoreError("POLICY_REFUSED", "a view-once message cannot be forwarded")
  // The label travels with the content: a forwarded "Leaders only" message stays "Leaders only".
  const label = original.terms?.label
  const terms: TermsInput = { ...options.terms, ...(label !== undefined ? { label } : {}) }
  const conversationId =
    "to" in target ? await directFor(e, target.to, options, catchUp) : target.conversationId
  const conversation = await requireConversation(e, conversationId)
  const resolved = await resolveTerms(e, conversation, terms)
  await assertStanding(e, conversation, resolved?.level, resolved?.label, options.confirmStanding === true)
  return sendText(
    e,
    conversationId,
    original.text,
    { terms: resolved, forwardedFrom: original.sender.handle },
    catchUp,
  )
}
