import { useId, useState } from "react"
import type { SyntheticEvent } from "react"
import { useEngine } from "../ui/engine-context.js"
import { EngineError } from "../rpc/engine-client.js"

function defaultDeviceName(): string {
  const ua = navigator.userAgent
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrom/.test(ua)
        ? "Chromium"
        : "Browser"
  return `${browser} web app`
}

/** Reads an invite code from a pasted code or a pasted invite link (…/#/enrol?code=…). */
export function inviteFromInput(input: string): string {
  const trimmed = input.trim()
  const match = /[?&]code=([^&#\s]+)/.exec(trimmed)
  return match?.[1] !== undefined ? decodeURIComponent(match[1]) : trimmed
}

export function EnrolScreen({ code, onEnrolled }: { code: string; onEnrolled: () => void }) {
  const engine = useEngine()
  const [invite, setInvite] = useState(code)
  const [deviceName, setDeviceName] = useState(defaultDeviceName)
  const [protection, setProtection] = useState<"device-key" | "passphrase">("device-key")
  const [passphrase, setPassphrase] = useState("")
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const ids = { invite: useId(), device: useId(), pass: useId(), error: useId() }

  const submit = (event: SyntheticEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    engine.api
      .enrol({
        serverUrl: window.location.origin,
        invite: inviteFromInput(invite),
        deviceName: deviceName.trim(),
        protection: protection === "device-key" ? { kind: "device-key" } : { kind: "passphrase", passphrase },
      })
      .then(() => {
        window.location.hash = "#/"
        onEnrolled()
      })
      .catch((err: unknown) => {
        setBusy(false)
        setError(
          err instanceof EngineError && err.code === "INVITE_INVALID"
            ? "That invite is not valid: it may have been used already or have expired. Ask your operator for a new one."
            : err instanceof Error
              ? err.message
              : "Enrolment failed.",
        )
      })
  }

  return (
    <main className="centered" id="main">
      <form
        className="card enrol"
        onSubmit={submit}
        aria-describedby={error !== undefined ? ids.error : undefined}
      >
        <h1>Enrol this browser</h1>
        <p className="muted">
          Your operator gave you a one-time invite code or link. This browser becomes one of your devices:
          messages are decrypted only here and stored encrypted.
        </p>
        <label htmlFor={ids.invite}>Invite code or link</label>
        <input
          id={ids.invite}
          name="invite"
          autoComplete="off"
          spellCheck={false}
          required
          value={invite}
          onChange={(e) => setInvite(e.target.value)}
        />
        <label htmlFor={ids.device}>Device name</label>
        <input
          id={ids.device}
          name="device"
          required
          maxLength={64}
          value={deviceName}
          onChange={(e) => setDeviceName(e.target.value)}
        />
        <fieldset>
          <legend>Protect the local state with</legend>
          <label className="choice">
            <input
              type="radio"
              name="protection"
              checked={protection === "device-key"}
              onChange={() => setProtection("device-key")}
            />
            <span>
              <strong>A key held by this browser</strong> (recommended): a non-extractable key, never shown to
              any script or sent anywhere.
            </span>
          </label>
          <label className="choice">
            <input
              type="radio"
              name="protection"
              checked={protection === "passphrase"}
              onChange={() => setProtection("passphrase")}
            />
            <span>
              <strong>A passphrase</strong> you type each time the app opens; nothing that unlocks the state
              is stored.
            </span>
          </label>
        </fieldset>
        {protection === "passphrase" && (
          <>
            <label htmlFor={ids.pass}>Passphrase (at least 10 characters)</label>
            <input
              id={ids.pass}
              type="password"
              autoComplete="new-password"
              minLength={10}
              required
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
            />
          </>
        )}
        {error !== undefined && (
          <p className="error" role="alert" id={ids.error}>
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Enrolling…" : "Enrol"}
        </button>
      </form>
    </main>
  )
}
