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
