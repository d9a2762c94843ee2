import { useId, useState } from "react"
import type { SyntheticEvent } from "react"
import type { PublicIdentity } from "@backchannel/core"
import type { DirectoryEntry } from "@backchannel/protocol"
import { navigate } from "../routes.js"
import { PersonPicker } from "../components/person-picker.js"
import { withConfirmation } from "../ui/confirm.js"
import { useEngine } from "../ui/engine-context.js"

export function NewConversationScreen({ me }: { me: PublicIdentity }) {
  const engine = useEngine()
  const [chosen, setChosen] = useState<DirectoryEntry[]>([])
  const [name, setName] = useState("")
  const [verifiedOnly, setVerifiedOnly] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const nameId = useId()
  const toggle = (entry: DirectoryEntry) => {
    setChosen((list) =>
      list.some((c) => c.handle === entry.handle)
        ? list.filter((c) => c.handle !== entry.handle)
        : [...list, entry],
    )
  }
  const group = chosen.length > 1
  const submit = (event: SyntheticEvent) => {
    event.preventDefault()
    if (chosen.length === 0) return
    setBusy(true)
    setError(undefined)
    const handles = chosen.map((c) => c.handle)
    const run = async () => {
      if (!group) {
        const handle = handles[0] ?? ""
        const existing = await engine.api.directConversation(handle)
        if (existing !== undefined) return existing
        // A direct conversation is created by its first message.
        const hello = name.trim() === "" ? "Hello." : name.trim()
        const sent = await withConfirmation(
          () => engine.api.sendText({ to: handle }, hello),
          () => engine.api.sendText({ to: handle }, hello, { confirmNewPeople: true }),
        )
        return sent === undefined ? undefined : engine.api.conversation(sent.conversationId)
      }
      const groupName =
        name.trim() === ""
          ? chosen
              .map((c) => c.displayName)
              .join(", ")
              .slice(0, 200)
          : name.trim()
      return withConfirmation(
        () => engine.api.createGroup(groupName, handles, { verifiedOnly }),
        () => engine.api.createGroup(groupName, handles, { verifiedOnly, confirmNewPeople: true }),
      )
    }
    run()
      .then((c) => {
        setBusy(false)
        if (c !== undefined) navigate({ name: "conversation", id: c.id })
      })
      .catch((err: unknown) => {
        setBusy(false)
        setError(err instanceof Error ? err.message : "Could not start the conversation.")
      })
  }
  return (
    <form className="page" onSubmit={submit} aria-labelledby="new-title">
      <h1 id="new-title">New conversation</h1>
      <p className="muted">
        Pick one person for a direct conversation or several for a group. People come only from your
        operator&apos;s verified directory.
      </p>
      <PersonPicker
        chosen={chosen}
        onToggle={toggle}
        exclude={new Set([me.handle])}
        refuseGuests={group && verifiedOnly}
      />
      <p className="small" aria-live="polite">
        {chosen.length === 0
          ? "Nobody chosen yet."
          : `Chosen: ${chosen.map((c) => c.displayName).join(", ")}`}
      </p>
      <label htmlFor={nameId}>{group ? "Group name" : "First message (optional)"}</label>
      <input id={nameId} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
      {group && (
        <label className="choice">
          <input
            type="checkbox"
            checked={verifiedOnly}
            disabled={chosen.some((c) => c.kind === "guest")}
            onChange={(e) => setVerifiedOnly(e.target.checked)}
          />
          <span>Verified people only (every member&apos;s app refuses outsiders)</span>
        </label>
      )}
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || chosen.length === 0}>
        {busy ? "Starting…" : group ? "Create group" : "Start conversation"}
      </button>
    </form>
  )
}
