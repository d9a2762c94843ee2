import { useEffect, useId, useRef, useState, useSyncExternalStore } from "react"
import type { ReactNode } from "react"
import type { ConversationRecord, MessageRecord } from "@backchannel/core"
import type { EngineClient } from "../rpc/engine-client.js"
import { useEngine } from "../ui/engine-context.js"
import { TermsFields, describeDefaults, noTerms, toTermsInput } from "./terms.js"
import type { ChosenTerms } from "./terms.js"
import "./policy.css"

/*
 * A view-once message is deleted from the device the moment it is opened: the engine returns it once and
 * stores only a tombstone. The opened copy lives here, in memory, until the reader closes it.
 */
const revealed = new Map<string, MessageRecord>()
const subscribers = new Set<() => void>()
function changed(): void {
  for (const s of subscribers) s()
}
function subscribe(listener: () => void): () => void {
  subscribers.add(listener)
  return () => {
    subscribers.delete(listener)
  }
}

/** The opened copy of a view-once message, while its reader has it open. */
export function useRevealed(messageId: string): MessageRecord | undefined {
  return useSyncExternalStore(subscribe, () => revealed.get(messageId))
}

export async function revealOnce(engine: EngineClient, messageId: string): Promise<void> {
  const record = await engine.api.viewOnce(messageId)
  revealed.set(messageId, record)
  changed()
}

export function closeRevealed(messageId: string): void {
  revealed.delete(messageId)
  changed()
}

/** A received view-once message before it is opened: what it is, and the one chance to read it. */
export function ViewOnceGate({ messageId }: { messageId: string }) {
  const engine = useEngine()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  return (
    <div className="view-once" data-testid="view-once">
      <p>
        <strong>View once.</strong> It is deleted from this device as soon as you open it.
      </p>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        className="primary"
        disabled={busy}
        onClick={() => {
          setBusy(true)
          revealOnce(engine, messageId).catch((err: unknown) => {
            setBusy(false)
            setError(err instanceof Error ? err.message : "The message could not be opened.")
          })
        }}
      >
        View once — reveal
      </button>
    </div>
  )
}

/** An opened view-once message: its content, and closing it for good. */
export function RevealedOnce({ messageId, children }: { messageId: string; children: ReactNode }) {
  return (
    <div className="revealed" data-testid="revealed">
      {children}
      <button type="button" onClick={() => closeRevealed(messageId)}>
        Done — it is already deleted from this device
      </button>
    </div>
  )
}

/** Stops copying a no-forward message's text (the app has no forward action for it either). */
export function NoCopy({ children }: { children: ReactNode }) {
  return (
    <div
      className="no-copy"
      data-testid="no-copy"
      onCopyCapture={(e) => {
        e.preventDefault()
        e.stopPropagation()
      }}
      onCutCapture={(e) => {
        e.preventDefault()
        e.stopPropagation()
      }}
      onContextMenu={(e) => e.preventDefault()}
    >
      {children}
      <p className="no-copy-note">The sender asked that this not be forwarded or copied.</p>
    </div>
  )
}

function fromDefaults(c: ConversationRecord): ChosenTerms {
  const d = c.defaultTerms
  return {
    label: d?.label ?? "",
    expiresInMs: d?.expiresAfterMs ?? 0,
    viewOnce: d?.viewOnce === true,
    noForward: d?.noForward === true,
  }
}

/** The conversation's default terms, shown in its header and changed (for every member) in a dialog. */
export function DefaultTermsButton({ conversation }: { conversation: ConversationRecord }) {
  const engine = useEngine()
  const [open, setOpen] = useState(false)
  const [value, setValue] = useState<ChosenTerms>(noTerms)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const dialog = useRef<HTMLDialogElement>(null)
  const id = useId()
  useEffect(() => {
    const el = dialog.current
    if (open && el !== null && !el.open) el.showModal()
  }, [open])
  const close = () => {
    dialog.current?.close()
    setOpen(false)
  }
  const save = () => {
    setBusy(true)
    setError(undefined)
    engine.api
      .setDefaultTerms(conversation.id, toTermsInput(value))
      .then(close)
      .catch((err: unknown) => {
        setError(err instanceof Error ? err.message : "The default terms could not be changed.")
      })
      .finally(() => setBusy(false))
  }
  return (
    <>
      <button
        type="button"
        onClick={() => {
          setValue(fromDefaults(conversation))
          setOpen(true)
        }}
        disabled={conversation.status !== "active"}
      >
        Default terms
      </button>
      {open && (
        <dialog
          ref={dialog}
          className="modal"
          aria-labelledby={`${id}-title`}
          data-testid="default-terms-dialog"
          onCancel={(e) => {
            e.preventDefault()
            close()
          }}
        >
          <div className="modal-body">
            <h2 id={`${id}-title`}>Default terms for this conversation</h2>
            <p className="muted small">
              Applied to every new message unless its sender chooses otherwise. Every member sees the change.
              Now: {describeDefaults(conversation.defaultTerms)}.
            </p>
            <TermsFields value={value} onChange={setValue} idPrefix={id} />
            {error !== undefined && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
          </div>
          <div className="modal-actions">
            <button type="button" onClick={close} disabled={busy}>
              Cancel
            </button>
            <button type="button" className="primary" onClick={save} disabled={busy}>
              {busy ? "Saving…" : "Save for everyone"}
            </button>
          </div>
        </dialog>
      )}
    </>
  )
}
