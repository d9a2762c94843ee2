import type { BackchannelClient, ConversationRecord, MessageEvent, MessageRecord } from "@backchannel/core"
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
  }
}

/** What this device shows its user for a message: the text, or a description of the event. */
export async function shownText(message: MessageRecord, names: Names): Promise<string> {
  if (message.kind === "event" && message.event) return describeEvent(message.event, names)
  return message.text ?? ""
}

export async function renderMessage(message: MessageRecord, names: Names, prefix = ""): Promise<string> {
  const when = formatTime(message.sentAt)
  if (message.kind === "event") return `${prefix}${when}  — ${await shownText(message, names)} —`
  const who = message.sender.handle === "" ? "unknown" : await names.of(message.sender.handle)
  const reply = message.replyTo !== undefined ? ` (reply to ${message.replyTo})` : ""
  return `${prefix}${when}  ${who}${reply}: ${terminalSafe(message.text ?? "")}`
}

export async function conversationTitle(conversation: ConversationRecord, names: Names): Promise<string> {
  if (conversation.kind === "direct" && conversation.peer !== undefined) return names.of(conversation.peer)
  return terminalSafe(conversation.name ?? "(unnamed group)")
}
