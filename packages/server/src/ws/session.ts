import { clientFrameSchema, errorCatalog, ProtocolError, toB64, wsCloseCodes } from "@backchannel/protocol"
import type { ClientFrame, ErrorBody, QueueItem, ServerFrame } from "@backchannel/protocol"
import type { Duplex } from "node:stream"
import type { WebSocket } from "ws"
import type { Authenticator } from "../auth/authenticator.js"
import type { QueueNotice } from "../bus/types.js"
import { describeError } from "../log.js"
import type { Caller, ServiceContext } from "../service/context.js"
import { sendMessage } from "../service/messages.js"
import { itemToWire } from "../service/wire.js"
import { toProtocolError } from "../errors.js"

/** What a session needs from the hub that owns it. */
export interface SessionHost {
  ctx: ServiceContext
  authenticator: Authenticator
  /** Makes this the device's only session (closing any earlier one with 4004). */
  register(session: Session): void
  unregister(session: Session): void
}

type State = "challenge" | "authenticating" | "ready" | "closed"
/**
 * Delivery modes after `sub`: `catching-up` reads pages from the store; `live` pushes items from bus
 * notices directly; `paused` waits for the socket buffer to drain, then catches up from the store.
 */
type Mode = "idle" | "catching-up" | "live" | "paused"

export interface SessionInfo {
  mode: Mode
  /** The last seq sent to this device in this session. */
  delivered: number
  /** Bytes waiting in this connection's socket buffer. */
  bufferedBytes: number
}

const decoder = new TextDecoder("utf-8", { fatal: true })
const maxBufferedFrames = 32

/**
 * One WebSocket connection: challenge → auth → ready, then `sub`/`ack`/`send`/`ping` (docs/PROTOCOL.md).
 *
 * Delivery invariant: items go out in seq order with no gap and no duplicate. `delivered` is the last
 * seq sent. A live notice is pushed only if it continues exactly from `delivered`; anything else (a
 * gap, a notice while a store read is in flight, a slow socket) falls back to reading the store from
 * `delivered`, which is always correct because items are committed before they are announced.
 */
export class Session {
  readonly challenge: string
  private state: State = "challenge"
  private mode: Mode = "idle"
  private caller: Caller | undefined
  private delivered = 0
  private generation = 0
  private pumpRunning = false
  private dirty = false
  private buffered: string[] = []
  private corked = false
  private unsubscribe: (() => void) | undefined
  private readonly authTimer: NodeJS.Timeout

  constructor(
    private readonly socket: WebSocket,
    private readonly host: SessionHost,
  ) {
    const { ctx } = host
    this.challenge = toB64(ctx.random(32))
    socket.on("message", (data, isBinary) => {
      this.onMessage(data, isBinary)
    })
    socket.on("close", () => {
      this.onClosed()
    })
    socket.on("error", (err) => {
      ctx.log.debug("ws socket error", describeError(err))
    })
    this.authTimer = setTimeout(() => {
      if (this.state === "challenge" || this.state === "authenticating") this.close(wsCloseCodes.authTimeout)
    }, ctx.config.wsAuthTimeoutMs)
    this.send({ t: "challenge", challenge: this.challenge, serverTime: ctx.clock.now() })
  }

  get deviceId(): string | undefined {
    return this.caller?.deviceId
  }

  /** Delivery state, for diagnostics and tests. */
  info(): SessionInfo {
    return { mode: this.mode, delivered: this.delivered, bufferedBytes: this.socket.bufferedAmount }
  }

  /** Closes with an error frame first (used for revocation and protocol errors). */
  fail(error: ProtocolError, closeCode: number): void {
    if (this.state === "closed") return
    this.send({ t: "error", error: error.toBody().error })
    this.close(closeCode)
  }

  close(code: number): void {
    if (this.state === "closed") return
    this.onClosed()
    try {
      this.socket.close(code)
    } catch {
      this.socket.terminate()
    }
  }

  /** Bus listener: new items for this device. */
  readonly onNotice = (notice: QueueNotice): void => {
    if (this.state !== "ready" || this.mode === "idle") return
    if (this.mode !== "live") {
      this.dirty = true
      return
    }
    if (notice.items.length === 0) {
      this.startPump()
      return
    }
    let expected = this.delivered + 1
    const fresh: QueueItem[] = []
    for (const item of notice.items) {
      if (item.seq < expected) continue
      if (item.seq !== expected) {
        this.startPump()
        return
      }
      fresh.push(item)
      expected++
    }
    if (fresh.length === 0) return
    this.sendItems(fresh)
    if (this.congested()) this.mode = "paused"
  }

