import { createPrivateKey, randomBytes, sign } from "node:crypto"
import type { KeyObject } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  authHeaders,
  enrolmentSigningBytes,
  enrolResponseSchema,
  fromB64,
  inviteResponseSchema,
  normaliseInviteCode,
  requestSigningBytes,
  toB64,
  utf8,
  wsAuthSigningBytes,
} from "@backchannel/protocol"
import type { ErrorBody, ServerFrame } from "@backchannel/protocol"
import type { FastifyInstance } from "fastify"
import { WebSocket } from "ws"
import { createInvite, databasePath } from "../admin.js"
import type { Clock, ConfigOverrides } from "../config.js"
import { createApp } from "../http/app.js"
import { createLogger } from "../log.js"
import type { LogLevel } from "../log.js"
import { SqliteStore } from "../store/sqlite-store.js"
import type { ServerStore } from "../store/types.js"

/**
 * Test harness: a real server (SQLite file in a temp dir, Fastify listening on 127.0.0.1:0) and test
 * devices that sign real requests with node:crypto Ed25519 keys and speak the WebSocket protocol.
 */

export class ManualClock implements Clock {
  constructor(public time = Date.now()) {}
  now(): number {
    return this.time
  }
  advance(ms: number): void {
    this.time += ms
  }
}

export interface TestServer {
  url: string
  wsUrl: string
  dataDir: string
  app: FastifyInstance
  store: SqliteStore
  logs: string[]
  invite(
    handle: string,
    fields?: { displayName?: string; title?: string; organisation?: string; country?: string },
  ): Promise<string>
  close(): Promise<void>
}

