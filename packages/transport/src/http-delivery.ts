import {
  ackResponseSchema,
  authHeaders,
  claimResponseSchema,
  commitResponseSchema,
  configResponseSchema,
  enrolResponseSchema,
  entriesResponseSchema,
  errorBodySchema,
  groupResponseSchema,
  inviteResponseSchema,
  isErrorCode,
  keyPackageStatusSchema,
  meResponseSchema,
  ProtocolError,
  queueResponseSchema,
  requestSigningBytes,
  sendResponseSchema,
  toB64,
  utf8,
} from "@backchannel/protocol"
import type {
  ClaimedKeyPackage,
  CommitRequest,
  CommitResponse,
  ConfigResponse,
  DirectoryEntry,
  EnrolRequest,
  EnrolResponse,
  GroupResponse,
  InviteResponse,
  KeyPackageStatus,
  MeResponse,
  QueueResponse,
  SendResponse,
} from "@backchannel/protocol"
import { DeliveryUnavailableError } from "@backchannel/core"
import type { Delivery, DeviceCredentials, Subscription, SubscriptionHandlers } from "@backchannel/core"
import type { z } from "zod"
import { WsSubscription } from "./ws-subscription.js"
import type { WebSocketFactory } from "./ws-subscription.js"

export interface HttpDeliveryOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080 */
  baseUrl: string
  credentials?: DeviceCredentials
  /** Secure random bytes (request nonces). */
  randomBytes: (length: number) => Uint8Array
  /** Opens WebSockets: the browser's WebSocket, or the `ws` package in Node. */
  webSocket?: WebSocketFactory
  fetch?: typeof fetch
  now?: () => number
  /** Per-request timeout. */
  timeoutMs?: number
}

/**
 * The Delivery port over HTTP (every request signed by the device key) and WebSocket (push). Server
 * refusals become ProtocolError with the server's stable code; a server that cannot be reached, times out
 * or fails internally becomes DeliveryUnavailableError, which the engine retries later. Responses are
 * validated against the protocol schemas: a misbehaving server cannot inject malformed data.
 */
export class HttpDelivery implements Delivery {
  private readonly base: string
  private readonly fetchImpl: typeof fetch
  private readonly now: () => number
  /** Server clock minus ours, learned from AUTH_EXPIRED replies. */
  private clockOffset = 0

