import { useId, useState } from "react"
import type { TraceCandidate, TraceResult } from "@backchannel/core"
import { href } from "../routes.js"
import { useEngine, usePerson } from "../ui/engine-context.js"
import "./policy.css"

function BreachForm({ candidate, messageId }: { candidate: TraceCandidate; messageId: string }) {
  const engine = useEngine()
  const entry = usePerson(candidate.handle)
  const name = entry?.displayName ?? candidate.handle
  const [open, setOpen] = useState(false)
  const [note, setNote] = useState("")
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const noteId = useId()
  if (done) {
    return (
      <p className="done" role="status" data-testid="breach-recorded">
        Recorded against {name} in your trust ledger. <a href={href({ name: "ledger" })}>Open the ledger</a>
      </p>
    )
  }
  if (!open) {
    return (
      <button type="button" className="danger" onClick={() => setOpen(true)}>
        Record breach against {name}
      </button>
    )
  }
  const submit = () => {
    setBusy(true)
    setError(undefined)
    engine.api
      .recordBreach({
        handle: candidate.handle,
        messageId,
        ...(note.trim() !== "" ? { note: note.trim() } : {}),
      })
      .then(() => setDone(true))
      .catch((err: unknown) => {
        setError(err instanceof Error ? err.message : "The breach could not be recorded.")
      })
      .finally(() => setBusy(false))
  }
  return (
    <div>
      <label htmlFor={noteId}>Note for your ledger (optional)</label>
      <textarea
        id={noteId}
        rows={2}
        maxLength={1000}
        value={note}
        onChange={(e) => setNote(e.target.value)}
      />
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <p className="inline-actions">
        <button type="button" className="danger" disabled={busy} onClick={submit}>
          {busy ? "Recording…" : `Record breach against ${name}`}
        </button>
        <button type="button" onClick={() => setOpen(false)} disabled={busy}>
          Cancel
        </button>
      </p>
    </div>
  )
}

/**
 * After a leak check that attributes the leak (band attributable or conclusive), lets the sender record
 * the breach against that person in their trust ledger, with the check's evidence.
 */
export function RecordBreach({ result }: { result: TraceResult }) {
  const leak = result.leaks[0]
  const attributed = result.candidates.filter((c) => c.band !== "inconclusive")
  const people = [...new Map(attributed.map((c) => [c.handle, c])).values()]
  if (leak === undefined || people.length === 0) return null
  return (
    <section className="record-breach" aria-labelledby="record-breach-title">
      <h2 id="record-breach-title">Trust ledger</h2>
      <p className="muted small">
        Recording the breach lowers this person&apos;s standing: you will be asked before sending them a
        message whose label is above it. The record keeps the evidence (message, p-value, date) and is shared
        with your other devices only.
      </p>
      {people.map((c) => (
        <BreachForm key={c.handle} candidate={c} messageId={leak.message} />
      ))}
    </section>
  )
}
