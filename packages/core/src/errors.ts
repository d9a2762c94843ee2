/**
 * Errors the client engine raises itself. Server refusals arrive as ProtocolError (protocol package),
 * network failures as DeliveryUnavailableError (ports/delivery). Messages never carry content, keys or
 * invite codes; handles appear only in errors shown to the profile's own user, never in logs.
 */
export const coreErrorCodes = [
  /** The profile has no enrolled device yet. */
  "NOT_ENROLLED",
  /** The profile already holds an enrolled device. */
  "ALREADY_ENROLLED",
  /** No conversation has that id on this device. */
  "UNKNOWN_CONVERSATION",
  /** The directory has no such person (or they have no usable device). */
  "UNKNOWN_PERSON",
  /** This device is no longer a member of the conversation. */
  "NOT_A_MEMBER",
  /** An MLS message or Welcome could not be used. */
  "MLS_INVALID",
  /** Local state could not be read back; the profile may be damaged. */
  "STORE_CORRUPT",
  /** The user's input is not acceptable (empty text, too long, bad handle...). */
  "INVALID_INPUT",
  /** A commit kept losing the race for the next epoch. */
  "CONFLICT_RETRIES_EXHAUSTED",
  /** A conversation policy refused the operation. */
  "POLICY_REFUSED",
  /** The user must confirm first (a person never written to before, a label above someone's standing). */
  "CONFIRMATION_REQUIRED",
] as const

export type CoreErrorCode = (typeof coreErrorCodes)[number]

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string,
  ) {
    super(message)
    this.name = "CoreError"
  }

  is(code: CoreErrorCode): boolean {
    return this.code === code
  }
}

/** Someone in a confirmation: what the user is shown before agreeing. */
export interface PersonToConfirm {
  handle: string
  displayName: string
  title?: string | undefined
  organisation?: string | undefined
  country?: string | undefined
  /** "guest": an outsider the operator admitted but does not vouch for. */
  kind: "member" | "guest"
  /** For a standing confirmation: the person's standing and recorded breaches. */
  standing?: number
  breaches?: number
}

/**
 * The operation needs the user's explicit confirmation: `reason` says why and `people` lists whom it is
 * about, so a user interface can show their full directory entries. Repeat the call with the matching
 * confirmation option to go ahead.
 */
export class ConfirmationRequiredError extends CoreError {
  constructor(
    readonly reason: "new-people" | "standing",
    readonly people: PersonToConfirm[],
    message: string,
  ) {
    super("CONFIRMATION_REQUIRED", message)
    this.name = "ConfirmationRequiredError"
  }
}
