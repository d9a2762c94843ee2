// Property-based fuzzing of the delivery server with fast-check: every HTTP endpoint (bodies, headers,
// signatures, path parameters and queries: truncated, bit-flipped, oversized, wrong types, unknown fields),
// every WebSocket frame, and the MLS message intake (truncated, bit-flipped, oversized, wrong epoch, wrong
// group, wrong kind). Inputs are generated from a seed (reproducible), run concurrently, and each answer is
// checked against the properties in `checkHttp` / `checkWs`. Shared by tests/server-fuzz.test.ts and
// bench/fuzz/run.mjs.
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { connect } from "node:net"
import { errorCatalog, toB64, utf8 } from "@backchannel/protocol"
import fc from "fast-check"
import WebSocket from "ws"
import { buildGroup, enrolFuzzDevice } from "./context.mjs"

const allowedErrorFields = new Set(["code", "message", "serverTime", "epoch", "retryAfterMs", "field"])
/**
 * What an answer must never contain: stack frames, source paths, driver or runtime internals. Long markers are
 * matched in any case; short ones (SQLite's and Fastify's names and codes) only as those libraries spell them,
 * because in any case they also turn up inside random base64url identifiers: a case-insensitive "FST_" is in
 * about 2 of every 100,000 group ids ("fSt_" or the like), which made a correct answer count as a leak.
 */
const leakPattern =
  /\bat [\w.<>]+ \(|\.(?:ts|js|mjs|cjs):\d+|node_modules|\/work\/|\/home\/|\/tmp\/|TypeError|RangeError|ReferenceError|SyntaxError|Cannot read|undefined is not/i
const shortLeakPattern = /sqlite|Sqlite|SQLITE_|\bFST_ERR_/
const leaks = (text) => leakPattern.test(text) || shortLeakPattern.test(text)
const wsCloseAllowed = new Set([1000, 1001, 1009, 4001, 4002, 4003, 4004, 4008])

// -- generators ------------------------------------------------------------------------------------------

const bytesArb = fc.uint8Array({ minLength: 0, maxLength: 48 })
const mlsMutationArb = fc.record({
  kind: fc.constantFrom(
    "none",
    "none",
    "truncate",
    "truncate",
    "flip",
    "flip",
    "flip",
    "append",
    "prepend",
    "stale",
    "otherGroup",
    "asCommit",
    "asWelcome",
    "asKeyPackage",
    "random",
    "empty",
    "oversize",
  ),
  pos: fc.nat(),
  bit: fc.integer({ min: 0, max: 7 }),
  flips: fc.integer({ min: 1, max: 4 }),
  bytes: bytesArb,
})
const jsonMutationArb = fc.record({
  kind: fc.constantFrom("valid", "valid", "valid", "drop", "unknown", "wrongType", "randomJson", "notObject"),
  key: fc.nat(),
  value: fc.jsonValue({ maxDepth: 2 }),
  name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "admin", "t")),
})
const byteMutationArb = fc.record({
  kind: fc.oneof(
    { weight: 14, arbitrary: fc.constant("none") },
    { weight: 1, arbitrary: fc.constant("truncate") },
    { weight: 1, arbitrary: fc.constant("flip") },
    { weight: 1, arbitrary: fc.constant("insert") },
    { weight: 1, arbitrary: fc.constant("replace") },
    { weight: 1, arbitrary: fc.constant("invalidUtf8") },
    { weight: 1, arbitrary: fc.constant("empty") },
    { weight: 1, arbitrary: fc.constant("deepNesting") },
  ),
  pos: fc.nat(),
  bit: fc.integer({ min: 0, max: 7 }),
  bytes: bytesArb,
})
const authArb = fc.oneof(
  { weight: 40, arbitrary: fc.constant("signFinal") },
  ...[
    "signOriginal",
    "none",
    "partial",
    "badSignature",
    "truncatedSignature",
    "badTime",
    "oldTime",
    "futureTime",
    "unknownDevice",
    "malformedDevice",
    "otherKey",
    "replay",
    "badNonce",
    "arrayHeader",
  ].map((a) => ({ weight: 1, arbitrary: fc.constant(a) })),
)
const contentTypeArb = fc.oneof(
  { weight: 40, arbitrary: fc.constant("application/json") },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant("text/plain") },
  { weight: 1, arbitrary: fc.constant("application/json; charset=utf-8") },
  { weight: 1, arbitrary: fc.constant("application/x-www-form-urlencoded") },
  { weight: 1, arbitrary: fc.constant("multipart/form-data; boundary=x") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z/;= -]{0,30}$/) },
)
const pathMutationArb = fc.record({
  kind: fc.oneof(
    { weight: 40, arbitrary: fc.constant("none") },
    ...[
      "randomGroup",
      "garbageParam",
      "encodedParam",
      "longParam",
      "otherGroupId",
      "randomQuery",
      "extraQuery",
      "traversal",
      "trailingSlash",
      "upperCase",
    ].map((k) => ({ weight: 1, arbitrary: fc.constant(k) })),
  ),
  text: fc.string({ maxLength: 40, unit: "binary" }),
  query: fc.dictionary(fc.stringMatching(/^[a-z]{0,6}$/), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
})

/** The endpoints of docs/PROTOCOL.md plus a few that do not exist. */
const endpoints = [
  "health",
  "enrol",
  "me",
  "config",
  "deviceInvite",
  "search",
  "lookup",
  "uploadKeyPackages",
  "keyPackageStatus",
  "claim",
  "createGroup",
  "getGroup",
  "commit",
  "commitWithWelcome",
  "message",
  "message",
  "message",
  "message",
  "message",
  "message",
  "queue",
  "ack",
  "wsPlain",
  "unknown",
]

export const httpPlanArb = fc.record({
  endpoint: fc.constantFrom(...endpoints),
  device: fc.nat({ max: 15 }),
  json: jsonMutationArb,
  mls: mlsMutationArb,
  bytes: byteMutationArb,
  auth: authArb,
  contentType: contentTypeArb,
  path: pathMutationArb,
  method: fc.oneof(
    { weight: 20, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD") },
  ),
  oversize: fc.oneof(
    { weight: 400, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  expiresAt: fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2)), {
    nil: undefined,
  }),
  number: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(2 ** 53), fc.constant(-1)),
})

