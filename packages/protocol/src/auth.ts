import { sha256 } from "@noble/hashes/sha2.js"
import { toB64, utf8 } from "./encoding.js"

/**
 * What a device signs with its Ed25519 signature key (the same key that signs its MLS leaf; the
 * labels below never collide with MLS's "MLS 1.0 " labels).
 *
 * HTTP: every authenticated request carries these headers.
 */
export const authHeaders = {
  device: "x-bc-device",
  time: "x-bc-time",
  nonce: "x-bc-nonce",
  signature: "x-bc-signature",
} as const

export interface RequestToSign {
  method: string
  /** Path with query string, exactly as sent (e.g. `/v1/queue?after=12`). */
  path: string
  deviceId: string
  /** Unix time in milliseconds. */
  time: number
  /** 16 random bytes, base64url; single use per device within the time window. */
  nonce: string
  /** The exact body bytes (empty for GET). */
  body: Uint8Array
}

export function requestSigningBytes(req: RequestToSign): Uint8Array {
  return utf8(
    [
      "backchannel-request-v1",
      req.method.toUpperCase(),
      req.path,
      req.deviceId,
      String(req.time),
      req.nonce,
      toB64(sha256(req.body)),
    ].join("\n"),
  )
}

/** WebSocket: the server sends a fresh challenge; the client signs it once per connection. */
export function wsAuthSigningBytes(challenge: string, deviceId: string, time: number): Uint8Array {
  return utf8(["backchannel-ws-v1", challenge, deviceId, String(time)].join("\n"))
}

/**
 * Enrolment: the new device proves possession of its signature key, bound to this invite and to
 * its tracemark key, so the proof cannot be replayed with another invite or key.
 */
export function enrolmentSigningBytes(
  inviteCode: string,
  signaturePublicKey: Uint8Array,
  tracemarkPublicKey: Uint8Array,
): Uint8Array {
  return utf8(
    [
      "backchannel-enrol-v1",
      toB64(inviteHash(inviteCode)),
      toB64(signaturePublicKey),
      toB64(tracemarkPublicKey),
    ].join("\n"),
  )
}

/** Servers store and look up invites by this hash, never by the code itself. */
export function inviteHash(normalisedCode: string): Uint8Array {
  return sha256(utf8(`backchannel-invite-v1\n${normalisedCode}`))
}
