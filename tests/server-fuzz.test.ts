import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkHttp, checkRawAnswer, checkWs, fuzz, prepareContext, rssGrowth } from "../bench/fuzz/engine.mjs"
import type { FuzzContext } from "../bench/fuzz/engine.mjs"
import { processServer } from "../bench/fuzz/targets.mjs"
import type { FuzzServer } from "../bench/fuzz/targets.mjs"

// Property-based fuzzing (fast-check, bench/fuzz/engine.mjs) of a real server process: every HTTP endpoint,
// raw requests on a socket, WebSocket frames and the MLS message intake. A small budget here; `npm run bench:fuzz` runs ≥ 1,000,000.

let server: FuzzServer
let ctx: FuzzContext

beforeAll(async () => {
  server = await processServer()
  ctx = await prepareContext(server.target, server.dataDir, "t")
})

afterAll(async () => {
  await server.close()
})

describe("the property checks themselves", () => {
  it("reject undocumented codes, wrong statuses, INTERNAL, extra fields and leaks", () => {
    const body = (error: Record<string, unknown>) => JSON.stringify({ error })
    const documented = "A field is missing, has the wrong type or size, or is not part of this request."
    expect(checkHttp({ status: 400, text: body({ code: "VALIDATION_FAILED", message: documented }) })).toBe(
      undefined,
    )
    expect(checkHttp({ status: 418, text: body({ code: "TEAPOT", message: "x" }) })).toMatch(/undocumented/)
    expect(
      checkHttp({ status: 500, text: body({ code: "VALIDATION_FAILED", message: documented }) }),
    ).toMatch(/status 500/)
    expect(checkHttp({ status: 500, text: body({ code: "INTERNAL", message: "x" }) })).toMatch(/INTERNAL/)
    expect(
      checkHttp({ status: 400, text: body({ code: "VALIDATION_FAILED", message: documented, stack: "s" }) }),
    ).toMatch(/field stack/)
    expect(checkHttp({ status: 400, text: "TypeError: x at foo (/app/dist/x.js:1:2)" })).toMatch(/leaks/)
    const leaked = (text: string) =>
      checkHttp({ status: 400, text: body({ code: "INTERNAL", message: text }) })
    expect(leaked("SqliteError: UNIQUE constraint failed")).toMatch(/leaks/)
    expect(leaked("SQLITE_BUSY: database is locked")).toMatch(/leaks/)
    expect(leaked("FST_ERR_CTP_INVALID_MEDIA_TYPE")).toMatch(/leaks/)
    // A correct answer whose random group id holds "FSt_" (the 1,000,000-input run of 2026-12-06 found one).
    const created = JSON.stringify({ groupId: "iSRiebRjnfMf8zzegn1ylSg5N8aFSt_YlyrKrh5hcqA", epoch: "0" })
    expect(checkHttp({ status: 200, text: created })).toBe(undefined)
    expect(checkHttp({ status: 502, text: "<html>" })).toMatch(/JSON/)
    // Fastify's own answer to a request Node's parser refused, before the fix in http/app.ts.
    const fastifyDefault =
      'HTTP/1.1 400 Bad Request\r\nContent-Length: 65\r\nContent-Type: application/json\r\n\r\n{"error":"Bad Request","message":"Client Error","statusCode":400}'
    expect(checkRawAnswer(fastifyDefault)).toMatch(/error object/)
    expect(checkRawAnswer("")).toBe(undefined)
    expect(checkWs(['{"t":"pong"}'], 4002)).toBe(undefined)
    expect(checkWs(['{"t":"pong"}'], 1006)).toMatch(/1006/)
    expect(checkWs(['{"t":"error","error":{"code":"NOPE","message":"x"}}'], 4002)).toMatch(/undocumented/)
  })
})

describe("fuzzing a running server process", () => {
  it("answers 6,000 fuzzed inputs with documented errors, stays up, and does not grow without bound", async () => {
    const result = await fuzz(ctx, {
      inputs: 6000,
      seed: 20261122,
      wsUrl: server.wsUrl,
      wsShare: 0.05,
      rawPort: server.port,
      rawShare: 0.05,
      batchSize: 1000,
      concurrency: 8,
      alive: server.alive,
      rss: server.rss,
    })
    expect(result.failures).toEqual([])
    expect(result.crashes).toBe(0)
    expect(server.alive()).toBe(true)
    expect(result.inputs).toBe(6000)
    expect(result.wsInputs).toBeGreaterThan(200)
    expect(result.rawInputs).toBeGreaterThan(200)
    // The inputs reached every layer: authentication, validation, the MLS framing checks and the group rules.
    for (const code of [
      "OK",
      "AUTH_REQUIRED",
      "AUTH_INVALID",
      "AUTH_EXPIRED",
      "BAD_JSON",
      "VALIDATION_FAILED",
      "UNSUPPORTED_MEDIA_TYPE",
      "NOT_FOUND",
      "MLS_MESSAGE_INVALID",
      "STALE_EPOCH",
      "NOT_A_MEMBER",
    ]) {
      expect(result.codes[code] ?? 0, code).toBeGreaterThan(0)
    }
    // Nothing was logged as a server failure.
    expect(server.output()).not.toMatch(/"level":"error"/)
    const growth = rssGrowth(result.rssSamples)
    expect(growth.growth).toBeLessThan(64 * 2 ** 20)
  }, 120_000)
})
