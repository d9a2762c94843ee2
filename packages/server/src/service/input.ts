import { ProtocolError } from "@backchannel/protocol"
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
 * Decodes an unpadded base64url field strictly (the same values as the protocol's `fromB64`: only the
 * base64url alphabet, no padding, no impossible length, no stray bits in the last character), using
 * node's native codec because message bodies are decoded on the hot path. Node's decoder is lenient (it
 * skips characters it does not know and also takes '+', '/' and '='), so the bytes are encoded again and
 * must give back exactly the input: only a canonical string does. That costs less than a regular
 * expression over the input (about 0.7 µs against 1 µs for 1.5 KB here).
 */
export function decodeField(value: string, field: string): Uint8Array {
  const buffer = Buffer.from(value, "base64url")
  if (value.length % 4 === 1 || buffer.toString("base64url") !== value) {
    throw new ProtocolError("VALIDATION_FAILED", undefined, { field })
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

function truncate(field: string): string {
  return field.length > 200 ? field.slice(0, 200) : field
}
