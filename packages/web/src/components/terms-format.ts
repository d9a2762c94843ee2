import type { DefaultTerms, TermsInput } from "@backchannel/core"
import type { Label } from "@backchannel/protocol"

/* Pure helpers of the terms and ledger UI (no React), unit-tested in terms.test.ts. */

/** "42 s", "5 min", "3 h", "2 days": a coarse, readable duration. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000))
  if (s < 60) return `${s} s`
  const min = Math.ceil(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.round(min / 60)
  if (h < 48) return `${h} h`
  return `${Math.round(h / 24)} days`
}

/** A short sentence describing default terms, for the conversation's event and header. */
export function describeDefaults(defaults: DefaultTerms | undefined): string {
  if (defaults === undefined) return "none"
  const parts = [
    defaults.label,
    defaults.expiresAfterMs !== undefined ? `expires after ${formatDuration(defaults.expiresAfterMs)}` : "",
    defaults.viewOnce === true ? "view once" : "",
    defaults.noForward === true ? "no forwarding" : "",
  ].filter((p) => p !== undefined && p !== "")
  return parts.length === 0 ? "none" : parts.join(" · ")
}

/** What the composer sends with a message; empty fields fall back to the conversation's defaults. */
export interface ChosenTerms {
  label: string
  expiresInMs: number
  viewOnce: boolean
  noForward: boolean
}

export const noTerms: ChosenTerms = { label: "", expiresInMs: 0, viewOnce: false, noForward: false }

export function toTermsInput(chosen: ChosenTerms): TermsInput {
  return {
    ...(chosen.label !== "" ? { label: chosen.label } : {}),
    ...(chosen.expiresInMs > 0 ? { expiresInMs: chosen.expiresInMs } : {}),
    ...(chosen.viewOnce ? { viewOnce: true } : {}),
    ...(chosen.noForward ? { noForward: true } : {}),
  }
}

export function isEmptyTerms(chosen: ChosenTerms): boolean {
  return Object.keys(toTermsInput(chosen)).length === 0
}

/** The most sensitive label a person may receive without a confirmation, in words. */
export function standingText(breaches: number, labels: Label[]): string {
  const top = Math.max(0, ...labels.map((l) => l.level))
  const standing = Math.max(0, top - breaches)
  const allowed = labels.filter((l) => l.level <= standing).sort((a, b) => b.level - a.level)[0]
  if (breaches === 0) return "Full standing"
  if (allowed === undefined) return "Every labelled message to them needs your confirmation"
  return `Messages above “${allowed.name}” need your confirmation`
}
