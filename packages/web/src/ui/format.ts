import type { ConversationRecord } from "@backchannel/core"
import type { DirectoryEntry } from "@backchannel/protocol"

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" })
const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" })

export function formatTime(ms: number): string {
  return timeFormat.format(ms)
}

/** Today's times as hh:mm, older ones as a date. */
export function formatWhen(ms: number, now = Date.now()): string {
  const sameDay = new Date(ms).toDateString() === new Date(now).toDateString()
  return sameDay ? timeFormat.format(ms) : dayFormat.format(ms)
}

export function conversationTitle(c: ConversationRecord, names: (handle: string) => string): string {
  if (c.kind === "direct" && c.peer !== undefined) return names(c.peer)
  return c.name ?? "Conversation"
}

export function personLine(entry: DirectoryEntry | undefined): string {
  if (entry === undefined) return ""
  return [entry.title, entry.organisation, entry.country]
    .filter((p) => p !== undefined && p !== "")
    .join(" · ")
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/)
  return (
    (parts[0]?.[0] ?? "") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")
  ).toUpperCase()
}

/** A readable fingerprint of a base64url public key: groups of four from its SHA-256. */
export async function fingerprint(publicKeyB64: string): Promise<string> {
  const normal = publicKeyB64.replace(/-/g, "+").replace(/_/g, "/")
  const raw = Uint8Array.from(atob(normal + "=".repeat((4 - (normal.length % 4)) % 4)), (c) =>
    c.charCodeAt(0),
  )
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw))
  const digits = Array.from(digest.slice(0, 15), (b) => String(b % 100).padStart(2, "0")).join("")
  return digits.match(/.{1,5}/g)?.join(" ") ?? digits
}

/** `value` unless it is empty. */
export function orElse(value: string, fallback: string): string {
  return value !== "" ? value : fallback
}
