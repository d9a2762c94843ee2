import { useEffect, useState } from "react"
import type { DeviceChange, PublicIdentity } from "@backchannel/core"
import type { DeviceInfo, DirectoryEntry, InviteResponse } from "@backchannel/protocol"
import { forgetPerson, useEngine } from "../ui/engine-context.js"
import { fingerprint, formatWhen } from "../ui/format.js"

function Fingerprint({ publicKey }: { publicKey: string }) {
  const [value, setValue] = useState("")
  useEffect(() => {
    void fingerprint(publicKey).then(setValue)
  }, [publicKey])
  return <code className="fingerprint">{value}</code>
}

function DeviceList({ entry, current }: { entry: DirectoryEntry; current?: string }) {
  return (
    <ul className="devices">
      {entry.devices.map((d: DeviceInfo) => (
        <li key={d.deviceId} className={d.revokedAt !== undefined ? "revoked" : ""}>
          <span className="device-name">
            {d.name}
            {d.deviceId === current && <span className="tag">this browser</span>}
            {d.revokedAt !== undefined && <span className="tag outsider">revoked</span>}
          </span>
          <span className="muted small">added {formatWhen(d.createdAt)}</span>
          <Fingerprint publicKey={d.signaturePublicKey} />
        </li>
      ))}
    </ul>
  )
}

export function DevicesScreen({ me }: { me: PublicIdentity }) {
  const engine = useEngine()
  const [mine, setMine] = useState<DirectoryEntry | undefined>(undefined)
  const [others, setOthers] = useState<DirectoryEntry[]>([])
  const [changes, setChanges] = useState<DeviceChange[]>([])
  const [invite, setInvite] = useState<InviteResponse | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  useEffect(() => {
    let live = true
    const load = async () => {
      const self = await engine.api.lookup(me.handle)
      const conversations = await engine.api.conversations()
      const handles = [...new Set(conversations.flatMap((c) => c.members.map((m) => m.handle)))].filter(
        (h) => h !== me.handle,
      )
      const entries = (await Promise.all(handles.map((h) => engine.api.person(h)))).filter(
        (e): e is DirectoryEntry => e !== undefined,
      )
      if (live) {
        setMine(self)
        setOthers(entries)
      }
    }
    void load().catch(() => undefined)
    const off = engine.on("devicesChanged", (change) => {
      forgetPerson(change.handle)
      setChanges((list) => [...list, change])
      void load().catch(() => undefined)
    })
    return () => {
      live = false
      off()
    }
  }, [engine, me.handle])
  const addDevice = () => {
    setError(undefined)
    engine.api.createDeviceInvite().then(setInvite, (err: unknown) => {
      setError(err instanceof Error ? err.message : "Could not create an invite.")
    })
  }
  const link =
    invite !== undefined ? `${window.location.origin}/#/enrol?code=${encodeURIComponent(invite.invite)}` : ""
  return (
    <section className="page" aria-labelledby="devices-title">
      <h1 id="devices-title">Devices &amp; safety</h1>
      {changes.length > 0 && (
        <div className="banner warn" role="alert">
          <strong>A member&apos;s devices changed.</strong> {changes.map((c) => c.handle).join(", ")}: compare
          their new safety numbers with them over another channel before sharing anything sensitive.
        </div>
      )}
      <h2>Your devices</h2>
      {mine === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <DeviceList entry={mine} current={me.deviceId} />
      )}
      <button type="button" onClick={addDevice}>
        Add another device
      </button>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {invite !== undefined && (
        <div className="card invite">
          <p>
            Open this link on the new device, or type the code there. It works once and expires{" "}
            {formatWhen(invite.expiresAt)}.
          </p>
          <p>
            <code data-testid="device-invite">{invite.invite}</code>
          </p>
          <p className="small">
            <code>{link}</code>
          </p>
        </div>
      )}
      <h2>People you talk to</h2>
      <p className="muted">
        Each device&apos;s safety number is derived from its signing key. If it differs from what the person
        sees on their own device, someone else holds that key.
      </p>
      {others.length === 0 && <p className="muted">No conversations yet.</p>}
      {others.map((entry) => (
        <div key={entry.handle} className="person-devices">
          <h3>
            {entry.displayName}{" "}
            {entry.kind === "member" ? (
              <span className="tag verified">✓ Verified</span>
            ) : (
              <span className="tag outsider">Outsider</span>
            )}
          </h3>
          <DeviceList entry={entry} />
        </div>
      ))}
    </section>
  )
}