export async function startTestServer(
  options: {
    config?: ConfigOverrides
    clock?: Clock
    logLevel?: LogLevel
    /** Wraps the real store (e.g. to inject faults) before the app sees it. */
    wrapStore?: (store: ServerStore) => ServerStore
  } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "bc-server-test-"))
  const store = new SqliteStore(databasePath(dataDir))
  const logs: string[] = []
  const logger = createLogger(options.logLevel ?? "debug", (line) => logs.push(line))
  const app = createApp(options.wrapStore === undefined ? store : options.wrapStore(store), {
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    logger,
  })
  await app.listen({ host: "127.0.0.1", port: 0 })
  const address = app.server.address()
  if (address === null || typeof address !== "object") throw new Error("not listening")
  const url = `http://127.0.0.1:${address.port}`
  let closed = false
  return {
    url,
    wsUrl: `ws://127.0.0.1:${address.port}/v1/ws`,
    dataDir,
    app,
    store,
    logs,
    invite: async (handle, fields = {}) => {
      const now = options.clock?.now()
      const created = await createInvite(dataDir, {
        handle,
        ...fields,
        ...(now === undefined ? {} : { now }),
      })
      return created.invite
    },
    close: async () => {
      if (closed) return
      closed = true
      await app.close()
      await store.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * A parsed JSON reply. `error` is typed for failures (tests check the status first); anything else is
 * `unknown` and should be read through the protocol's response schemas, which checks the contract too.
 */
export interface Reply {
  error: ErrorBody["error"]
  [field: string]: unknown
}

export interface HttpResult {
  status: number
  body: Reply
  headers: Headers
}

export interface RequestOptions {
  /** Serialised as JSON. */
  json?: unknown
  /** Sent exactly (overrides `json`). */
  raw?: string | Uint8Array
  /** Default application/json when there is a body; null sends none. */
  contentType?: string | null
  sign?: boolean
  time?: number
  nonce?: string
  /** Sign these bytes instead of the body actually sent. */
  signedBody?: Uint8Array
  /** Sign this path instead of the one requested. */
  signedPath?: string
  /** Sign with this key instead of the device's. */
  signingKey?: KeyObject
  deviceId?: string
  extraHeaders?: Record<string, string>
}

export class TestDevice {
  readonly privateKey: KeyObject
  readonly signaturePublicKey: Uint8Array
  /** The 32-byte Ed25519 seed, as ts-mls wants its signing key. */
  readonly signatureSeed: Uint8Array
  readonly tracemarkPublicKey = new Uint8Array(randomBytes(32))
  deviceId = ""
  handle = ""

  /** The server this device talks to; tests may point it at a restarted one. */
  server: { url: string; wsUrl: string }

  constructor(
    server: { url: string; wsUrl?: string },
    /** The device's clock; tests may skew it. */
    public clock: Clock = { now: () => Date.now() },
  ) {
    this.server = { url: server.url, wsUrl: server.wsUrl ?? `${server.url.replace(/^http/, "ws")}/v1/ws` }
    // A random 32-byte Ed25519 private key imported as JWK, not generateKeyPairSync: on Node 20 exporting a
    // key made by that can deadlock the process (see packages/mls-crypto/src/node/okp-jwk.ts).
    const privateKey = createPrivateKey({
      key: { kty: "OKP", crv: "Ed25519", d: randomBytes(32).toString("base64url"), x: "" },
      format: "jwk",
    })
    this.privateKey = privateKey
    const jwk = privateKey.export({ format: "jwk" })
    if (jwk.d === undefined || jwk.x === undefined) throw new Error("no JWK")
    this.signatureSeed = fromB64(jwk.d)
    this.signaturePublicKey = fromB64(jwk.x)
  }

  signBytes(bytes: Uint8Array, key: KeyObject = this.privateKey): Uint8Array {
    return new Uint8Array(sign(null, bytes, key))
  }

  enrolBody(invite: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const code = normaliseInviteCode(invite) ?? invite
    const proof = this.signBytes(
      enrolmentSigningBytes(code, this.signaturePublicKey, this.tracemarkPublicKey),
    )
    return {
      invite,
      deviceName: "test device",
      signaturePublicKey: toB64(this.signaturePublicKey),
      tracemarkPublicKey: toB64(this.tracemarkPublicKey),
      proof: toB64(proof),
      ...overrides,
    }
  }

  async enrol(invite: string): Promise<HttpResult> {
    const res = await this.request("POST", "/v1/enrol", { json: this.enrolBody(invite), sign: false })
    if (res.status === 200) {
      const body = enrolResponseSchema.parse(res.body)
      this.deviceId = body.deviceId
      this.handle = body.entry.handle
    }
    return res
  }

  /** Sends a request, signed by default, and parses the JSON reply. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
    let body: Uint8Array | undefined
    if (options.raw !== undefined) body = typeof options.raw === "string" ? utf8(options.raw) : options.raw
    else if (options.json !== undefined) body = utf8(JSON.stringify(options.json))
    const headers: Record<string, string> = { ...options.extraHeaders }
    const contentType = options.contentType === undefined ? "application/json" : options.contentType
    if (body !== undefined && contentType !== null) headers["content-type"] = contentType
    if (options.sign ?? true) {
      const deviceId = options.deviceId ?? this.deviceId
      const time = options.time ?? this.clock.now()
      const nonce = options.nonce ?? toB64(randomBytes(16))
      const signed = requestSigningBytes({
        method,
        path: options.signedPath ?? path,
        deviceId,
        time,
        nonce,
        body: options.signedBody ?? body ?? new Uint8Array(),
      })
      headers[authHeaders.device] = deviceId
      headers[authHeaders.time] = String(time)
      headers[authHeaders.nonce] = nonce
      headers[authHeaders.signature] = toB64(this.signBytes(signed, options.signingKey))
    }
    const res = await fetch(`${this.server.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: Buffer.from(body) }),
    })
    const text = await res.text()
    let parsed: unknown = undefined
    try {
      parsed = text === "" ? undefined : JSON.parse(text)
    } catch {
      parsed = text
    }
    return { status: res.status, body: parsed as Reply, headers: res.headers }
  }

  get(path: string, options: RequestOptions = {}): Promise<HttpResult> {
    return this.request("GET", path, options)
  }

  post(path: string, json: unknown, options: RequestOptions = {}): Promise<HttpResult> {
    return this.request("POST", path, { json, ...options })
  }

  /** Opens a WebSocket and authenticates (unless `auth: false`), waiting for `ready` unless told not to. */
  async connect(options: { auth?: boolean; waitReady?: boolean } = {}): Promise<TestSocket> {
    const socket = await TestSocket.open(this.server.wsUrl)
    const challenge = await socket.next("challenge")
    if (options.auth === false) return socket
    const time = this.clock.now()
    const signature = this.signBytes(wsAuthSigningBytes(challenge.challenge, this.deviceId, time))
    socket.send({ t: "auth", deviceId: this.deviceId, time, signature: toB64(signature) })
    if (options.waitReady !== false) await socket.next("ready")
    return socket
  }
}

type FrameOf<T extends ServerFrame["t"]> = Extract<ServerFrame, { t: T }>

/** A WebSocket client that queues the frames it receives so tests can await them in order. */
export class TestSocket {
  private readonly frames: ServerFrame[] = []
  private waiter: (() => void) | undefined
  readonly closed: Promise<{ code: number }>

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString("utf8")) as ServerFrame)
      this.waiter?.()
    })
    this.closed = new Promise((resolve) => {
      ws.on("close", (code) => {
        resolve({ code })
        this.waiter?.()
      })
    })
  }

  static open(url: string): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      const socket = new TestSocket(ws)
      ws.once("open", () => {
        resolve(socket)
      })
      ws.once("error", reject)
    })
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame))
  }

  /** The next frame (of type `t` if given; other frames before it are an error), within `timeoutMs`. */
  async next<T extends ServerFrame["t"]>(t: T, timeoutMs = 5000): Promise<FrameOf<T>> {
    const frame = await this.nextAny(timeoutMs)
    if (frame.t !== t) throw new Error(`expected a ${t} frame, got ${JSON.stringify(frame).slice(0, 300)}`)
    return frame as FrameOf<T>
  }

  async nextAny(timeoutMs = 5000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const frame = this.frames.shift()
      if (frame !== undefined) return frame
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error("socket closed")
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error("timed out waiting for a frame")
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining)
        this.waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.waiter = undefined
    }
  }

  /** Every frame already received and not yet read. */
  drain(): ServerFrame[] {
    return this.frames.splice(0)
  }

  close(): void {
    this.ws.close()
  }
}

/** Invites and enrols one device per handle (a second device of a handle uses a device invite). */
export async function enrolDevices<const H extends readonly string[]>(
  server: TestServer,
  handles: H,
  clock?: Clock,
): Promise<{ [K in keyof H]: TestDevice }> {
  const devices: TestDevice[] = []
  const byHandle = new Map<string, TestDevice>()
  for (const handle of handles) {
    const device = new TestDevice(server, clock)
    const existing = byHandle.get(handle)
    let invite: string
    if (existing === undefined) invite = await server.invite(handle)
    else {
      const res = await existing.post("/v1/devices/invites", {})
      if (res.status !== 200) throw new Error(`device invite failed: ${JSON.stringify(res.body)}`)
      invite = inviteResponseSchema.parse(res.body).invite
    }
    const enrolled = await device.enrol(invite)
    if (enrolled.status !== 200) throw new Error(`enrolment failed: ${JSON.stringify(enrolled.body)}`)
    byHandle.set(handle, device)
    devices.push(device)
  }
  return devices as { [K in keyof H]: TestDevice }
}
