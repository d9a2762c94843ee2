import { connect } from "node:net"
import { errorCatalog } from "@backchannel/protocol"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestServer } from "../testing/harness.js"
import type { TestServer } from "../testing/harness.js"

// Regression tests for what the fuzzer (bench/fuzz) found: requests refused by Node's HTTP parser and
// WebSocket upgrades refused by the ws library were answered with undocumented bodies
// (`{"error":"Bad Request","message":"Client Error","statusCode":400}`, a text/html 400, an empty 404).
// Every one must now carry a documented code with its documented status, in JSON.

let server: TestServer
let port = 0

/** Writes raw bytes to the server and returns everything it answers before closing (or 3 s). */
function raw(request: string): Promise<string> {
  return new Promise((resolve) => {
    let data = ""
    const socket = connect(port, "127.0.0.1", () => socket.write(request))
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(data)
    }, 3000)
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => (data += chunk))
    socket.on("error", () => undefined)
    socket.on("close", () => {
      clearTimeout(timer)
      resolve(data)
    })
  })
}

function expectDocumented(answer: string, status: number, code: keyof typeof errorCatalog): void {
  const [head = "", body = ""] = answer.split("\r\n\r\n")
  expect(head.split("\r\n")[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `))
  expect(head.toLowerCase()).toContain("content-type: application/json")
  expect(JSON.parse(body)).toEqual({ error: { code, message: errorCatalog[code].message } })
}

beforeAll(async () => {
  server = await startTestServer()
  port = Number(new URL(server.url).port)
})

afterAll(async () => {
  await server.close()
})

describe("requests Node's HTTP parser refuses", () => {
  it.each([
    ["a malformed request line", "GARBAGE\r\n\r\n"],
    ["a non-numeric Content-Length", "POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"],
    [
      "two Content-Lengths",
      "POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    ],
    [
      "a bad chunk size",
      "POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ],
    ["a NUL byte in the path", "GET /v1/he\0alth HTTP/1.1\r\nHost: x\r\n\r\n"],
  ])("answers %s with VALIDATION_FAILED", async (_name, request) => {
    expectDocumented(await raw(request), 400, "VALIDATION_FAILED")
  })

  it("answers headers beyond the size limit with PAYLOAD_TOO_LARGE", async () => {
    const answer = await raw(`GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)
    expectDocumented(answer, 413, "PAYLOAD_TOO_LARGE")
    expectDocumented(
      await raw(`GET /v1/${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      413,
      "PAYLOAD_TOO_LARGE",
    )
  })

  it("still serves well-formed requests afterwards", async () => {
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200)
  })
})

describe("WebSocket upgrades the server refuses", () => {
  const upgrade = (path: string, headers: string) =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}\r\n`
  const good = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

  it("answers an upgrade on another path with NOT_FOUND", async () => {
    expectDocumented(await raw(upgrade("/v1/me", good)), 404, "NOT_FOUND")
  })

  it.each([
    ["no key", "Sec-WebSocket-Version: 13\r\n"],
    ["a malformed key", "Sec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n"],
    ["an unknown version", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n"],
    ["a malformed subprotocol list", `${good}Sec-WebSocket-Protocol: a,,a\r\n`],
  ])("answers a handshake with %s with WS_PROTOCOL", async (_name, headers) => {
    expectDocumented(await raw(upgrade("/v1/ws", headers)), 400, "WS_PROTOCOL")
  })

  it("still accepts a valid handshake", async () => {
    const answer = await raw(upgrade("/v1/ws", good))
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 101 Switching Protocols")
  })
})
