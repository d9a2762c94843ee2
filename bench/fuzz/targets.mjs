// The two kinds of server the fuzzer drives: a real `backchannel serve` process (over loopback HTTP and
// WebSocket), and the same app in this process (Fastify inject for HTTP, a loopback listener for WebSocket)
// for throughput.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { createApp, createLogger, databasePath, SqliteStore } from "@backchannel/server"
import { fetchTarget, injectTarget } from "./context.mjs"
import { rssOfPid } from "./engine.mjs"

const cliBin = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url))

/** Starts `backchannel serve` (default configuration: durable SQLite, default rate limits). */
export async function processServer() {
  const dataDir = mkdtempSync(join(tmpdir(), "bc-fuzz-"))
  const child = spawn(
    process.execPath,
    [cliBin, "serve", "--data", dataDir, "--host", "127.0.0.1", "--port", "0", "--json"],
    { stdio: ["ignore", "pipe", "pipe"] },
  )
  let output = ""
  child.stderr.setEncoding("utf8").on("data", (c) => (output += c))
  child.stdout.setEncoding("utf8")
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    child.stdout.on("data", (chunk) => {
      output += chunk
      const line = output.split("\n").find((l) => l.startsWith("{") && l.includes('"url"'))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(JSON.parse(line).url)
      }
    })
    child.once("exit", (code) => reject(new Error(`server exited (${code}):\n${output}`)))
  })
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)))
  return {
    dataDir,
    target: fetchTarget(url),
    wsUrl: `${url.replace(/^http/, "ws")}/v1/ws`,
    port: Number(new URL(url).port),
    alive: () => child.exitCode === null && child.signalCode === null,
    rss: () => rssOfPid(child.pid),
    /** What the server wrote to stderr (its warn/error log lines). */
    output: () => output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      const code = await exited
      rmSync(dataDir, { recursive: true, force: true })
      return code
    },
  }
}

/** The app in this process on a SQLite file; rate limits raised so one device can send every input. */
export async function inProcessServer() {
  const dataDir = mkdtempSync(join(tmpdir(), "bc-fuzz-"))
  const store = new SqliteStore(databasePath(dataDir), { synchronous: "NORMAL" })
  const lines = []
  const logger = createLogger("warn", (line) => lines.push(line))
  const app = createApp(store, { config: { rateLimit: { perSecond: 1e9, burst: 1e9 } }, logger })
  await app.listen({ host: "127.0.0.1", port: 0 })
  const { port } = app.server.address()
  return {
    dataDir,
    target: injectTarget(app),
    wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
    port,
    alive: () => true,
    rss: () => {
      globalThis.gc?.()
      return process.memoryUsage().rss
    },
    output: () => lines.join("\n"),
    async close() {
      await app.close()
      await store.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
