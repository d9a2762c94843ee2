import { useEffect, useRef, useState } from "react"
import type { PersonToConfirm } from "@backchannel/core"
import "./policy.css"

/** Why the engine wants the user to look before going on. */
export interface ConfirmRequest {
  reason: "new-people" | "standing"
  people: PersonToConfirm[]
  /** For a standing confirmation: the label of the message. */
  label?: string
  /** Offer "continue in a new conversation without them" (standing only). */
  canContinueWithout?: boolean
}

export type ConfirmChoice = "cancel" | "proceed" | "without"

type Asker = (request: ConfirmRequest) => Promise<ConfirmChoice>
let asker: Asker | undefined

/** Shows the confirmation dialog (mounted once by ConfirmHost) and resolves with the user's choice. */
export function askConfirmation(request: ConfirmRequest): Promise<ConfirmChoice> {
  if (asker === undefined) return Promise.resolve("cancel")
  return asker(request)
}

/** One person's full directory entry, with the outsider warning. */
export function PersonCard({ person }: { person: PersonToConfirm }) {
  const guest = person.kind === "guest"
  return (
    <li className={`person-card ${guest ? "guest" : ""}`} data-testid="person-card">
      <span className="person-name">{person.displayName}</span>
      {guest ? (
        <span className="tag outsider">Outsider</span>
      ) : (
        <span className="tag verified">✓ Verified</span>
      )}
      <dl>
        <dt>Title</dt>
        <dd>{person.title ?? "—"}</dd>
        <dt>Organisation</dt>
        <dd>{person.organisation ?? "—"}</dd>
        <dt>Country</dt>
        <dd>{person.country ?? "—"}</dd>
        <dt>Handle</dt>
        <dd>{person.handle}</dd>
        {person.breaches !== undefined && (
          <>
            <dt>Recorded breaches</dt>
            <dd>{person.breaches}</dd>
          </>
        )}
      </dl>
      {guest && (
        <p className="outsider-note">
          An outsider: admitted by your operator but not vouched for. Anything you write can leave your
          organisation.
        </p>
      )}
    </li>
  )
}

function names(people: PersonToConfirm[]): string {
  return people.map((p) => p.displayName).join(", ")
}

/**
 * The single confirmation dialog of the app (a modal <dialog>: focus stays inside, Escape cancels). It
 * serves every "look before you go on" moment: people never written to before, and a label above a
 * member's standing in the trust ledger.
 */
export function ConfirmHost() {
  const [current, setCurrent] = useState<
    { request: ConfirmRequest; resolve: (c: ConfirmChoice) => void } | undefined
  >(undefined)
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    asker = (request) =>
      new Promise<ConfirmChoice>((resolve) => {
        setCurrent({ request, resolve })
      })
    return () => {
      asker = undefined
    }
  }, [])
  useEffect(() => {
    const el = dialog.current
    if (current !== undefined && el !== null && !el.open) el.showModal()
  }, [current])
  const choose = (choice: ConfirmChoice) => {
    dialog.current?.close()
    current?.resolve(choice)
    setCurrent(undefined)
  }
  if (current === undefined) return null
  const { request } = current
  const standing = request.reason === "standing"
  const who = names(request.people)
  return (
    <dialog
      ref={dialog}
      className="modal"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-explain"
      data-testid="confirm-dialog"
      onCancel={(e) => {
        e.preventDefault()
        choose("cancel")
      }}
    >
      <div className="modal-body">
        {standing ? (
          <>
            <h2 id="confirm-title">
              “{request.label ?? "This label"}” is above the standing of {who}
            </h2>
            <p id="confirm-explain">
              Your trust ledger holds a recorded breach against{" "}
              {request.people.length === 1 ? "this person" : "these people"}. Send anyway, or continue in a
              new conversation with everyone else.
            </p>
          </>
        ) : (
          <>
            <h2 id="confirm-title">Check who you are writing to</h2>
            <p id="confirm-explain">
              You have never written to {request.people.length === 1 ? "this person" : "these people"}. Make
              sure the directory entry is the one you mean before anything is sent.
            </p>
          </>
        )}
        <ul className="person-list">
          {request.people.map((p) => (
            <PersonCard key={p.handle} person={p} />
          ))}
        </ul>
      </div>
      <div className="modal-actions">
        <button type="button" onClick={() => choose("cancel")} autoFocus>
          Cancel
        </button>
        {standing && request.canContinueWithout === true && (
          <button type="button" onClick={() => choose("without")}>
            Continue in a new conversation without {who}
          </button>
        )}
        <button
          type="button"
          className={standing ? "danger" : "primary"}
          onClick={() => choose("proceed")}
          data-testid="confirm-proceed"
        >
          {standing
            ? "Send anyway"
            : request.people.length === 1
              ? "Yes, this is the right person"
              : "Yes, these are the right people"}
        </button>
      </div>
    </dialog>
  )
}
