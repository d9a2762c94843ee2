/**
 * The closed set of error codes that the delivery server returns, on HTTP and in WebSocket frames.
 *
 * Codes are stable: clients branch on them, and docs/PROTOCOL.md documents each one (a test checks
 * that the table there and this list agree). A message is for humans and never carries content,
 * keys, handles, invite codes or internals.
 */
export const errorCatalog = {
  BAD_JSON: { status: 400, message: "The request body is not valid JSON." },
  VALIDATION_FAILED: {
    status: 400,
    message: "A field is missing, has the wrong type or size, or is not part of this request.",
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The request is larger than this endpoint accepts." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Send the body as application/json." },
  NOT_FOUND: { status: 404, message: "There is no such endpoint." },
  AUTH_REQUIRED: { status: 401, message: "This request must be signed by an enrolled device." },
  AUTH_INVALID: { status: 401, message: "The request signature does not verify for that device." },
  AUTH_EXPIRED: {
    status: 401,
    message: "The request time is too far from the server's clock; sign it again with the current time.",
  },
  AUTH_REPLAYED: { status: 401, message: "This signed request was already used." },
  DEVICE_REVOKED: { status: 403, message: "This device has been revoked." },
  FORBIDDEN: { status: 403, message: "This device may not do that." },
  INVITE_INVALID: { status: 404, message: "No invite matches that code." },
  INVITE_EXPIRED: { status: 410, message: "That invite has expired; ask for a new one." },
  INVITE_USED: { status: 410, message: "That invite was already used; ask for a new one." },
  HANDLE_TAKEN: { status: 409, message: "That handle already exists in the directory." },
  ENTRY_NOT_FOUND: { status: 404, message: "No directory entry has that handle." },
  DEVICE_NOT_FOUND: { status: 404, message: "No enrolled device has that id." },
  KEY_INVALID: {
    status: 400,
    message: "A public key or proof of possession is malformed or does not verify.",
  },
  KEY_PACKAGE_INVALID: {
    status: 400,
    message: "A key package is malformed or not signed by this device's registered key.",
  },
  KEY_PACKAGES_EXHAUSTED: {
    status: 409,
    message: "A device has no key package left to claim; it must come online and upload more.",
  },
  GROUP_EXISTS: { status: 409, message: "A group with that id already exists." },
  GROUP_NOT_FOUND: { status: 404, message: "No group has that id." },
  NOT_A_MEMBER: { status: 403, message: "This device is not a member of that group." },
  MEMBERSHIP_INVALID: {
    status: 400,
    message: "An added device is unknown or already a member, or a removed device is not a member.",
  },
  MLS_MESSAGE_INVALID: {
    status: 400,
    message: "The MLS message is malformed, of the wrong kind, or for a different group.",
  },
  EPOCH_CONFLICT: {
    status: 409,
    message: "Another commit was accepted for this epoch first; process it and commit again.",
  },
  STALE_EPOCH: {
    status: 409,
    message: "The message was encrypted for an epoch the group has left; process pending commits and resend.",
  },
  RATE_LIMITED: { status: 429, message: "Too many requests from this device; slow down." },
  WS_PROTOCOL: { status: 400, message: "The WebSocket frame is not valid here." },
  UNAVAILABLE: { status: 503, message: "The server is shutting down or overloaded; retry shortly." },
  INTERNAL: { status: 500, message: "The server failed; nothing was lost and the request can be retried." },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof errorCatalog

export const errorCodes = Object.keys(errorCatalog) as ErrorCode[]

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(errorCatalog, value)
}

/** The JSON body of every failed HTTP response and the `error` of a failed WebSocket reply. */
export interface ErrorBody {
  error: {
    code: ErrorCode
    message: string
    /** Present on AUTH_EXPIRED so a client with a skewed clock can correct it. */
    serverTime?: number
    /** Present on EPOCH_CONFLICT and STALE_EPOCH: the group's current epoch on the server. */
    epoch?: string
    /** Present on RATE_LIMITED: milliseconds to wait. */
    retryAfterMs?: number
    /**
     * Present on VALIDATION_FAILED and KEY_PACKAGE_INVALID (which field failed: a path, never a value)
     * and on KEY_PACKAGES_EXHAUSTED (the device id).
     */
    field?: string
  }
}

/**
 * An error a client received from the server. `is(code)` narrows on the stable code.
 */
export class ProtocolError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: Omit<ErrorBody["error"], "code" | "message">

  constructor(code: ErrorCode, message?: string, details: Omit<ErrorBody["error"], "code" | "message"> = {}) {
    super(message ?? errorCatalog[code].message)
    this.name = "ProtocolError"
    this.code = code
    this.status = errorCatalog[code].status
    this.details = details
  }

  is(code: ErrorCode): boolean {
    return this.code === code
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.details } }
  }
}
