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

const b64Chars = /^[A-Za-z0-9_-]*$/
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/**
 * Decodes an unpadded base64url field strictly (the same values as the protocol's `fromB64`: only the
 * base64url alphabet, no padding, no impossible length, no stray bits in the last character), using
 * node's native decoder because message bodies are decoded on the hot path.
 */
export function decodeField(value: string, field: string): Uint8Array {
  const invalid = (): ProtocolError => new ProtocolError("VALIDATION_FAILED", undefined, { field })
  const rest = value.length % 4
  if (rest === 1 || !b64Chars.test(value)) throw invalid()
  if (rest !== 0) {
    const last = b64Alphabet.indexOf(value.charAt(value.length - 1))
    if ((last & (rest === 2 ? 0x0f : 0x03)) !== 0) throw invalid()
  }
  const buffer = Buffer.from(value, "base64url")
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

function truncate(field: string): string {
  return field.length > 200 ? field.slice(0, 200) : field
}
