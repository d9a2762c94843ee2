import {
  authHeaders,
  deviceIdPattern,
  fromB64,
  ProtocolError,
  requestSigningBytes,
  wsAuthSigningBytes,
} from "@backchannel/protocol"
import type { ReplayCache } from "./replay-cache.js"
import type { RateLimiter } from "./rate-limit.js"
import type { DeviceRecord } from "../store/types.js"
import type { ServiceContext } from "../service/context.js"

export interface SignedHeaders {
  deviceId: string
  time: number
  nonce: string
  signature: Uint8Array
}

type HeaderBag = Record<string, string | string[] | undefined>

const noncePattern = /^[A-Za-z0-9_-]{22}$/
const signaturePattern = /^[A-Za-z0-9_-]{86}$/
const timePattern = /^[0-9]{1,16}$/

/**
 * Device authentication: signed HTTP requests (docs/PROTOCOL.md "Authentication") and the WebSocket
 * challenge. Order of checks: headers present (AUTH_REQUIRED) and well-formed (AUTH_INVALID), time in
 * the window and not before this process started (AUTH_EXPIRED), device known and signature valid
 * (AUTH_INVALID), device not revoked (DEVICE_REVOKED), nonce unseen (AUTH_REPLAYED), and finally the
 * device's rate limit (RATE_LIMITED). A nonce is recorded only once its signature has verified, so
 * nobody can burn another device's nonces.
 */
export class Authenticator {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly startedAt: number,
    private readonly replay: ReplayCache,
    private readonly limiter: RateLimiter,
  ) {}

  /** The cheap checks, run before the body is read. */
  readHeaders(headers: HeaderBag): SignedHeaders {
    const get = (name: string): string | undefined => {
      const value = headers[name]
      return typeof value === "string" ? value : undefined
    }
    const deviceId = get(authHeaders.device)
    const time = get(authHeaders.time)
    const nonce = get(authHeaders.nonce)
    const signature = get(authHeaders.signature)
    if (deviceId === undefined || time === undefined || nonce === undefined || signature === undefined) {
      throw new ProtocolError("AUTH_REQUIRED")
    }
    if (
      !deviceIdPattern.test(deviceId) ||
      !timePattern.test(time) ||
      !noncePattern.test(nonce) ||
      !signaturePattern.test(signature)
    ) {
      throw new ProtocolError("AUTH_INVALID")
    }
    let signatureBytes: Uint8Array
    try {
      signatureBytes = fromB64(signature)
    } catch {
      throw new ProtocolError("AUTH_INVALID")
    }
    const signed = { deviceId, time: Number(time), nonce, signature: signatureBytes }
    this.checkTime(signed.time)
    return signed
  }

  /** Verifies a signed HTTP request over its exact method, path with query and body bytes. */
  async authenticateRequest(
    method: string,
    pathWithQuery: string,
    headers: HeaderBag,
    body: Uint8Array,
  ): Promise<DeviceRecord> {
    const signed = this.readHeaders(headers)
    const device = await this.ctx.store.getDevice(signed.deviceId)
    if (device === undefined) throw new ProtocolError("AUTH_INVALID")
    const bytes = requestSigningBytes({
      method,
      path: pathWithQuery,
      deviceId: signed.deviceId,
      time: signed.time,
      nonce: signed.nonce,
      body,
    })
    if (!this.ctx.verifier.verify(device.signaturePublicKey, bytes, signed.signature)) {
      throw new ProtocolError("AUTH_INVALID")
    }
    if (device.revokedAt !== undefined) throw new ProtocolError("DEVICE_REVOKED")
    const now = this.ctx.clock.now()
    if (
      !this.replay.remember(device.deviceId, signed.nonce, signed.time + this.ctx.config.authWindowMs, now)
    ) {
      throw new ProtocolError("AUTH_REPLAYED")
    }
    this.takeToken(device.deviceId)
    return device
  }

  /** Verifies the WebSocket `auth` frame against the challenge this connection was sent. */
  async authenticateSession(
    challenge: string,
    frame: { deviceId: string; time: number; signature: string },
  ): Promise<DeviceRecord> {
    // The challenge is fresh for every connection, so an old signature cannot be replayed and the
    // signed time need not be after this process started (which would only trouble skewed clients
    // reconnecting right after a restart).
    this.checkTime(frame.time, false)
    let signature: Uint8Array
    try {
      signature = fromB64(frame.signature)
    } catch {
      throw new ProtocolError("AUTH_INVALID")
    }
    const device = await this.ctx.store.getDevice(frame.deviceId)
    if (device === undefined) throw new ProtocolError("AUTH_INVALID")
    const bytes = wsAuthSigningBytes(challenge, frame.deviceId, frame.time)
    if (!this.ctx.verifier.verify(device.signaturePublicKey, bytes, signature)) {
      throw new ProtocolError("AUTH_INVALID")
    }
    if (device.revokedAt !== undefined) throw new ProtocolError("DEVICE_REVOKED")
    return device
  }

  /** Throws RATE_LIMITED (with retryAfterMs) when the device's bucket is empty. */
  takeToken(deviceId: string): void {
    const wait = this.limiter.take(deviceId)
    if (wait > 0) throw new ProtocolError("RATE_LIMITED", undefined, { retryAfterMs: wait })
  }

  private checkTime(time: number, notBeforeStart = true): void {
    const now = this.ctx.clock.now()
    if (
      !Number.isSafeInteger(time) ||
      Math.abs(now - time) > this.ctx.config.authWindowMs ||
      (notBeforeStart && time < this.startedAt)
    ) {
      throw new ProtocolError("AUTH_EXPIRED", undefined, { serverTime: now })
    }
  }
}
