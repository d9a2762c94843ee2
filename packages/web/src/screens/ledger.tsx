import { useCallback, useEffect, useState } from "react"
import type { LedgerEntry, MessageRecord } from "@backchannel/core"
import type { Label } from "@backchannel/protocol"
import { useLabels } from "../components/terms.js"
import { standingText } from "../components/terms-format.js"
import { useEngine, usePerson } from "../ui/engine-context.js"
import { orElse, personLine } from "../ui/format.js"
import "../components/policy.css"

const invisible = /[\u200b-\u200f\u2060-\u2064\ufeff]/g
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })

function MessageCell({ messageId }: { messageId: string }) {
  const engine = useEngine()
  const [message, setMessage] = useState<MessageRecord | undefined>(undefined)
  useEffect(() => {
    let live = true
    engine.api.message(messageId).then(
      (m) => {
        if (live) setMessage(m)
      },
      () => undefined,
    )
    return () => {
      live = false
    }
  }, [engine, messageId])
  const text = message?.text?.replace(invisible, "")
  return (
    <span title={messageId}>
      {text !== undefined && text !== "" ? (
        <>“{text.length > 90 ? `${text.slice(0, 90)}…` : text}”</>
      ) : (
        <span className="muted">message {messageId.slice(0, 8)}… (not on this device)</span>
      )}
    </span>
  )
}

function Counterpart({
  handle,
  entries,
  labels,
}: {
  handle: string
  entries: LedgerEntry[]
  labels: Label[]
}) {
  const person = usePerson(handle)
  const name = person?.displayName ?? handle
  return (
    <article className="ledger-person" data-testid="ledger-person" aria-labelledby={`ledger-${handle}`}>
      <h2 id={`ledger-${handle}`}>
        {name}
        {person?.kind === "guest" && <span className="tag outsider">Outsider</span>}
        {person?.kind === "member" && <span className="tag verified">✓ Verified</span>}
      </h2>
      <p className="muted small">{orElse(personLine(person), handle)}</p>
      <p className="standing" data-testid="standing">
        {entries.length} recorded breach{entries.length === 1 ? "" : "es"} ·{" "}
        {standingText(entries.length, labels)}
      </p>
      <table className="ledger-table">
        <thead>
          <tr>
            <th scope="col">Message</th>
            <th scope="col">Evidence</th>
            <th scope="col">Recorded</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-testid="ledger-entry">
              <td data-label="Message">
                <MessageCell messageId={e.messageId} />
                {e.label !== undefined && <span className="chip chip-label">{e.label}</span>}
              </td>
              <td data-label="Evidence">
                {e.band === "conclusive" ? "Conclusive" : "Attributable"}, p = {e.adjustedP.toExponential(1)}
              </td>
              <td data-label="Recorded">{dateFormat.format(e.recordedAt)}</td>
              <td data-label="Note">{e.note ?? <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  )
}

/**
 * The user's trust ledger: every counterpart against whom a breach was recorded from a leak check, with
 * the evidence. It is kept sealed on this device and shared with the user's other devices.
 */
export function LedgerScreen() {
  const engine = useEngine()
  const labels = useLabels()
  const [entries, setEntries] = useState<LedgerEntry[] | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const load = useCallback(() => {
    engine.api.ledger().then(
      (list) => {
        setEntries(list)
        setError(undefined)
      },
      (err: unknown) => {
        setError(err instanceof Error ? err.message : "The ledger could not be read.")
      },
    )
  }, [engine])
  useEffect(() => {
    load()
    // Entries recorded on another device arrive through the user's private self conversation.
    const offs = [engine.on("message", load), engine.on("conversation", load)]
    const timer = setInterval(load, 5000)
    return () => {
      clearInterval(timer)
      for (const off of offs) off()
    }
  }, [engine, load])
  const byPerson = new Map<string, LedgerEntry[]>()
  for (const e of entries ?? []) byPerson.set(e.handle, [...(byPerson.get(e.handle) ?? []), e])
  for (const list of byPerson.values()) list.sort((a, b) => b.recordedAt - a.recordedAt)
  return (
    <section className="page" aria-labelledby="ledger-title">
      <h1 id="ledger-title">Trust ledger</h1>
      <p className="muted">
        Breaches you recorded from leak checks, with their evidence. Each breach lowers the person&apos;s
        standing by one label level; sending them a message labelled above it asks you first. Only you and
        your own devices hold this ledger.
      </p>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {entries === undefined ? (
        <p className="muted">Loading…</p>
      ) : byPerson.size === 0 ? (
        <p className="muted" data-testid="ledger-empty">
          No breaches recorded. Run a leak check on a leaked message to record one.
        </p>
      ) : (
        [...byPerson.entries()].map(([handle, list]) => (
          <Counterpart key={handle} handle={handle} entries={list} labels={labels} />
        ))
      )}
    </section>
  )
}
