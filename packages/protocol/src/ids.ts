import { toB64 } from "./encoding.js"

/**
 * Identifier formats. Handles are chosen by the operator; device ids by the server at enrolment;
 * group ids by the client that creates the group (it is also the MLS group_id).
 */

/** A directory handle: lower-case letters, digits, dot, dash, underscore; 2–64 characters. */
export const handlePattern = /^[a-z0-9][a-z0-9._-]{1,63}$/

/** A device id: 16 random bytes, unpadded base64url (22 characters). */
export const deviceIdPattern = /^[A-Za-z0-9_-]{22}$/

/** A group id: 32 random bytes, unpadded base64url (43 characters). */
export const groupIdPattern = /^[A-Za-z0-9_-]{43}$/

/**
 * An invite code: 25 characters of Crockford base32 (125 random bits) shown in five groups of five,
 * e.g. `7K3QD-WX9FA-...`. Parsing ignores case, dashes and spaces and maps I/L to 1 and O to 0.
 */
export const inviteAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
export const inviteCodeChars = 25

export function isHandle(value: string): boolean {
  return handlePattern.test(value)
}

export function isDeviceId(value: string): boolean {
  return deviceIdPattern.test(value)
}

export function isGroupId(value: string): boolean {
  return groupIdPattern.test(value)
}

/** Normalises a typed or pasted invite code; returns undefined when it cannot be one. */
export function normaliseInviteCode(input: string): string | undefined {
  const cleaned = input.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0")
  if (cleaned.length !== inviteCodeChars) return undefined
  for (const ch of cleaned) if (!inviteAlphabet.includes(ch)) return undefined
  return cleaned
}

/** Formats a normalised invite code in groups of five for people to read. */
export function formatInviteCode(code: string): string {
  return code.match(/.{1,5}/g)?.join("-") ?? code
}

/** Builds an invite code from 25 random bytes (each byte reduced to 5 bits, so no bias). */
export function inviteCodeFromRandom(random: Uint8Array): string {
  if (random.length < inviteCodeChars) throw new RangeError("need 25 random bytes")
  let out = ""
  for (let i = 0; i < inviteCodeChars; i++) out += inviteAlphabet.charAt((random[i] ?? 0) & 31)
  return out
}

/**
 * The MLS credential identity of a device: UTF-8 of `handle/deviceId`. Neither part can contain `/`.
 */
export function credentialIdentity(handle: string, deviceId: string): string {
  return `${handle}/${deviceId}`
}

export function parseCredentialIdentity(identity: string): { handle: string; deviceId: string } | undefined {
  const slash = identity.indexOf("/")
  if (slash < 0) return undefined
  const handle = identity.slice(0, slash)
  const deviceId = identity.slice(slash + 1)
  if (!isHandle(handle) || !isDeviceId(deviceId)) return undefined
  return { handle, deviceId }
}

/**
 * Random bytes for an identifier that people copy onto command lines (message, group, device ids):
 * redrawn while their base64url text would start with "-" (first six bits 62), which a command-line
 * parser takes for an option. The cost is log2(64/63) ≈ 0.02 bits of the id's entropy.
 */
export function idBytes(draw: (length: number) => Uint8Array, length: number): Uint8Array {
  for (;;) {
    const bytes = draw(length)
    if (bytes.length === 0 || (bytes[0] ?? 0) >> 2 !== 62) return bytes
  }
}

/** A random identifier of `length` bytes as unpadded base64url that never starts with "-". */
export function newId(draw: (length: number) => Uint8Array, length: number): string {
  return toB64(idBytes(draw, length))
}
