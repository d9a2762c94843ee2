/**
 * The closed set of errors tracemark throws. Codes are stable; messages never carry message text,
 * keys or secrets.
 */
export const tracemarkErrorCatalog = {
  KEY_INVALID: "A tracemark key has the wrong length or is a low-order point.",
  SECRET_INVALID: "A copy secret must be 32 bytes.",
  MESSAGE_ID_INVALID: "A message id must be a non-empty string.",
  IMAGE_INVALID: "The image has the wrong size or pixel buffer length.",
  BUBBLE_NOT_FOUND: "No message bubble of the reference renderer was found in the image.",
  READING_MISMATCH: "A reading does not belong to the message or slots it is compared with.",
  CANDIDATE_SECRET_MISSING: "A candidate has no secret for a message that a reading covers.",
} as const

export type TracemarkErrorCode = keyof typeof tracemarkErrorCatalog

export class TracemarkError extends Error {
  readonly code: TracemarkErrorCode

  constructor(code: TracemarkErrorCode) {
    super(tracemarkErrorCatalog[code])
    this.name = "TracemarkError"
    this.code = code
  }

  is(code: TracemarkErrorCode): boolean {
    return this.code === code
  }
}