const frameArb = fc.record({
  kind: fc.constantFrom(
    "sub",
    "ack",
    "send",
    "send",
    "send",
    "ping",
    "auth",
    "randomJson",
    "rawString",
    "binary",
    "invalidUtf8",
    "mutatedJson",
    "unknownType",
    "extraField",
  ),
  mls: mlsMutationArb,
  bytes: byteMutationArb,
  number: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(-1), fc.constant(2 ** 60)),
  value: fc.jsonValue({ maxDepth: 2 }),
  text: fc.string({ maxLength: 60, unit: "binary" }),
})

export const wsPlanArb = fc.record({
  auth: fc.oneof(
    { weight: 8, arbitrary: fc.constant("valid") },
    ...["none", "badSignature", "wrongDevice", "oldTime", "garbage", "frameFirst"].map((a) => ({
      weight: 1,
      arbitrary: fc.constant(a),
    })),
  ),
  device: fc.nat({ max: 15 }),
  frames: fc.array(frameArb, { minLength: 1, maxLength: 4 }),
  huge: fc.oneof({ weight: 300, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
})

// -- building inputs -------------------------------------------------------------------------------------

function mutateMls(ctx, base, m, limit) {
  const g = ctx.group
  switch (m.kind) {
    case "none":
      return base
    case "truncate":
      return base.subarray(0, base.length === 0 ? 0 : m.pos % base.length)
    case "flip": {
      const copy = new Uint8Array(base)
      for (let i = 0; i < m.flips && copy.length > 0; i++) {
        copy[(m.pos + i * 7919) % copy.length] ^= 1 << ((m.bit + i) % 8)
      }
      return copy
    }
    case "append":
      return concat(base, m.bytes)
    case "prepend":
      return concat(m.bytes, base)
    case "stale":
      return g.staleMessage
    case "otherGroup":
      return g.otherGroupMessage
    case "asCommit":
      return g.commit
    case "asWelcome":
      return g.welcome
    case "asKeyPackage":
      return g.keyPackages[0]
    case "random":
      return m.bytes
    case "empty":
      return new Uint8Array(0)
    case "oversize":
      return concat(base, new Uint8Array(limit + 1 - Math.min(base.length, limit)))
  }
  return base
}

function mutateJson(template, m) {
  switch (m.kind) {
    case "valid":
      return template
    case "drop": {
      const keys = Object.keys(template)
      if (keys.length === 0) return template
      const dropped = keys[m.key % keys.length]
      return Object.fromEntries(Object.entries(template).filter(([k]) => k !== dropped))
    }
    case "unknown":
      return { ...template, [m.name === "" ? "extra" : m.name]: m.value }
    case "wrongType": {
      const keys = Object.keys(template)
      if (keys.length === 0) return m.value
      return { ...template, [keys[m.key % keys.length]]: m.value }
    }
    case "randomJson":
      return m.value
    case "notObject":
      return [template]
  }
  return template
}

function mutateBytes(body, m) {
  switch (m.kind) {
    case "none":
      return body
    case "truncate":
      return body.subarray(0, body.length === 0 ? 0 : m.pos % body.length)
    case "flip": {
      const copy = Buffer.from(body)
      if (copy.length > 0) copy[m.pos % copy.length] ^= 1 << m.bit
      return copy
    }
    case "insert": {
      const at = body.length === 0 ? 0 : m.pos % body.length
      return Buffer.concat([body.subarray(0, at), Buffer.from(m.bytes), body.subarray(at)])
    }
    case "replace":
      return Buffer.from(m.bytes)
    case "invalidUtf8": {
      const at = body.length === 0 ? 0 : m.pos % body.length
      return Buffer.concat([body.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), body.subarray(at)])
    }
    case "empty":
      return Buffer.alloc(0)
    case "deepNesting":
      return Buffer.from(
        "[".repeat(5000 + (m.pos % 20000)) + "]".repeat(m.pos % 3 === 0 ? 0 : 5000 + (m.pos % 20000)),
      )
  }
  return body
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

function pickDevice(ctx, index) {
  // Mostly the group's owner (so bodies reach the group checks), sometimes its member or an outsider.
  if (index < 10) return ctx.devices[0]
  return ctx.devices[index % ctx.devices.length]
}

function groupPath(ctx, plan, suffix = "") {
  const p = plan.path
  let id = ctx.group.groupId
  switch (p.kind) {
    case "randomGroup":
      id = toB64(randomBytes(32))
      break
    case "garbageParam":
      id = encodeURIComponent(p.text)
      break
    case "encodedParam":
      id = `%${p.text.length.toString(16)}%zz${encodeURIComponent(p.text)}`
      break
    case "longParam":
      id = "A".repeat(100 + ((p.text.length * 997) % 5000))
      break
    case "otherGroupId":
      id = ctx.strangerGroupId
      break
    case "traversal":
      id = `..%2F..%2F${encodeURIComponent(id)}`
      break
  }
  return `/v1/groups/${id}${suffix}`
}

function withPathMutation(path, plan) {
  const p = plan.path
  switch (p.kind) {
    case "randomQuery":
      return `${path.split("?")[0]}?${new URLSearchParams(p.query).toString()}`
    case "extraQuery":
      return `${path}${path.includes("?") ? "&" : "?"}${new URLSearchParams(p.query).toString()}`
    case "trailingSlash":
      return `${path}/`
    case "upperCase":
      return path.toUpperCase()
  }
  return path
}

/** Turns a plan into a concrete request: method, path, headers (maybe signed), body bytes. */
export function buildHttp(ctx, plan) {
  const g = ctx.group
  const device = pickDevice(ctx, plan.device)
  let method = "GET"
  let path = "/v1/health"
  let template
  let auth = true
  let bodyLimit = 4 * 1024 * 1024
  const mls = (base, limit) => toB64(mutateMls(ctx, base, plan.mls, limit))
  switch (plan.endpoint) {
    case "health":
      auth = false
      break
    case "enrol":
      method = "POST"
      path = "/v1/enrol"
      auth = false
      template = ctx.devices[0].enrolBody(toB64(randomBytes(16)).slice(0, 25))
      break
    case "me":
      path = "/v1/me"
      break
    case "config":
      path = "/v1/config"
      break
    case "deviceInvite":
      method = "POST"
      path = "/v1/devices/invites"
      template = {}
      break
    case "search":
      path = `/v1/directory?q=${encodeURIComponent(plan.path.text.slice(0, 20))}&limit=${plan.number}`
      break
    case "lookup":
      method = "POST"
      path = "/v1/directory/lookup"
      template = { handles: [ctx.devices[1].handle], deviceIds: [ctx.devices[1].deviceId] }
      break
    case "uploadKeyPackages":
      method = "POST"
      path = "/v1/key-packages"
      template = { keyPackages: [mls(g.keyPackages[0], 8 * 1024)], lastResort: toB64(g.keyPackages[1]) }
      break
    case "keyPackageStatus":
      path = "/v1/key-packages/status"
      break
    case "claim":
      method = "POST"
      path = "/v1/key-packages/claim"
      template = { deviceIds: [ctx.devices[1].deviceId] }
      break
    case "createGroup":
      method = "POST"
      path = "/v1/groups"
      template = { groupId: toB64(randomBytes(32)) }
      break
    case "getGroup":
      path = groupPath(ctx, plan)
      break
    case "commit":
      method = "POST"
      path = groupPath(ctx, plan, "/commits")
      bodyLimit = 8 * 1024 * 1024
      template = { epoch: g.epoch, commit: mls(g.commit, 2 * 1024 * 1024), add: [], remove: [] }
      break
    case "commitWithWelcome":
      method = "POST"
      path = groupPath(ctx, plan, "/commits")
      bodyLimit = 8 * 1024 * 1024
      template = {
        epoch: g.epoch,
        commit: toB64(g.commit),
        welcome: mls(g.welcome, 3 * 1024 * 1024),
        add: [ctx.devices[2].deviceId],
        remove: [],
      }
      break
    case "message":
      method = "POST"
      path = groupPath(ctx, plan, "/messages")
      template = {
        message: mls(g.messages[plan.mls.pos % g.messages.length], 256 * 1024),
        ...(plan.expiresAt !== undefined ? { expiresAt: plan.expiresAt } : {}),
      }
      break
    case "queue":
      path = `/v1/queue?after=${plan.number}&limit=${plan.mls.pos % 600}`
      break
    case "ack":
      method = "POST"
      path = "/v1/queue/ack"
      template = { upTo: plan.number }
      break
    case "wsPlain":
      path = "/v1/ws"
      break
    case "unknown":
      method = plan.method ?? "GET"
      path = `/v1/${encodeURIComponent(plan.path.text)}`
      break
  }
  if (plan.method !== undefined) method = plan.method
  path = withPathMutation(path, plan)
  let original
  if (template !== undefined) {
    const json = mutateJson(template, plan.json)
    original = Buffer.from(utf8(JSON.stringify(json === undefined ? null : json)))
  }
  if (plan.oversize) original = Buffer.alloc(bodyLimit + 1, 0x20)
  let body = original === undefined ? undefined : mutateBytes(original, plan.bytes)
  if (method === "GET" || method === "HEAD") body = undefined
  const headers = {}
  if (body !== undefined && plan.contentType !== null) headers["content-type"] = plan.contentType
  if (auth || plan.auth !== "signFinal")
    Object.assign(headers, authFor(ctx, device, plan, method, path, body, original))
  return { method, path, headers, body }
}

function authFor(ctx, device, plan, method, path, body, original) {
  const sign = (bytes, opts) => device.authHeaders(method, path, bytes, opts)
  switch (plan.auth) {
    case "signFinal":
      return sign(body)
    case "signOriginal":
      return sign(original)
    case "none":
      return {}
    case "partial": {
      const h = Object.entries(sign(body))
      h.splice(plan.device % 4, 1)
      return Object.fromEntries(h)
    }
    case "badSignature": {
      const h = sign(body)
      const s = h["x-bc-signature"]
      h["x-bc-signature"] = (s[0] === "A" ? "B" : "A") + s.slice(1)
      return h
    }
    case "truncatedSignature": {
      const h = sign(body)
      h["x-bc-signature"] = h["x-bc-signature"].slice(0, 40)
      return h
    }
    case "badTime":
      return { ...sign(body), "x-bc-time": "12e4" }
    case "oldTime":
      return sign(body, { time: Date.now() - 10 * 60 * 1000 })
    case "futureTime":
      return sign(body, { time: Date.now() + 10 * 60 * 1000 })
    case "unknownDevice":
      return { ...sign(body), "x-bc-device": toB64(randomBytes(16)) }
    case "malformedDevice":
      return { ...sign(body), "x-bc-device": "not a device" }
    case "otherKey": {
      // Signed by another enrolled device's key but claiming this device.
      const other = ctx.devices[(ctx.devices.indexOf(device) + 1) % ctx.devices.length]
      const h = other.authHeaders(method, path, body)
      return { ...h, "x-bc-device": device.deviceId }
    }
    case "replay":
      return sign(body, ctx.replay)
    case "badNonce":
      return { ...sign(body), "x-bc-nonce": "!!" }
    case "arrayHeader":
      return { ...sign(body), "x-bc-nonce": [ctx.replay.nonce, ctx.replay.nonce] }
  }
  return sign(body)
}

// -- properties ------------------------------------------------------------------------------------------

/** Returns a description of what is wrong with an HTTP answer, or undefined if it satisfies every property. */
export function checkHttp(res, method = "GET") {
  if (leaks(res.text)) return `answer leaks internals: ${res.text.slice(0, 200)}`
  if (res.status === 200) return undefined
  if (method === "HEAD") {
    // A HEAD answer has no body on the wire; its status must still be one the catalogue documents.
    const documented = Object.values(errorCatalog).some((e) => e.status === res.status)
    return documented ? undefined : `HEAD answered ${res.status}`
  }
  let parsed
  try {
    parsed = JSON.parse(res.text)
  } catch {
    return `status ${res.status} without a JSON error body: ${JSON.stringify(res.text.slice(0, 100))}`
  }
  const error = parsed?.error
  if (typeof error !== "object" || error === null) return `status ${res.status} without an error object`
  const entry = Object.prototype.hasOwnProperty.call(errorCatalog, error.code)
    ? errorCatalog[error.code]
    : undefined
  if (entry === undefined) return `undocumented error code ${String(error.code)}`
  if (entry.status !== res.status)
    return `${error.code} with status ${res.status} (documented ${entry.status})`
  if (error.code === "INTERNAL") return "INTERNAL: the server failed on this input"
  if (error.message !== entry.message) return `${error.code} with an unexpected message`
  for (const key of Object.keys(error)) if (!allowedErrorFields.has(key)) return `error has field ${key}`
  return undefined
}

/** Returns what is wrong with a WebSocket exchange (frames received, close code), or undefined. */
export function checkWs(frames, closeCode) {
  for (const text of frames) {
    if (leaks(text)) return `frame leaks internals: ${text.slice(0, 200)}`
    let frame
    try {
      frame = JSON.parse(text)
    } catch {
      return "a server frame is not JSON"
    }
    if (frame.t === "error" || (frame.t === "res" && frame.ok === false)) {
      const code = frame.error?.code
      const entry = Object.prototype.hasOwnProperty.call(errorCatalog, code) ? errorCatalog[code] : undefined
      if (entry === undefined) return `undocumented error code ${String(code)}`
      if (code === "INTERNAL") return "INTERNAL in a WebSocket frame"
      if (frame.error.message !== entry.message) return `${code} with an unexpected message`
      for (const key of Object.keys(frame.error))
        if (!allowedErrorFields.has(key)) return `error has field ${key}`
    } else if (!["challenge", "ready", "items", "res", "pong"].includes(frame.t)) {
      return `unknown server frame ${String(frame.t)}`
    }
  }
  if (closeCode !== undefined && !wsCloseAllowed.has(closeCode)) return `closed with ${closeCode}`
  return undefined
}

// -- WebSocket inputs ------------------------------------------------------------------------------------

function frameText(ctx, device, plan, frame, challenge) {
  const g = ctx.group
  switch (frame.kind) {
    case "sub":
      return JSON.stringify({ t: "sub", after: frame.number })
    case "ack":
      return JSON.stringify({ t: "ack", upTo: frame.number })
    case "send":
      return JSON.stringify({
        t: "send",
        id: Math.abs(Math.trunc(frame.number)) % 1000,
        groupId: frame.mls.kind === "otherGroup" ? ctx.strangerGroupId : g.groupId,
        message: toB64(mutateMls(ctx, g.messages[frame.mls.pos % g.messages.length], frame.mls, 256 * 1024)),
      })
    case "ping":
      return JSON.stringify({ t: "ping" })
    case "auth":
      return JSON.stringify(device.wsAuthFrame(challenge))
    case "randomJson":
      return JSON.stringify(frame.value)
    case "rawString":
      return frame.text
    case "binary":
      return Buffer.from(frame.mls.bytes)
    case "invalidUtf8":
      return Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d])
    case "mutatedJson":
      return mutateBytes(Buffer.from(JSON.stringify({ t: "ack", upTo: 1 })), {
        ...frame.bytes,
        kind: frame.bytes.kind === "none" ? "flip" : frame.bytes.kind,
      }).toString("latin1")
    case "unknownType":
      return JSON.stringify({ t: frame.text.slice(0, 10), value: frame.value })
    case "extraField":
      return JSON.stringify({ t: "ping", extra: frame.value })
  }
  return "{}"
}

