import { randomBytes } from "node:crypto"
import { STATUS_CODES } from "node:http"
import type { Socket } from "node:net"
import { limits, ProtocolError } from "@backchannel/protocol"
import Fastify from "fastify"
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify"
import { Authenticator } from "../auth/authenticator.js"
import { RateLimiter } from "../auth/rate-limit.js"
import { ReplayCache } from "../auth/replay-cache.js"
import { LocalBus } from "../bus/local-bus.js"
import type { Bus } from "../bus/types.js"
import { resolveConfig, systemClock } from "../config.js"
import type { Clock, ConfigOverrides, ServerConfig } from "../config.js"
import { Ed25519Verifier } from "../crypto/ed25519.js"
import { toProtocolError } from "../errors.js"
import { describeError, silentLogger } from "../log.js"
import type { Logger } from "../log.js"
import type { ServiceContext } from "../service/context.js"
import type { ServerStore } from "../store/types.js"
import { WsHub, wsPath } from "../ws/hub.js"
import { routes } from "./routes.js"
import { attachWebRoot, loadWebRoot } from "./web-root.js"
import type { RouteSpec } from "./routes.js"

export interface AppOptions {
  config?: ConfigOverrides
  clock?: Clock
  logger?: Logger
  /** Defaults to an in-process LocalBus. */
  bus?: Bus
  /** Defaults to node:crypto randomBytes. */
  random?: (length: number) => Uint8Array
  /** A built web app (packages/web/dist) to serve at `/`, with strict security headers. */
  webRoot?: string
}

/** Runtime controls of a Backchannel app, reachable as `app.backchannel`. */
export interface AppControl {
  readonly config: ServerConfig
  readonly ctx: ServiceContext
  readonly hub: WsHub
  /** When the app was created: signed requests with an earlier time are refused. */
  readonly startedAt: number
  /** Refuses new requests (UNAVAILABLE) and WebSocket upgrades; `app.close()` calls it. */
  beginShutdown(): void
}

declare module "fastify" {
  interface FastifyInstance {
    backchannel: AppControl
  }
}

const emptyBody = new Uint8Array(0)
const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Builds the delivery server's HTTP + WebSocket app over a store, not listening. The caller owns the
 * store (and closes it after `app.close()`); the app owns its timers, WebSocket sessions and bus.
 */
export function createApp(store: ServerStore, options: AppOptions = {}): FastifyInstance {
  const config = resolveConfig(options.config)
  const clock = options.clock ?? systemClock
  const log = options.logger ?? silentLogger
  const bus = options.bus ?? new LocalBus()
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)))
  const ctx: ServiceContext = { store, bus, clock, config, log, verifier: new Ed25519Verifier(), random }
  const startedAt = clock.now()
  const replay = new ReplayCache()
  const limiter = new RateLimiter(config.rateLimit, clock)
  const authenticator = new Authenticator(ctx, startedAt, replay, limiter)
  const hub = new WsHub(ctx, authenticator)
  let closing = false

  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    exposeHeadRoutes: false,
    return503OnClosing: false,
    frameworkErrors: (err, _request, reply) => {
      sendError(reply, toProtocolError(err).error)
    },
    // Requests Node's HTTP parser refuses never reach a route: answer them in the documented form too.
    clientErrorHandler: answerClientError,
  })

  const control: AppControl = {
    config,
    ctx,
    hub,
    startedAt,
    beginShutdown: () => {
      closing = true
    },
  }
  app.decorate("backchannel", control)

  const sweeper = setInterval(() => {
    replay.sweep(clock.now())
    limiter.sweep()
  }, 30_000)
  sweeper.unref()

  app.server.on("upgrade", (request, socket, head) => {
    hub.handleUpgrade(request, socket, head)
  })

  // Only JSON bodies, kept as raw bytes: the signature covers them exactly; they are parsed after.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    done(null, body)
  })

  app.addHook("onRequest", (_request, _reply, done) => {
    if (closing) done(new ProtocolError("UNAVAILABLE"))
    else done()
  })

  app.addHook("onResponse", (request, reply, done) => {
    if (log.enabled("info")) {
      const route = request.routeOptions.url
      log.info("request", {
        method: request.method,
        ...(route === undefined ? {} : { route }),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      })
    }
    done()
  })

  app.addHook("preClose", async () => {
    closing = true
    clearInterval(sweeper)
    await hub.close()
  })

  app.setErrorHandler((err: unknown, _request, reply) => {
    const { error, internal } = toProtocolError(err)
    if (internal) log.error("request failed", { code: "INTERNAL", ...describeError(err) })
    sendError(reply, error)
  })

  const notFound = (reply: FastifyReply) => {
    sendError(reply, new ProtocolError("NOT_FOUND"))
  }
  if (options.webRoot !== undefined) attachWebRoot(app, loadWebRoot(options.webRoot), notFound)
  else app.setNotFoundHandler((_request, reply) => notFound(reply))

  for (const spec of routes) registerRoute(app, spec, ctx, authenticator)

  app.get(wsPath, (_request, reply) => {
    sendError(reply, new ProtocolError("WS_PROTOCOL"))
  })

  return app
}

function registerRoute(
  app: FastifyInstance,
  spec: RouteSpec,
  ctx: ServiceContext,
  auth: Authenticator,
): void {
  app.route({
    method: spec.method,
    url: spec.url,
    ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
    // Unsigned requests are refused before their body is read.
    ...(spec.auth
      ? {
          onRequest: (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
            try {
              auth.readHeaders(request.headers)
              done()
            } catch (err) {
              done(err instanceof Error ? err : new ProtocolError("AUTH_INVALID"))
            }
          },
        }
      : {}),
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = request.body
      if (spec.body && !(raw instanceof Uint8Array)) throw new ProtocolError("UNSUPPORTED_MEDIA_TYPE")
      const bytes = raw instanceof Uint8Array ? raw : emptyBody
      const caller = spec.auth
        ? await auth.authenticateRequest(request.method, request.url, request.headers, bytes)
        : undefined
      let json: unknown = undefined
      if (spec.body) {
        try {
          json = JSON.parse(strictUtf8.decode(bytes))
        } catch {
          throw new ProtocolError("BAD_JSON")
        }
      }
      const result = await spec.handle(ctx, {
        caller: caller === undefined ? undefined : caller,
        json,
        query: request.query,
        params: request.params,
      })
      void reply.header("cache-control", "no-store")
      return result
    },
  })
}

/**
 * Answers a request Node's HTTP parser refused (malformed request line or headers, bad Content-Length or
 * chunk size, headers beyond the size limit) with a documented error body, then closes the connection:
 * PAYLOAD_TOO_LARGE (413) for oversized headers, VALIDATION_FAILED (400) for everything else. Without this,
 * Fastify's default answer is an undocumented `{"error": "Bad Request", "statusCode": 400}`.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy()
    return
  }
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    // A client that never finished its request gets no answer; its connection is closed.
    socket.destroy()
    return
  }
  const error = new ProtocolError(
    err.code === "HPE_HEADER_OVERFLOW" ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED",
  )
  const body = JSON.stringify(error.toBody())
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ""}\r\n` +
      "Connection: close\r\nCache-Control: no-store\r\nContent-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function sendError(reply: FastifyReply, error: ProtocolError): void {
  const body = error.toBody()
  if (error.code === "RATE_LIMITED" && body.error.retryAfterMs !== undefined) {
    void reply.header("retry-after", String(Math.ceil(body.error.retryAfterMs / 1000)))
  }
  void reply.code(error.status).header("cache-control", "no-store").type("application/json").send(body)
}
