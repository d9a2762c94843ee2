import {
  clientFrameSchema,
  queueItemSchema,
  toB64,
  wsAuthSigningBytes,
  wsCloseCodes,
} from "@backchannel/protocol"
import type { ClientFrame, QueueItem } from "@backchannel/protocol"
import type { DeviceCredentials, Subscription, SubscriptionHandlers } from "@backchannel/core"
import { z } from "zod"

/** The subset of the WebSocket interface shared by browsers and the `ws` package. */
export interface MinimalWebSocket {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number }) => void) | null
  onerror: ((event: unknown) => void) | null
}

export type WebSocketFactory = (url: string) => MinimalWebSocket

const OPEN = 1

const serverFrameSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("challenge"), challenge: z.string(), serverTime: z.number() }),
  z.object({ t: z.literal("ready"), deviceId: z.string(), serverTime: z.number() }),
  z.object({ t: z.literal("items"), items: z.array(queueItemSchema) }),
  z.looseObject({ t: z.literal("res"), id: z.number() }),
  z.object({ t: z.literal("error"), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ t: z.literal("pong") }),
])

export interface WsSubscriptionOptions {
  url: string
  credentials: DeviceCredentials
  factory: WebSocketFactory
  after: number
  handlers: SubscriptionHandlers
  now: () => number
}

/**
 * A push session that survives disconnects: it authenticates with a signed challenge, asks for every
 * item after the last one it handed over, hands items to the engine one batch at a time (waiting for
 * each batch to be stored), and reconnects with capped exponential backoff and jitter.
 */
export class WsSubscription implements Subscription {
  private socket: MinimalWebSocket | undefined
  private delivered: number
  private pendingAck: number | undefined
  private closed = false
  private attempt = 0
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private chain: Promise<void> = Promise.resolve()
  private pingTimer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly options: WsSubscriptionOptions) {
    this.delivered = options.after
    this.connect()
  }

  ack(upTo: number): void {
    this.pendingAck = Math.max(this.pendingAck ?? 0, upTo)
    this.flushAck()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer)
    this.socket?.close(wsCloseCodes.normal)
    this.options.handlers.onStateChange?.("closed")
    await this.chain
  }

  private connect(): void {
    if (this.closed) return
    this.options.handlers.onStateChange?.("connecting")
    let socket: MinimalWebSocket
    try {
      socket = this.options.factory(this.options.url)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    socket.onmessage = (event) => {
      this.onFrame(socket, event.data)
    }
    socket.onclose = (event) => {
      if (this.socket === socket) this.socket = undefined
      if (this.pingTimer !== undefined) clearInterval(this.pingTimer)
      if (this.closed) return
      this.options.handlers.onStateChange?.("closed", { code: String(event.code) })
      // Replaced by another session of the same device: do not fight over the connection.
      if (event.code === wsCloseCodes.replaced) return
      this.scheduleReconnect()
    }
    socket.onerror = () => undefined
  }

  private onFrame(socket: MinimalWebSocket, data: unknown): void {
    const text =
      typeof data === "string" ? data : data instanceof Uint8Array ? new TextDecoder().decode(data) : ""
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return
    }
    const parsed = serverFrameSchema.safeParse(json)
    if (!parsed.success) return
    const frame = parsed.data
    switch (frame.t) {
      case "challenge":
        void this.authenticate(socket, frame.challenge)
        return
      case "ready":
        this.attempt = 0
        this.options.handlers.onStateChange?.("open")
        this.send(socket, { t: "sub", after: this.delivered })
        this.flushAck()
        this.pingTimer = setInterval(() => {
          this.send(socket, { t: "ping" })
        }, 25_000)
        return
      case "items":
        this.enqueue(frame.items)
        return
      default:
        return
    }
  }

  private async authenticate(socket: MinimalWebSocket, challenge: string): Promise<void> {
    const time = this.options.now()
    const { deviceId, sign } = this.options.credentials
    const signature = await sign(wsAuthSigningBytes(challenge, deviceId, time))
    this.send(socket, { t: "auth", deviceId, time, signature: toB64(signature) })
  }

  /** Items are handed over strictly in order and one batch at a time. */
  private enqueue(items: QueueItem[]): void {
    this.chain = this.chain.then(async () => {
      const fresh = items.filter((item) => item.seq > this.delivered)
      if (fresh.length === 0 || this.closed) return
      try {
        await this.options.handlers.onItems(fresh)
        this.delivered = Math.max(this.delivered, ...fresh.map((i) => i.seq))
      } catch {
        // The engine could not store them (e.g. the server was unreachable for a directory lookup):
        // reconnect, which asks again for everything after the last batch it did store.
        this.socket?.close(wsCloseCodes.normal)
      }
    })
  }

  private flushAck(): void {
    const socket = this.socket
    if (this.pendingAck === undefined || socket === undefined || socket.readyState !== OPEN) return
    this.send(socket, { t: "ack", upTo: this.pendingAck })
    this.pendingAck = undefined
  }

  private send(socket: MinimalWebSocket, frame: ClientFrame): void {
    if (socket.readyState !== OPEN) return
    socket.send(JSON.stringify(clientFrameSchema.parse(frame)))
  }

  private scheduleReconnect(): void {
    if (this.closed) return
    const base = Math.min(30_000, 500 * 2 ** this.attempt)
    this.attempt += 1
    const delay = base / 2 + Math.random() * (base / 2)
    this.reconnectTimer = setTimeout(() => {
      this.connect()
    }, delay)
  }
}
