import { fromB64, ProtocolError } from "@backchannel/protocol"
import type { z } from "zod"

/**
 * Checks untrusted input against a protocol schema. A failure becomes VALIDATION_FAILED whose
 * `field` is the path of the first problem (for an unknown key, the path to it), never a value.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path: PropertyKey[] = issue === undefined ? [] : [...issue.path]
  if (issue?.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0])
  const field = path.map((p) => (typeof p === "symbol" ? "?" : String(p))).join(".")
  throw new ProtocolError("VALIDATION_FAILED", undefined, field === "" ? {} : { field: truncate(field) })
}

/**
 * Decodes an unpadded base64url field strictly (only the base64url alphabet, no padding, no impossible
 * length, no stray bits in the last character); `fromB64` runs in Node's native codec here.
 */
export function decodeField(value: string, field: string): Uint8Array {
  try {
    return fromB64(value)
  } catch {
    throw new ProtocolError("VALIDATION_FAILED", undefined, { field })
  }
}

function truncate(field: string): string {
  return field.length > 200 ? field.slice(0, 200) : field
}