/** Runs one WebSocket plan: connect, (maybe) authenticate, send the fuzzed frames, then a ping. */
export function runWs(ctx, wsUrl, plan) {
  const device = pickDevice(ctx, plan.device)
  return new Promise((resolve) => {
    const received = []
    let closeCode
    let challenge
    let settled = false
    let pinged = false
    const ws = new WebSocket(wsUrl, { maxPayload: 8 * 1024 * 1024 })
    const finish = (problem) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      ws.removeAllListeners()
      ws.on("error", () => undefined)
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate()
      resolve(problem ?? checkWs(received, closeCode))
    }
    const timer = setTimeout(() => finish(`no answer within 5 s (${received.length} frames)`), 5000)
    const send = (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: Buffer.isBuffer(data) })
    }
    const sendFrames = () => {
      for (const frame of plan.frames) send(frameText(ctx, device, plan, frame, challenge))
      if (plan.huge) send("x".repeat(600 * 1024))
      pinged = true
      send(JSON.stringify({ t: "ping" }))
    }
    ws.on("error", () => finish("client socket error"))
    ws.on("close", (code) => {
      closeCode = code
      finish()
    })
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        finish("binary frame from the server")
        return
      }
      const text = data.toString("utf8")
      received.push(text)
      let frame
      try {
        frame = JSON.parse(text)
      } catch {
        finish()
        return
      }
      if (frame.t === "challenge") {
        challenge = frame.challenge
        switch (plan.auth) {
          case "valid":
            send(JSON.stringify(device.wsAuthFrame(challenge)))
            return
          case "none":
            sendFrames()
            return
          case "frameFirst":
            sendFrames()
            return
          case "badSignature": {
            const f = device.wsAuthFrame(challenge)
            send(
              JSON.stringify({
                ...f,
                signature: (f.signature[0] === "A" ? "B" : "A") + f.signature.slice(1),
              }),
            )
            return
          }
          case "wrongDevice":
            send(JSON.stringify({ ...device.wsAuthFrame(challenge), deviceId: toB64(randomBytes(16)) }))
            return
          case "oldTime":
            send(JSON.stringify(device.wsAuthFrame(challenge, Date.now() - 10 * 60 * 1000)))
            return
          case "garbage":
            send(JSON.stringify({ t: "auth", deviceId: 5, time: "x", signature: null }))
            return
        }
        return
      }
      if (frame.t === "ready") {
        sendFrames()
        return
      }
      if (frame.t === "pong" && pinged) {
        // Every frame before the ping was handled; give a pending `send` reply a moment, then stop.
        setTimeout(() => finish(), 20)
      }
    })
  })
}

