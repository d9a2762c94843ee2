import { useEffect, useId, useState } from "react"
import type { DefaultTerms, Terms } from "@backchannel/core"
import type { Label } from "@backchannel/protocol"
import { useEngine } from "../ui/engine-context.js"
import { describeDefaults, formatDuration, isEmptyTerms, noTerms } from "./terms-format.js"
import type { ChosenTerms } from "./terms-format.js"
import "./policy.css"

export { describeDefaults, formatDuration, isEmptyTerms, noTerms, toTermsInput } from "./terms-format.js"
export type { ChosenTerms } from "./terms-format.js"

/** The expiries a sender can choose, shortest first. */
export const expiryChoices: Array<{ label: string; ms: number }> = [
  { label: "10 seconds", ms: 10_000 },
  { label: "1 minute", ms: 60_000 },
  { label: "5 minutes", ms: 5 * 60_000 },
  { label: "1 hour", ms: 60 * 60_000 },
  { label: "1 day", ms: 24 * 60 * 60_000 },
  { label: "1 week", ms: 7 * 24 * 60 * 60_000 },
]

/** The current time, re-read every `everyMs` while `active`. */
export function useNow(active: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    const timer = setInterval(() => setNow(Date.now()), everyMs)
    return () => {
      clearInterval(timer)
    }
  }, [active, everyMs])
  return now
}

let labelCache: Promise<Label[]> | undefined

/** The operator's labels (fetched once per page load; the engine falls back to the last known list). */
export function useLabels(): Label[] {
  const engine = useEngine()
  const [labels, setLabels] = useState<Label[]>([])
  useEffect(() => {
    let live = true
    labelCache ??= engine.api.labels().catch(() => {
      labelCache = undefined
      return []
    })
    void labelCache.then((l) => {
      if (live) setLabels(l)
    })
    return () => {
      live = false
    }
  }, [engine])
  return labels
}

/**
 * A received or sent message's terms, shown before its text: the label, the time left before it
 * disappears, view-once and no-forwarding.
 */
export function TermsLine({ terms }: { terms: Terms | undefined }) {
  const expiresAt = terms?.expiresAt
  const now = useNow(expiresAt !== undefined)
  if (terms === undefined) return null
  return (
    <div className="terms-line" data-testid="terms">
      {terms.label !== undefined && (
        <span className="chip chip-label" data-testid="terms-label">
          {terms.label}
        </span>
      )}
      {expiresAt !== undefined && (
        <span className="chip chip-expiry" data-testid="terms-expiry">
          {expiresAt > now ? `Expires in ${formatDuration(expiresAt - now)}` : "Expiring…"}
        </span>
      )}
      {terms.viewOnce === true && <span className="chip chip-once">View once</span>}
      {terms.noForward === true && <span className="chip chip-noforward">No forwarding or copying</span>}
    </div>
  )
}

/** The label, expiry, view-once and no-forward fields, shared by the composer and the defaults editor. */
export function TermsFields({
  value,
  onChange,
  idPrefix,
}: {
  value: ChosenTerms
  onChange: (next: ChosenTerms) => void
  idPrefix: string
}) {
  const labels = useLabels()
  return (
    <div className="terms-fields">
      <span className="field">
        <label htmlFor={`${idPrefix}-label`}>Label</label>
        <select
          id={`${idPrefix}-label`}
          value={value.label}
          onChange={(e) => onChange({ ...value, label: e.target.value })}
        >
          <option value="">No label</option>
          {labels.map((l) => (
            <option key={l.name} value={l.name}>
              {l.name}
            </option>
          ))}
        </select>
      </span>
      <span className="field">
        <label htmlFor={`${idPrefix}-expiry`}>Disappears after</label>
        <select
          id={`${idPrefix}-expiry`}
          value={String(value.expiresInMs)}
          onChange={(e) => onChange({ ...value, expiresInMs: Number(e.target.value) })}
        >
          <option value="0">Never</option>
          {expiryChoices.map((c) => (
            <option key={c.ms} value={String(c.ms)}>
              {c.label}
            </option>
          ))}
        </select>
      </span>
      <label className="choice">
        <input
          type="checkbox"
          checked={value.viewOnce}
          onChange={(e) => onChange({ ...value, viewOnce: e.target.checked })}
        />
        <span>View once</span>
      </label>
      <label className="choice">
        <input
          type="checkbox"
          checked={value.noForward}
          onChange={(e) => onChange({ ...value, noForward: e.target.checked })}
        />
        <span>No forwarding or copying</span>
      </label>
    </div>
  )
}

/** The composer's terms: a compact toggle showing what is chosen, opening the fields. */
export function ComposerTerms({
  value,
  onChange,
  defaults,
}: {
  value: ChosenTerms
  onChange: (next: ChosenTerms) => void
  defaults: DefaultTerms | undefined
}) {
  const [open, setOpen] = useState(false)
  const id = useId()
  const summary = isEmptyTerms(value)
    ? defaults !== undefined && describeDefaults(defaults) !== "none"
      ? `Conversation defaults: ${describeDefaults(defaults)}`
      : "No terms"
    : describeDefaults({
        ...(value.label !== "" ? { label: value.label } : {}),
        ...(value.expiresInMs > 0 ? { expiresAfterMs: value.expiresInMs } : {}),
        ...(value.viewOnce ? { viewOnce: true } : {}),
        ...(value.noForward ? { noForward: true } : {}),
      })
  return (
    <div className="composer-terms">
      <div className="composer-terms-bar">
        <button
          type="button"
          className="link"
          aria-expanded={open}
          aria-controls={`${id}-panel`}
          onClick={() => setOpen(!open)}
          data-testid="terms-toggle"
        >
          {open ? "Hide terms" : "Terms"}
        </button>
        <span className="muted small" data-testid="terms-summary">
          {summary}
        </span>
        {!isEmptyTerms(value) && (
          <button type="button" className="link" onClick={() => onChange(noTerms)}>
            Clear
          </button>
        )}
      </div>
      {open && (
        <div id={`${id}-panel`} className="composer-terms-panel">
          <TermsFields value={value} onChange={onChange} idPrefix={id} />
        </div>
      )}
    </div>
  )
}
