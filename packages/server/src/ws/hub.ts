import { STATUS_CODES } from "node:http"
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { ProtocolError, wsCloseCodes } from "@backchannel/protocol"
import { WebSocketServer } from "ws"
import type { WebSocket } from "ws"
import type { Authenticator } from "../auth/authenticator.js"
import { describeError } from "../log.js"
import type { ServiceContext } from "../service/context.js"
import { Session } from "./session.js"
import type { SessionHost, SessionInfo } from "./session.js"

export const wsPath = "/v1/ws"

/**
 * Owns the WebSocket endpoint: upgrades `GET /v1/ws` on the HTTP server, keeps at most one session per
 * device (a newer one replaces the older, which is closed with 4004), periodically re-checks that
 * session devices have not been revoked (the operator may revoke from the admin CLI while we run),
 * and closes everything on shutdown.
 */
export class WsHub implements SessionHost {
  private readonly wss: WebSocketServer
  private readonly byDevice = new Map<string, Session>()
  private readonly sockets = new Set<WebSocket>()
  private readonly revalidateTimer: NodeJS.Timeout
  private closing = false

  constructor(
    readonly ctx: ServiceContext,
    readonly authenticator: Authenticator,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.config.maxWsFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    })
    this.revalidateTimer = setInterval(() => {
      void this.revalidate()
    }, ctx.config.wsRevalidateMs)
    this.revalidateTimer.unref()
  }

  /** Handles an HTTP upgrade request; anything but `/v1/ws` (or any upgrade while closing) is refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => {
      socket.destroy()
    })
    const path = (request.url ?? "").split("?")[0]
    if (path !== wsPath) {
      refuse(socket, new ProtocolError("NOT_FOUND"))
      return
    }
    if (this.closing) {
      refuse(socket, new ProtocolError("UNAVAILABLE"))
      return
    }
    if (!isValidHandshake(request)) {
      // Checked here so the answer is a documented error rather than the ws library's text/html one.
      refuse(socket, new ProtocolError("WS_PROTOCOL"))
      return
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      if (this.closing) {
        ws.close(wsCloseCodes.goingAway)
        return
      }
      this.sockets.add(ws)
      this.ctx.log.debug("ws open", { count: this.sockets.size })
      ws.on("close", (code) => {
        this.sockets.delete(ws)
        this.ctx.log.debug("ws closed", { closeCode: code })
      })
      new Session(ws, this)
    })
  }

  register(session: Session): void {
    const deviceId = session.deviceId
    if (deviceId === undefined) return
    const previous = this.byDevice.get(deviceId)
    this.byDevice.set(deviceId, session)
    if (previous !== undefined && previous !== session) previous.close(wsCloseCodes.replaced)
  }

  unregister(session: Session): void {
    const deviceId = session.deviceId
    if (deviceId !== undefined && this.byDevice.get(deviceId) === session) this.byDevice.delete(deviceId)
  }

  /** The delivery state of a device's session, if it has one. */
  sessionInfo(deviceId: string): SessionInfo | undefined {
    return this.byDevice.get(deviceId)?.info()
  }

  /** Authenticated sessions. */
  get sessionCount(): number {
    return this.byDevice.size
  }

  /** Closes every session (1001) and waits up to `graceMs` for the sockets to finish closing. */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true
    clearInterval(this.revalidateTimer)
    for (const session of [...this.byDevice.values()]) session.close(wsCloseCodes.goingAway)
    for (const ws of this.sockets) ws.close(wsCloseCodes.goingAway)
    const deadline = Date.now() + graceMs
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    for (const ws of this.sockets) ws.terminate()
    this.sockets.clear()
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve()
      })
    })
  }

  private async revalidate(): Promise<void> {
    for (const [deviceId, session] of [...this.byDevice]) {
      try {
        const device = await this.ctx.store.getDevice(deviceId)
        if (device === undefined || device.revokedAt !== undefined) {
          session.fail(new ProtocolError("DEVICE_REVOKED"), wsCloseCodes.authFailed)
        }
      } catch (err) {
        this.ctx.log.warn("ws revalidation failed", describeError(err))
        return
      }
    }
  }
}

/** What the ws library requires of an upgrade request (RFC 6455 §4.2.1), checked before it sees it. */
function isValidHandshake(request: IncomingMessage): boolean {
  const key = request.headers["sec-websocket-key"]
  const version = request.headers["sec-websocket-version"]
  const protocols = request.headers["sec-websocket-protocol"]
  return (
    request.method === "GET" &&
    request.headers.upgrade?.toLowerCase() === "websocket" &&
    typeof key === "string" &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === "13" || version === "8") &&
    (protocols === undefined || isTokenList(protocols))
  )
}

/** A comma-separated list of distinct HTTP tokens (what ws accepts as Sec-WebSocket-Protocol). */
function isTokenList(value: string): boolean {
  const tokens = value.split(",").map((t) => t.trim())
  return (
    tokens.every((t) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(t)) && new Set(tokens).size === tokens.length
  )
}

/** Refuses an upgrade with the documented JSON error body and closes the connection. */
function refuse(socket: Duplex, error: ProtocolError): void {
  const body = JSON.stringify(error.toBody())
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ""}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}
