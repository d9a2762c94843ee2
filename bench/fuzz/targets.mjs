// The two kinds of server the fuzzer drives: a real `backchannel serve` process (over loopback HTTP and
// WebSocket), and the same app in this process (Fastify inject for HTTP, a loopback listener for WebSocket)
// for throughput.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createApp, createLogger, databasePath, SqliteStore } from "@backchannel/server"
import { fetchTarget, injectTarget } from "./context.mjs"
import { rssOfPid } from "./engine.mjs"
import { serveProcess } from "../lib/serve.mjs"

/** Starts `backchannel serve` (default configuration: durable SQLite, default rate limits). */
export async function processServer() {
  const dataDir = mkdtempSync(join(tmpdir(), "bc-fuzz-"))
  const { child, ready, exited, output } = serveProcess(dataDir)
  const url = await ready
  return {
    dataDir,
    target: fetchTarget(url),
    wsUrl: `${url.replace(/^http/, "ws")}/v1/ws`,
    port: Number(new URL(url).port),
    alive: () => child.exitCode === null && child.signalCode === null,
    rss: () => rssOfPid(child.pid),
    /** What the server wrote to stderr (its warn/error log lines). */
    output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      const { code, signal } = await exited
      rmSync(dataDir, { recursive: true, force: true })
      return code ?? signal
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