  constructor(private readonly options: HttpDeliveryOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "")
    this.fetchImpl = options.fetch ?? fetch.bind(globalThis)
    this.now = options.now ?? Date.now
  }

  enrol(request: EnrolRequest): Promise<EnrolResponse> {
    return this.call("POST", "/v1/enrol", request, enrolResponseSchema, false)
  }

  me(): Promise<MeResponse> {
    return this.call("GET", "/v1/me", undefined, meResponseSchema)
  }

  createDeviceInvite(): Promise<InviteResponse> {
    return this.call("POST", "/v1/devices/invites", {}, inviteResponseSchema)
  }

  async searchDirectory(query: string, limit = 20): Promise<DirectoryEntry[]> {
    const params = new URLSearchParams({ q: query, limit: String(limit) })
    return (await this.call("GET", `/v1/directory?${params.toString()}`, undefined, entriesResponseSchema))
      .entries
  }

  async lookup(request: { handles?: string[]; deviceIds?: string[] }): Promise<DirectoryEntry[]> {
    return (await this.call("POST", "/v1/directory/lookup", request, entriesResponseSchema)).entries
  }

  uploadKeyPackages(keyPackages: Uint8Array[], lastResort?: Uint8Array): Promise<KeyPackageStatus> {
    const body = {
      keyPackages: keyPackages.map(toB64),
      ...(lastResort ? { lastResort: toB64(lastResort) } : {}),
    }
    return this.call("POST", "/v1/key-packages", body, keyPackageStatusSchema)
  }

  keyPackageStatus(): Promise<KeyPackageStatus> {
    return this.call("GET", "/v1/key-packages/status", undefined, keyPackageStatusSchema)
  }

  async claimKeyPackages(request: {
    handles?: string[]
    deviceIds?: string[]
  }): Promise<ClaimedKeyPackage[]> {
    return (await this.call("POST", "/v1/key-packages/claim", request, claimResponseSchema)).keyPackages
  }

  createGroup(groupId: string): Promise<GroupResponse> {
    return this.call("POST", "/v1/groups", { groupId }, groupResponseSchema)
  }

  getGroup(groupId: string): Promise<GroupResponse> {
    return this.call("GET", `/v1/groups/${encodeURIComponent(groupId)}`, undefined, groupResponseSchema)
  }

  commit(groupId: string, request: CommitRequest): Promise<CommitResponse> {
    return this.call(
      "POST",
      `/v1/groups/${encodeURIComponent(groupId)}/commits`,
      request,
      commitResponseSchema,
    )
  }

  send(groupId: string, message: Uint8Array, options: { expiresAt?: number } = {}): Promise<SendResponse> {
    const path = `/v1/groups/${encodeURIComponent(groupId)}/messages`
    const body = {
      message: toB64(message),
      ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
    }
    return this.call("POST", path, body, sendResponseSchema)
  }

  config(): Promise<ConfigResponse> {
    return this.call("GET", "/v1/config", undefined, configResponseSchema)
  }

  fetchQueue(after: number, limit = 100): Promise<QueueResponse> {
    return this.call("GET", `/v1/queue?after=${after}&limit=${limit}`, undefined, queueResponseSchema)
  }

  async ack(upTo: number): Promise<void> {
    await this.call("POST", "/v1/queue/ack", { upTo }, ackResponseSchema)
  }

  subscribe(after: number, handlers: SubscriptionHandlers): Subscription {
    const credentials = this.requireCredentials()
    const factory = this.options.webSocket
    if (factory === undefined) throw new Error("this HttpDelivery was built without a WebSocket factory")
    return new WsSubscription({
      url: `${this.base.replace(/^http/, "ws")}/v1/ws`,
      credentials,
      factory,
      after,
      handlers,
      now: () => this.now() + this.clockOffset,
    })
  }

  private requireCredentials(): DeviceCredentials {
    const credentials = this.options.credentials
    if (credentials === undefined) throw new Error("this request needs an enrolled device")
    return credentials
  }

  private async call<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    schema: S,
    signed = true,
  ): Promise<z.infer<S>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce(method, path, body, schema, signed)
      } catch (err) {
        // A skewed clock is corrected from the server's time and the request signed again, once.
        if (
          attempt === 0 &&
          err instanceof ProtocolError &&
          err.is("AUTH_EXPIRED") &&
          err.details.serverTime !== undefined
        ) {
          this.clockOffset = err.details.serverTime - this.now()
          continue
        }
        // Rate limiting asks the client to wait; a few waits are absorbed here.
        if (attempt < 3 && err instanceof ProtocolError && err.is("RATE_LIMITED")) {
          await sleep(Math.min(err.details.retryAfterMs ?? 1000, 10_000))
          continue
        }
        throw err
      }
    }
  }

  private async callOnce<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    schema: S,
    signed: boolean,
  ): Promise<z.infer<S>> {
    // The signature covers the exact UTF-8 bytes fetch sends for this string.
    const json = body === undefined ? undefined : JSON.stringify(body)
    const bytes = json === undefined ? new Uint8Array() : utf8(json)
    const headers: Record<string, string> = {}
    if (body !== undefined) headers["content-type"] = "application/json"
    if (signed) Object.assign(headers, await this.sign(method, path, bytes))
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 30_000)
    let response: Response
    let text: string
    try {
      response = await this.fetchImpl(this.base + path, {
        method,
        headers,
        ...(json !== undefined ? { body: json } : {}),
        signal: controller.signal,
      })
      text = await response.text()
    } catch (err) {
      throw new DeliveryUnavailableError("The server could not be reached.", { cause: err })
    } finally {
      clearTimeout(timer)
    }
    const reply = parseJson(text)
    if (!response.ok) throw toError(response.status, reply)
    const parsed = schema.safeParse(reply)
    if (!parsed.success) throw new DeliveryUnavailableError("The server sent a malformed reply.")
    return parsed.data
  }

  private async sign(method: string, path: string, body: Uint8Array): Promise<Record<string, string>> {
    const credentials = this.requireCredentials()
    const time = this.now() + this.clockOffset
    const nonce = toB64(this.options.randomBytes(16))
    const signature = await credentials.sign(
      requestSigningBytes({ method, path, deviceId: credentials.deviceId, time, nonce, body }),
    )
    return {
      [authHeaders.device]: credentials.deviceId,
      [authHeaders.time]: String(time),
      [authHeaders.nonce]: nonce,
      [authHeaders.signature]: toB64(signature),
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function toError(status: number, json: unknown): Error {
  const parsed = errorBodySchema.safeParse(json)
  if (parsed.success && isErrorCode(parsed.data.error.code)) {
    const { code, message, ...details } = parsed.data.error
    if (code === "INTERNAL" || code === "UNAVAILABLE") return new DeliveryUnavailableError(message)
    return new ProtocolError(code, message, details)
  }
  if (status >= 500) return new DeliveryUnavailableError(`The server failed (HTTP ${status}).`)
  return new DeliveryUnavailableError(`The server sent an unexpected reply (HTTP ${status}).`)
}