// -- raw HTTP inputs (what Node's parser sees before Fastify) --------------------------------------------

const tokenArb = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/)
export const rawPlanArb = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "OPTIONS", "GARBAGE", "", "G\u00e9T"),
  path: fc.constantFrom(
    "/v1/health",
    "/v1/enrol",
    "/v1/ws",
    "/v1/queue?after=0",
    "/v1/me",
    "*",
    "http://x/v1/health",
    "",
  ),
  suffix: fc.oneof(
    { weight: 4, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: "binary" }) },
  ),
  version: fc.constantFrom("HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", ""),
  headers: fc.array(
    fc.tuple(
      fc.oneof(
        tokenArb,
        fc.constantFrom(
          "Host",
          "Content-Type",
          "Upgrade",
          "Connection",
          "Sec-WebSocket-Key",
          "Sec-WebSocket-Version",
          "Sec-WebSocket-Protocol",
          "x-bc-device",
          "x-bc-time",
        ),
        fc.string({ maxLength: 8, unit: "binary" }),
      ),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30, unit: "binary" }),
        fc.constantFrom("websocket", "Upgrade", "13", "application/json"),
      ),
    ),
    { maxLength: 5 },
  ),
  framing: fc.constantFrom(
    "none",
    "length",
    "length",
    "wrongLength",
    "negativeLength",
    "textLength",
    "twoLengths",
    "chunked",
    "badChunk",
    "lengthAndChunked",
  ),
  upgrade: fc.constantFrom("none", "none", "none", "valid", "badKey", "badVersion"),
  body: fc.oneof(fc.constant('{"groupId":"x"}'), fc.string({ maxLength: 64, unit: "binary" })),
  close: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  overflow: fc.oneof(
    { weight: 200, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
})

