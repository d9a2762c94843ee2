import { z } from "zod"
import type { ErrorBody } from "./errors.js"
import { b64Exact, deviceIdSchema, groupIdSchema, seqSchema, sendMessageSchema } from "./schemas.js"
import type { QueueItem, SendResponse } from "./schemas.js"

/**
 * WebSocket frames (JSON text frames) on `GET /v1/ws`.
 *
 *   server → {t:"challenge"}           client → {t:"auth"}       server → {t:"ready"}
 *   client → {t:"sub", after}          server → {t:"items"} …    client → {t:"ack", upTo}
 *   client → {t:"send", id, …}         server → {t:"res", id, …}
 */

export const clientFrameSchema = z.discriminatedUnion("t", [
  z.strictObject({
    t: z.literal("auth"),
    deviceId: deviceIdSchema,
    time: z.number().int(),
    /** Ed25519 over wsAuthSigningBytes(challenge, deviceId, time). */
    signature: b64Exact(64),
  }),
  /** Start (or restart) delivery of every queued item with seq > after, then live items. */
  z.strictObject({ t: z.literal("sub"), after: seqSchema }),
  /** Delete every queued item with seq ≤ upTo: the device has stored what it needs from them. */
  z.strictObject({ t: z.literal("ack"), upTo: seqSchema }),
  /** Send an application message; answered by a `res` frame with the same id. */
  z.strictObject({
    t: z.literal("send"),
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    groupId: groupIdSchema,
    message: sendMessageSchema.shape.message,
    expiresAt: sendMessageSchema.shape.expiresAt,
  }),
  z.strictObject({ t: z.literal("ping") }),
])
export type ClientFrame = z.infer<typeof clientFrameSchema>

export type ServerFrame =
  | { t: "challenge"; challenge: string; serverTime: number }
  | { t: "ready"; deviceId: string; serverTime: number }
  | { t: "items"; items: QueueItem[] }
  | { t: "res"; id: number; ok: true; body: SendResponse }
  | { t: "res"; id: number; ok: false; error: ErrorBody["error"] }
  /** A fatal error; the server closes the connection after it. */
  | { t: "error"; error: ErrorBody["error"] }
  | { t: "pong" }

/** WebSocket close codes the server uses (4000–4999 is the application range). */
export const wsCloseCodes = {
  normal: 1000,
  goingAway: 1001,
  authFailed: 4001,
  protocolError: 4002,
  authTimeout: 4003,
  replaced: 4004,
  rateLimited: 4008,
} as const
