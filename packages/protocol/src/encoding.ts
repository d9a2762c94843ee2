import { codec } from "./base64.js"

/** Binary fields travel as unpadded base64url strings (RFC 4648 §5). */
export function toB64(bytes: Uint8Array): string {
  return codec.encode(bytes)
}

/** Decodes unpadded base64url; throws on any other alphabet, on padding and on non-zero trailing bits. */
export function fromB64(text: string): Uint8Array {
  return codec.decode(text)
}

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Strict UTF-8 decoding: malformed input throws instead of turning into U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}

export function toHex(bytes: Uint8Array): string {
  let out = ""
  for (const b of bytes) out += b.toString(16).padStart(2, "0")
  return out
}