export function buildRaw(plan) {
  const lines = [
    `${plan.method} ${plan.path}${plan.suffix} ${plan.version}`.replace(/\r|\n/g, " "),
    "Host: 127.0.0.1",
  ]
  for (const [name, value] of plan.headers) lines.push(`${name}: ${value}`.replace(/\r|\n/g, " "))
  if (plan.upgrade !== "none") {
    lines.push("Upgrade: websocket", "Connection: Upgrade")
    lines.push(`Sec-WebSocket-Key: ${plan.upgrade === "badKey" ? "x" : "dGhlIHNhbXBsZSBub25jZQ=="}`)
    lines.push(`Sec-WebSocket-Version: ${plan.upgrade === "badVersion" ? "7" : "13"}`)
  } else if (plan.close) lines.push("Connection: close")
  if (plan.overflow) lines.push(`X-Big: ${"a".repeat(20_000)}`)
  const body = Buffer.from(plan.body, "latin1")
  let payload = Buffer.alloc(0)
  switch (plan.framing) {
    case "length":
      lines.push(`Content-Length: ${body.length}`)
      payload = body
      break
    case "wrongLength":
      lines.push(`Content-Length: ${Math.max(0, body.length - 1)}`)
      payload = body
      break
    case "negativeLength":
      lines.push("Content-Length: -5")
      payload = body
      break
    case "textLength":
      lines.push("Content-Length: ten")
      payload = body
      break
    case "twoLengths":
      lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`)
      payload = body
      break
    case "chunked":
      lines.push("Transfer-Encoding: chunked")
      payload = Buffer.concat([
        Buffer.from(`${body.length.toString(16)}\r\n`),
        body,
        Buffer.from("\r\n0\r\n\r\n"),
      ])
      break
    case "badChunk":
      lines.push("Transfer-Encoding: chunked")
      payload = Buffer.concat([Buffer.from("zz\r\n"), body, Buffer.from("\r\n0\r\n\r\n")])
      break
    case "lengthAndChunked":
      lines.push(`Content-Length: ${body.length}`, "Transfer-Encoding: chunked")
      payload = body
      break
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload])
}

/** Sends raw request bytes over a fresh connection and checks the first answer (if any). */
export function runRaw(port, plan) {
  const bytes = buildRaw(plan)
  return new Promise((resolve) => {
    let data = Buffer.alloc(0)
    let settled = false
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes))
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(checkRawAnswer(data.toString("latin1")))
    }
    const timer = setTimeout(finish, 1000)
    socket.on("data", (chunk) => {
      data = Buffer.concat([data, chunk])
      if (isCompleteAnswer(data.toString("latin1"))) finish()
    })
    socket.on("error", finish)
    socket.on("close", finish)
  })
}

function splitAnswer(text) {
  // Skips interim answers (100 Continue).
  let rest = text
  while (rest.startsWith("HTTP/1.1 100")) rest = rest.slice(rest.indexOf("\r\n\r\n") + 4)
  const end = rest.indexOf("\r\n\r\n")
  if (end < 0) return undefined
  const head = rest.slice(0, end)
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)
  const body = rest.slice(end + 4)
  return {
    head,
    body: length ? body.slice(0, Number(length[1])) : body,
    complete: length ? body.length >= Number(length[1]) : false,
  }
}

function isCompleteAnswer(text) {
  const answer = splitAnswer(text)
  return answer !== undefined && (answer.complete || answer.head.startsWith("HTTP/1.1 101"))
}

/** No answer (the request was incomplete) is fine; any answer must be a documented one. */
export function checkRawAnswer(text) {
  if (text === "") return undefined
  const answer = splitAnswer(text)
  if (answer === undefined) return `incomplete answer: ${JSON.stringify(text.slice(0, 80))}`
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.head)
  if (status === null) return `not an HTTP answer: ${JSON.stringify(answer.head.slice(0, 80))}`
  if (status[1] === "101") return undefined
  if (/\r\ntransfer-encoding: *chunked/i.test(answer.head)) return undefined
  return checkHttp({ status: Number(status[1]), text: answer.body })
}

// -- running ---------------------------------------------------------------------------------------------

/** Enrols the fuzzing devices and builds the group whose messages are mutated. */
export async function prepareContext(target, dataDir, tag = "fz") {
  const devices = []
  for (let i = 0; i < 4; i++)
    devices.push(
      await enrolFuzzDevice(
        target,
        dataDir,
        `${tag}${i}-${toB64(randomBytes(3))
          .toLowerCase()
          .replace(/[^a-z0-9]/g, "x")}`,
      ),
    )
  const ctx = {
    target,
    devices,
    group: undefined,
    strangerGroupId: toB64(randomBytes(32)),
    replay: { time: Date.now(), nonce: toB64(randomBytes(16)) },
    rebuilds: 0,
  }
  // A group the owner is not in: its requests get NOT_A_MEMBER.
  await devices[3].call("POST", "/v1/groups", { groupId: ctx.strangerGroupId })
  ctx.group = await buildGroup(devices[0], devices[1])
  return ctx
}

/** Between batches: start a fresh group if fuzzed commits moved the epoch on; empty the member's queue. */
async function maintain(ctx) {
  const [owner, member] = ctx.devices
  const group = await owner.call("GET", `/v1/groups/${ctx.group.groupId}`)
  if (group.epoch !== ctx.group.epoch) {
    ctx.group = await buildGroup(owner, member)
    ctx.rebuilds += 1
  }
  for (const d of ctx.devices) {
    const page = await d.call("GET", "/v1/queue?after=0&limit=500")
    const last = page.items[page.items.length - 1]
    if (last !== undefined) await d.call("POST", "/v1/queue/ack", { upTo: last.seq })
  }
  ctx.replay = { time: Date.now(), nonce: toB64(randomBytes(16)) }
}

async function pool(items, concurrency, work) {
  let next = 0
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      await work(items[i], i)
    }
  })
  await Promise.all(workers)
}

export function rssOfPid(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const m = /VmRSS:\s+(\d+) kB/.exec(status)
  return m ? Number(m[1]) * 1024 : 0
}

/**
 * Runs `inputs` fuzz inputs (a `wsShare` of them WebSocket sessions) in batches, checking every answer,
 * the server's health after every batch, and its memory. Stops early at the first crash.
 */
export async function fuzz(ctx, options) {
  const {
    inputs,
    seed,
    wsUrl,
    wsShare = 0.05,
    rawPort,
    rawShare = 0.02,
    batchSize = 2000,
    concurrency = 16,
    alive = () => true,
    rss = () => process.memoryUsage().rss,
    onBatch = () => undefined,
  } = options
  const result = {
    inputs: 0,
    httpInputs: 0,
    wsInputs: 0,
    rawInputs: 0,
    clientErrors: 0,
    crashes: 0,
    failures: [],
    statuses: {},
    codes: {},
    rssSamples: [],
    rebuilds: 0,
  }
  let batchIndex = 0
  while (result.inputs < inputs && result.crashes === 0) {
    const n = Math.min(batchSize, inputs - result.inputs)
    const wsCount = wsUrl === undefined ? 0 : Math.round(n * wsShare)
    const rawCount = rawPort === undefined ? 0 : Math.round(n * rawShare)
    const httpPlans = fc.sample(httpPlanArb, { numRuns: n - wsCount - rawCount, seed: seed + batchIndex * 3 })
    const rawPlans =
      rawCount === 0 ? [] : fc.sample(rawPlanArb, { numRuns: rawCount, seed: seed + batchIndex * 3 + 2 })
    const wsPlans =
      wsCount === 0 ? [] : fc.sample(wsPlanArb, { numRuns: wsCount, seed: seed + batchIndex * 3 + 1 })
    await pool(httpPlans, concurrency, async (plan) => {
      let request
      try {
        request = buildHttp(ctx, plan)
      } catch (err) {
        result.failures.push({ kind: "build", problem: String(err), plan })
        return
      }
      let res
      try {
        res = await ctx.target.request(request)
      } catch (err) {
        // The client library refused to send it (e.g. a header fetch forbids) or the connection failed.
        result.clientErrors += 1
        if (!alive()) result.crashes += 1
        else if (result.clientErrors < 5) result.lastClientError = String(err?.cause ?? err)
        return
      }
      result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1
      const code =
        res.status === 200 ? "OK" : request.method === "HEAD" ? "HEAD (no body)" : tryCode(res.text)
      result.codes[code] = (result.codes[code] ?? 0) + 1
      const problem = checkHttp(res, request.method)
      if (problem !== undefined && result.failures.length < 50) {
        result.failures.push({
          kind: "http",
          problem,
          request: {
            method: request.method,
            path: request.path.slice(0, 200),
            headers: request.headers,
            body: request.body?.subarray(0, 300).toString("latin1"),
          },
          status: res.status,
        })
      }
    })
    result.httpInputs += httpPlans.length
    await pool(wsPlans, Math.max(1, Math.floor(concurrency / 2)), async (plan) => {
      const problem = await runWs(ctx, wsUrl, plan)
      if (problem !== undefined && result.failures.length < 50)
        result.failures.push({ kind: "ws", problem, plan })
    })
    result.wsInputs += wsPlans.length
    await pool(rawPlans, concurrency, async (plan) => {
      const problem = await runRaw(rawPort, plan)
      if (problem !== undefined && result.failures.length < 50) {
        result.failures.push({
          kind: "raw",
          problem,
          request: buildRaw(plan).subarray(0, 300).toString("latin1"),
        })
      }
    })
    result.rawInputs += rawPlans.length
    result.inputs += n
    batchIndex += 1
    if (!alive()) {
      result.crashes += 1
      break
    }
    const health = await ctx.target.request({ method: "GET", path: "/v1/health", headers: {} })
    if (health.status !== 200) {
      result.crashes += 1
      result.failures.push({ kind: "health", problem: `health answered ${health.status}` })
      break
    }
    await maintain(ctx)
    result.rssSamples.push({ inputs: result.inputs, rss: rss() })
    onBatch(result)
  }
  result.rebuilds = ctx.rebuilds
  return result
}

/** RSS growth after warm-up: the last sample minus the sample after the first `warmup` fraction. */
export function rssGrowth(samples, warmup = 0.2) {
  if (samples.length < 2)
    return {
      warmRss: samples[0]?.rss ?? 0,
      endRss: samples[0]?.rss ?? 0,
      growth: 0,
      maxRss: samples[0]?.rss ?? 0,
    }
  const warmIndex = Math.min(samples.length - 2, Math.floor(samples.length * warmup))
  const warmRss = samples[warmIndex].rss
  const endRss = samples[samples.length - 1].rss
  return { warmRss, endRss, growth: endRss - warmRss, maxRss: Math.max(...samples.map((s) => s.rss)) }
}

function tryCode(text) {
  try {
    return String(JSON.parse(text)?.error?.code ?? "non-error")
  } catch {
    return "non-JSON"
  }
}

export { utf8 }
