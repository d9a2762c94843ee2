import { askConfirmation } from "../components/people-confirm.js"
import { EngineError } from "../rpc/engine-client.js"

/**
 * Runs an action that may need the user's confirmation: of people never written to before (their full
 * directory entries are shown), or of a label above a member's standing in the trust ledger. If the user
 * agrees, runs the confirmed variant; if `without` is given and the user prefers it, continues without the
 * people below the label's standing.
 */
export interface Confirmed {
  newPeople: boolean
  standing: boolean
}

export async function withConfirmation<T>(
  action: () => Promise<T>,
  confirmed: (what: Confirmed) => Promise<T>,
  options: { label?: string; without?: (handles: string[]) => Promise<T> } = {},
  already: Confirmed = { newPeople: false, standing: false },
): Promise<T | undefined> {
  try {
    return await action()
  } catch (err) {
    if (!(err instanceof EngineError) || err.code !== "CONFIRMATION_REQUIRED" || err.confirm === undefined)
      throw err
    const { reason, people } = err.confirm
    const choice = await askConfirmation({
      reason,
      people,
      ...(options.label !== undefined ? { label: options.label } : {}),
      canContinueWithout: reason === "standing" && options.without !== undefined,
    })
    if (choice === "cancel") return undefined
    if (choice === "without" && options.without !== undefined)
      return options.without(people.map((p) => p.handle))
    // A confirmed first contact may still meet a standing check (or the other way round): ask again.
    const now: Confirmed = {
      newPeople: already.newPeople || reason === "new-people",
      standing: already.standing || reason === "standing",
    }
    if ((reason === "new-people" && already.newPeople) || (reason === "standing" && already.standing))
      throw err
    return withConfirmation(() => confirmed(now), confirmed, options, now)
  }
}
