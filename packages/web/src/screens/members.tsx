import { useCallback, useEffect, useState } from "react"
import type { ConversationRecord, PublicIdentity } from "@backchannel/core"
import type { DirectoryEntry } from "@backchannel/protocol"
import { href } from "../routes.js"
import { PersonPicker } from "../components/person-picker.js"
import { withConfirmation } from "../ui/confirm.js"
import { useEngine, usePerson } from "../ui/engine-context.js"
import { orElse, personLine } from "../ui/format.js"

const sinceFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })

function MemberRow({
  handle,
  devices,
  since,
  me,
  canRemove,
  onRemove,
}: {
  handle: string
  devices: number
  since: number
  me: PublicIdentity
  canRemove: boolean
  onRemove: () => void
}) {
  const entry = usePerson(handle)
  return (
    <li className="member" data-testid="member">
      <span className="person-main">
        <span className="person-name">
          {entry?.displayName ?? handle}
          {handle === me.handle && <span className="muted"> (you)</span>}
          {entry?.kind === "member" && <span className="tag verified">✓ Verified</span>}
          {entry?.kind === "guest" && <span className="tag outsider">Outsider</span>}
        </span>
        <span className="muted small">
          {orElse(personLine(entry), handle)} · {devices} device{devices === 1 ? "" : "s"} ·{" "}
          <span className="since" data-testid="member-since">
            in since {sinceFormat.format(since)}
          </span>
        </span>
      </span>
      {canRemove && (
        <button
          type="button"
          className="danger"
          onClick={onRemove}
          aria-label={`Remove ${entry?.displayName ?? handle}`}
        >
          Remove
        </button>
      )}
    </li>
  )
}

export function MembersScreen({ conversationId, me }: { conversationId: string; me: PublicIdentity }) {
  const engine = useEngine()
  const [conversation, setConversation] = useState<ConversationRecord | undefined>(undefined)
  const [chosen, setChosen] = useState<DirectoryEntry[]>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const load = useCallback(() => {
    engine.api.conversation(conversationId).then(setConversation, () => undefined)
  }, [engine, conversationId])
  useEffect(() => {
    load()
    return engine.on("conversation", (c) => {
      if (c.id === conversationId) setConversation(c)
    })
  }, [engine, conversationId, load])
  if (conversation === undefined) return <p className="muted pad">Loading…</p>
  const counts = new Map<string, number>()
  const since = new Map<string, number>()
  for (const m of conversation.members) {
    counts.set(m.handle, (counts.get(m.handle) ?? 0) + 1)
    since.set(m.handle, Math.min(since.get(m.handle) ?? m.since, m.since))
  }
  const isGroup = conversation.kind === "group"
  const run = (task: () => Promise<unknown>) => {
    setBusy(true)
    setError(undefined)
    task()
      .then(() => {
        setChosen([])
        load()
      })
      .catch((err: unknown) => {
        setError(err instanceof Error ? err.message : "The change failed.")
      })
      .finally(() => {
        setBusy(false)
      })
  }
  const add = () => {
    const handles = chosen.map((c) => c.handle)
    run(() =>
      withConfirmation(
        () => engine.api.addMembers(conversationId, handles),
        () => engine.api.addMembers(conversationId, handles, { confirmNewPeople: true }),
      ),
    )
  }
  return (
    <section className="page" aria-labelledby="members-title">
      <a className="back-link" href={href({ name: "conversation", id: conversationId })}>
        ← Back to the conversation
      </a>
      <h1 id="members-title">Members</h1>
      {conversation.verifiedOnly === true && (
        <p className="banner verified-note" data-testid="verified-only-note">
          <span className="tag verified">Verified members only</span> Every member&apos;s app refuses anyone
          the operator does not vouch for.
        </p>
      )}
      <p className="muted">
        Every change is shown to all members in the conversation. Devices are listed because each one holds a
        key: see Devices &amp; safety to compare safety numbers.
      </p>
      <ul className="members">
        {[...counts.entries()].map(([handle, devices]) => (
          <MemberRow
            key={handle}
            handle={handle}
            devices={devices}
            since={since.get(handle) ?? conversation.joinedAt}
            me={me}
            canRemove={isGroup && handle !== me.handle && conversation.status === "active" && !busy}
            onRemove={() => run(() => engine.api.removeMembers(conversationId, [handle]))}
          />
        ))}
      </ul>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {isGroup && conversation.status === "active" && (
        <div className="add-members">
          <h2>Add people</h2>
          <PersonPicker
            chosen={chosen}
            exclude={new Set(counts.keys())}
            refuseGuests={conversation.verifiedOnly === true}
            onToggle={(entry) => {
              setChosen((list) =>
                list.some((c) => c.handle === entry.handle)
                  ? list.filter((c) => c.handle !== entry.handle)
                  : [...list, entry],
              )
            }}
          />
          <button type="button" className="primary" disabled={busy || chosen.length === 0} onClick={add}>
            {busy
              ? "Working…"
              : `Add ${chosen.length === 0 ? "people" : chosen.map((c) => c.displayName).join(", ")}`}
          </button>
        </div>
      )}
    </section>
  )
}
