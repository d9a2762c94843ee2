import { useEffect, useId, useState } from "react"
import type { DirectoryEntry } from "@backchannel/protocol"
import { useEngine } from "../ui/engine-context.js"
import { orElse, personLine } from "../ui/format.js"

/** Searches the directory (name, title, country) and lets the user tick people. */
export function PersonPicker({
  chosen,
  onToggle,
  exclude,
  refuseGuests = false,
}: {
  chosen: DirectoryEntry[]
  onToggle: (entry: DirectoryEntry) => void
  exclude: Set<string>
  /** A verified-only conversation: outsiders are shown but cannot be chosen. */
  refuseGuests?: boolean
}) {
  const engine = useEngine()
  const [query, setQuery] = useState("")
  const [results, setResults] = useState<DirectoryEntry[]>([])
  const [error, setError] = useState<string | undefined>(undefined)
  const id = useId()
  useEffect(() => {
    let live = true
    const timer = setTimeout(() => {
      engine.api
        .searchDirectory(query.trim(), 30)
        .then((r) => {
          if (live) {
            setResults(r)
            setError(undefined)
          }
        })
        .catch((err: unknown) => {
          if (live) setError(err instanceof Error ? err.message : "Search failed.")
        })
    }, 150)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [engine, query])
  const chosenHandles = new Set(chosen.map((c) => c.handle))
  return (
    <div className="picker">
      <label htmlFor={id}>Search the directory by name, title or country</label>
      <input
        id={id}
        type="search"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoComplete="off"
      />
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="people" aria-label="Directory results">
        {results
          .filter((r) => !exclude.has(r.handle))
          .map((r) => (
            <li key={r.handle}>
              <label className="person">
                <input
                  type="checkbox"
                  checked={chosenHandles.has(r.handle)}
                  onChange={() => onToggle(r)}
                  disabled={refuseGuests && r.kind === "guest" && !chosenHandles.has(r.handle)}
                  aria-describedby={refuseGuests && r.kind === "guest" ? `${id}-refused` : undefined}
                />
                <span className="person-main">
                  <span className="person-name">
                    {r.displayName}
                    {r.kind === "member" ? (
                      <span className="tag verified" title="Verified by the operator">
                        ✓ Verified
                      </span>
                    ) : (
                      <span className="tag outsider" title="Admitted by the operator but not vouched for">
                        Outsider
                      </span>
                    )}
                  </span>
                  <span className="muted small">{orElse(personLine(r), r.handle)}</span>
                  {refuseGuests && r.kind === "guest" && (
                    <span className="small error" id={`${id}-refused`} data-testid="guest-refused">
                      Outsiders cannot join a verified-members-only conversation
                    </span>
                  )}
                </span>
              </label>
            </li>
          ))}
      </ul>
    </div>
  )
}