  // -- frames --------------------------------------------------------------------------------------

  private onMessage(data: unknown, isBinary: boolean): void {
    if (this.state === "closed") return
    let text: string
    try {
      if (isBinary || !(data instanceof Buffer)) throw new Error("binary")
      text = decoder.decode(data)
    } catch {
      this.protocolError()
      return
    }
    if (this.state === "authenticating") {
      if (this.buffered.length >= maxBufferedFrames) this.protocolError()
      else this.buffered.push(text)
      return
    }
    this.handleText(text)
  }

  private handleText(text: string): void {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      this.protocolError()
      return
    }
    const parsed = clientFrameSchema.safeParse(json)
    if (!parsed.success) {
      this.protocolError()
      return
    }
    this.handleFrame(parsed.data)
  }

  private handleFrame(frame: ClientFrame): void {
    if (this.state === "challenge") {
      if (frame.t !== "auth") {
        this.protocolError()
        return
      }
      this.state = "authenticating"
      void this.authenticate(frame)
      return
    }
    const caller = this.caller
    if (this.state !== "ready" || caller === undefined || frame.t === "auth") {
      this.protocolError()
      return
    }
    try {
      this.host.authenticator.takeToken(caller.deviceId)
    } catch (err) {
      const { error } = toProtocolError(err)
      if (frame.t === "send") this.send({ t: "res", id: frame.id, ok: false, error: error.toBody().error })
      else this.fail(error, wsCloseCodes.rateLimited)
      return
    }
    switch (frame.t) {
      case "sub":
        this.subscribe(frame.after)
        return
      case "ack":
        void this.ack(caller, frame.upTo)
        return
      case "send":
        void this.sendApplicationMessage(caller, frame.id, frame.groupId, frame.message, frame.expiresAt)
        return
      case "ping":
        this.send({ t: "pong" })
        return
    }
  }

  private async authenticate(frame: Extract<ClientFrame, { t: "auth" }>): Promise<void> {
    const { ctx } = this.host
    let caller: Caller
    try {
      caller = await this.host.authenticator.authenticateSession(this.challenge, frame)
    } catch (err) {
      const { error, internal } = toProtocolError(err)
      if (internal) ctx.log.error("ws auth failed", describeError(err))
      this.fail(error, wsCloseCodes.authFailed)
      return
    }
    if (this.state !== "authenticating") return
    clearTimeout(this.authTimer)
    this.caller = {
      deviceId: caller.deviceId,
      handle: caller.handle,
      signaturePublicKey: caller.signaturePublicKey,
    }
    this.state = "ready"
    this.host.register(this)
    this.unsubscribe = ctx.bus.subscribe(caller.deviceId, this.onNotice)
    this.send({ t: "ready", deviceId: caller.deviceId, serverTime: ctx.clock.now() })
    for (const text of this.buffered.splice(0)) {
      if (!this.isReady()) break
      this.handleText(text)
    }
  }

  private subscribe(after: number): void {
    this.generation++
    this.delivered = after
    this.mode = "catching-up"
    this.startPump()
  }

  private async ack(caller: Caller, upTo: number): Promise<void> {
    try {
      await this.host.ctx.store.ack(caller.deviceId, upTo)
    } catch (err) {
      this.host.ctx.log.error("ws ack failed", describeError(err))
    }
  }

  private async sendApplicationMessage(
    caller: Caller,
    id: number,
    groupId: string,
    message: string,
    expiresAt: number | undefined,
  ): Promise<void> {
    try {
      const body = await sendMessage(this.host.ctx, caller, groupId, message, expiresAt)
      this.send({ t: "res", id, ok: true, body })
    } catch (err) {
      const { error, internal } = toProtocolError(err)
      if (internal) this.host.ctx.log.error("ws send failed", describeError(err))
      this.send({ t: "res", id, ok: false, error: error.toBody().error })
    }
  }

  // -- delivery ------------------------------------------------------------------------------------

  private startPump(): void {
    if (this.pumpRunning) {
      this.dirty = true
      return
    }
    void this.pump()
  }

  /** Reads the store from `delivered` until it is empty, then goes live (or pauses when congested). */
  private async pump(): Promise<void> {
    const caller = this.caller
    if (caller === undefined) return
    const { ctx } = this.host
    const generation = this.generation
    this.pumpRunning = true
    this.mode = "catching-up"
    try {
      while (this.isReady() && generation === this.generation) {
        if (this.congested()) {
          this.mode = "paused"
          return
        }
        this.dirty = false
        const page = await ctx.store.fetchQueue(
          caller.deviceId,
          this.delivered,
          ctx.config.wsPageItems,
          ctx.config.maxFetchBytes,
        )
        if (!this.isReady() || generation !== this.generation) return
        const fresh = page.items.filter((item) => item.seq > this.delivered).map(itemToWire)
        if (fresh.length > 0) this.sendItems(fresh)
        if (page.more || this.isDirty()) continue
        this.mode = "live"
        return
      }
    } catch (err) {
      ctx.log.error("ws delivery failed", describeError(err))
      this.fail(new ProtocolError("INTERNAL"), 1011)
    } finally {
      this.pumpRunning = false
      if (this.isReady() && generation !== this.generation) this.startPump()
    }
  }

  /** Sends items in frames of about `wsFrameBudgetBytes` each and advances `delivered`. */
  private sendItems(items: readonly QueueItem[]): void {
    const budget = this.host.ctx.config.wsFrameBudgetBytes
    let frame: QueueItem[] = []
    let size = 0
    for (const item of items) {
      const estimate = (item.data?.length ?? 0) + 256
      if (frame.length > 0 && size + estimate > budget) {
        this.send({ t: "items", items: frame })
        frame = []
        size = 0
      }
      frame.push(item)
      size += estimate
    }
    if (frame.length > 0) this.send({ t: "items", items: frame })
    const last = items[items.length - 1]
    if (last !== undefined) this.delivered = last.seq
  }

  /** A method, not a property test, because the state changes across awaits. */
  private isReady(): boolean {
    return this.state === "ready"
  }

  /** Whether a notice arrived while the store read was in flight (it may carry items the read missed). */
  private isDirty(): boolean {
    return this.dirty
  }

  private congested(): boolean {
    return this.socket.bufferedAmount > this.host.ctx.config.wsHighWaterBytes
  }

  private send(frame: ServerFrame): void {
    if (this.socket.readyState !== this.socket.OPEN) return
    this.cork()
    const text = JSON.stringify(frame)
    // A write callback costs a closure and a stream callback per frame, and only matters for resuming
    // a paused delivery: every frame that can end up above the low-water mark gets one (3 bytes per
    // UTF-16 unit bounds its size), so the last frame written before a pause always reports the drain.
    if (this.socket.bufferedAmount + 3 * text.length + 16 > this.host.ctx.config.wsLowWaterBytes) {
      this.socket.send(text, this.onWritten)
    } else {
      this.socket.send(text)
    }
  }

  /**
   * Holds this connection's writes until the current burst of callbacks is over (process.nextTick runs
   * after the microtasks that settle one group commit), so the frames one commit produces for a
   * device (replies to its sends, items for it) leave in one write system call instead of one each.
   * ws has no cork of its own; its `_socket` is the net.Socket it writes to (ws 8.x, pinned).
   */
  private cork(): void {
    if (this.corked) return
    const raw = (this.socket as unknown as { _socket?: Duplex | null })._socket
    if (raw === undefined || raw === null) return
    raw.cork()
    this.corked = true
    process.nextTick(() => {
      this.corked = false
      raw.uncork()
    })
  }

  private readonly onWritten = (): void => {
    if (
      this.state === "ready" &&
      this.mode === "paused" &&
      this.socket.bufferedAmount <= this.host.ctx.config.wsLowWaterBytes
    ) {
      this.startPump()
    }
  }

  private protocolError(): void {
    const error: ErrorBody["error"] = { code: "WS_PROTOCOL", message: errorCatalog.WS_PROTOCOL.message }
    if (this.state === "closed") return
    this.send({ t: "error", error })
    this.close(wsCloseCodes.protocolError)
  }

  private onClosed(): void {
    if (this.state === "closed") return
    this.state = "closed"
    this.mode = "idle"
    this.generation++
    this.buffered = []
    clearTimeout(this.authTimer)
    this.unsubscribe?.()
    this.unsubscribe = undefined
    this.host.unregister(this)
  }
}
