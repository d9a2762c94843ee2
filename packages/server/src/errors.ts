import { ProtocolError } from "@backchannel/protocol"
import type { ErrorCode } from "@backchannel/protocol"

/** Fastify's own failures, by their stable code, mapped onto the protocol's error codes. */
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_EMPTY_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "BAD_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "BAD_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "BAD_JSON",
  FST_ERR_BAD_URL: "NOT_FOUND",
  FST_ERR_MAX_PARAM_LENGTH: "NOT_FOUND",
  FST_ERR_NOT_FOUND: "NOT_FOUND",
}

/**
 * Turns anything thrown while serving a request into a ProtocolError. `internal` is true for faults
 * of the server (they become INTERNAL with the catalog message only; the caller logs them by class
 * name and code, never by message).
 */
export function toProtocolError(err: unknown): { error: ProtocolError; internal: boolean } {
  if (err instanceof ProtocolError) return { error: err, internal: false }
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined
  if (typeof code === "string") {
    const mapped = frameworkCodes[code]
    if (mapped !== undefined) return { error: new ProtocolError(mapped), internal: false }
  }
  const status =
    typeof err === "object" && err !== null ? (err as { statusCode?: unknown }).statusCode : undefined
  if (status === 413) return { error: new ProtocolError("PAYLOAD_TOO_LARGE"), internal: false }
  if (status === 415) return { error: new ProtocolError("UNSUPPORTED_MEDIA_TYPE"), internal: false }
  if (typeof status === "number" && status >= 400 && status < 500) {
    // A malformed request Fastify or Node rejected before it reached a route (e.g. an aborted body).
    return { error: new ProtocolError("VALIDATION_FAILED"), internal: false }
  }
  return { error: new ProtocolError("INTERNAL"), internal: true }
}
