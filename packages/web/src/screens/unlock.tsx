import { useId, useState } from "react"
import type { SyntheticEvent } from "react"
import { useEngine } from "../ui/engine-context.js"

export function UnlockScreen({ onUnlocked }: { onUnlocked: () => void }) {
  const engine = useEngine()
  const [passphrase, setPassphrase] = useState("")
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const id = useId()
  const submit = (event: SyntheticEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    engine.api
      .unlock(passphrase)
      .then(onUnlocked)
      .catch((err: unknown) => {
        setBusy(false)
        setError(err instanceof Error ? err.message : "Could not unlock.")
      })
  }
  return (
    <main className="centered" id="main">
      <form className="card" onSubmit={submit}>
        <h1>Unlock Backchannel</h1>
        <label htmlFor={id}>Passphrase</label>
        <input
          id={id}
          type="password"
          autoComplete="current-password"
          required
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        {error !== undefined && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Unlocking…" : "Unlock"}
        </button>
      </form>
    </main>
  )
}
