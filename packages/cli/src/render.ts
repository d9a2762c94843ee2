import type {
  BackchannelClient,
  ConversationRecord,
  DefaultTerms,
  MessageEvent,
  MessageRecord,
  Terms,
} from "@backchannel/core"
import { formatTime, terminalSafe } from "./output.js"

/** Resolves handles to "Display Name (handle)" once per command, from the device's directory cache. */
export class Names {
  private readonly cache = new Map<string, string>()

  constructor(
    private readonly client: BackchannelClient,
    private readonly me: string,
  ) {}

  async of(handle: string): Promise<string> {
    if (handle === this.me) return "you"
    const hit = this.cache.get(handle)
    if (hit !== undefined) return hit
    let label = handle
    try {
      const entry = await this.client.person(handle)
      if (entry) {
        const outsider = entry.kind === "guest" ? " [outsider]" : ""
        label = `${terminalSafe(entry.displayName)} (${handle})${outsider}`
      }
    } catch {
      // Offline: the handle alone still identifies the person.
    }
    this.cache.set(handle, label)
    return label
  }
}

export async function describeEvent(event: MessageEvent, names: Names): Promise<string> {
  const actor = event.type !== "joined" && event.actor !== undefined ? await names.of(event.actor) : "someone"
  const list = async (handles: string[]) => (await Promise.all(handles.map((h) => names.of(h)))).join(", ")
  switch (event.type) {
    case "created":
      return `${actor} created the conversation`
    case "joined":
      return "you joined the conversation"
    case "added":
      return `${actor} added ${await list(event.subjects)}`
    case "removed":
      return `${actor} removed ${await list(event.subjects)}`
    case "devices":
      return `devices changed for ${await list(event.subjects)}`
    case "you-were-removed":
      return `${actor} removed you; you no longer receive this conversation`
    case "terms":
      return `${actor} set the default terms: ${describeDefaults(event.defaults)}`
    case "frozen":
      return `conversation frozen: ${terminalSafe(event.reason)}`
  }
}

export function describeDefaults(d: DefaultTerms): string {
  const parts = [
    d.label,
    d.noForward === true ? "no forwarding" : undefined,
    d.expiresAfterMs !== undefined ? `expires after ${formatDuration(d.expiresAfterMs)}` : undefined,
    d.viewOnce === true ? "view once" : undefined,
  ].filter((p): p is string => p !== undefined)
  return parts.length === 0 ? "none" : parts.join(", ")
}

/** The terms shown to a recipient before the text, e.g. "[Leaders only · no forwarding · expires 14:05]". */
export function describeTerms(t: Terms | undefined): string {
  if (t === undefined) return ""
  const parts = [
    t.label !== undefined ? terminalSafe(t.label) : undefined,
    t.noForward === true ? "no forwarding" : undefined,
    t.expiresAt !== undefined ? `expires ${formatTime(t.expiresAt)}` : undefined,
    t.viewOnce === true ? "view once" : undefined,
  ].filter((p): p is string => p !== undefined)
  return parts.length === 0 ? "" : `[${parts.join(" · ")}] `
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${Math.round(ms / 1000)}s`
}

/** True when the message's text is held back until the user opens it (a view-once message received). */
export function isHidden(message: MessageRecord): boolean {
  return (
    message.kind === "text" &&
    message.terms?.viewOnce === true &&
    !message.outgoing &&
    message.removed === undefined
  )
}

/** What this device shows its user for a message: the text, or a description of the event. */
export async function shownText(message: MessageRecord, names: Names): Promise<string> {
  if (message.kind === "event" && message.event) return describeEvent(message.event, names)
  if (message.removed === "expired") return "(this message expired and was deleted from this device)"
  if (message.removed === "viewed") return "(view-once message, already viewed and deleted from this device)"
  if (isHidden(message))
    return `(view-once message: open it once with \`backchannel view --message ${message.id}\`)`
  return message.text ?? ""
}

export async function renderMessage(message: MessageRecord, names: Names, prefix = ""): Promise<string> {
  const when = formatTime(message.sentAt)
  if (message.kind === "event") return `${prefix}${when}  — ${await shownText(message, names)} —`
  const who = message.sender.handle === "" ? "unknown" : await names.of(message.sender.handle)
  const reply = message.replyTo !== undefined ? ` (reply to ${message.replyTo})` : ""
  const forwarded =
    message.forwardedFrom !== undefined ? ` (forwarded from ${await names.of(message.forwardedFrom)})` : ""
  const pending = message.status === "pending" ? " (not sent yet)" : ""
  const body = terminalSafe(await shownText(message, names))
  return `${prefix}${when}  ${who}${reply}${forwarded}${pending}: ${describeTerms(message.terms)}${body}`
}

export async function conversationTitle(conversation: ConversationRecord, names: Names): Promise<string> {
  if (conversation.kind === "direct" && conversation.peer !== undefined) return names.of(conversation.peer)
  return terminalSafe(conversation.name ?? "(unnamed group)")
}
