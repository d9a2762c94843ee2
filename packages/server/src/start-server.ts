import { mkdirSync } from "node:fs"
import { databasePath } from "./admin.js"
import { systemClock } from "./config.js"
import type { Clock, ConfigOverrides } from "./config.js"
import { createApp } from "./http/app.js"
import { createLogger, describeError } from "./log.js"
import type { LogLevel, LogSink } from "./log.js"
import { SqliteStore } from "./store/sqlite-store.js"

export interface StartServerOptions {
  /** Directory for `backchannel.db` (created, mode 0700, if missing). */
  dataDir: string
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0 (any free port). */
  port?: number
  /** Queue TTL in days (default 30). */
  queueTtlDays?: number
  /** Default "warn". */
  logLevel?: LogLevel
  /** Where log lines go (default stderr). */
  logSink?: LogSink
  /** SQLite durability: FULL (default, survives power loss) or NORMAL (survives a process crash). */
  synchronous?: "FULL" | "NORMAL"
  /** Further tuning (rate limits, timeouts...). */
  config?: ConfigOverrides
  clock?: Clock
  /** A built web app (packages/web/dist) to serve at `/`. */
  webRoot?: string
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8443` */
  url: string
  host: string
  port: number
  /** Stops accepting, closes WebSocket sessions, waits for in-flight requests, flushes and closes the DB. */
  close(): Promise<void>
}

/** Opens the SQLite store in `dataDir`, starts the periodic queue purge, and listens. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  const log = createLogger(options.logLevel ?? "warn", options.logSink)
  const clock = options.clock ?? systemClock
  const store = new SqliteStore(databasePath(options.dataDir), {
    synchronous: options.synchronous ?? "FULL",
    onCheckpointFailure: (err) => {
      log.warn("checkpoint worker failed; checkpoints run on the event loop", describeError(err))
    },
  })
  const config: ConfigOverrides = { ...options.config }
  if (options.queueTtlDays !== undefined) config.queueTtlMs = options.queueTtlDays * 24 * 60 * 60 * 1000
  let app
  try {
    app = createApp(store, {
      config,
      clock,
      logger: log,
      ...(options.webRoot !== undefined ? { webRoot: options.webRoot } : {}),
    })
  } catch (err) {
    await store.close()
    throw err
  }
  const { queueTtlMs, purgeIntervalMs, messageExpiryIntervalMs } = app.backchannel.config

  const purge = async (): Promise<void> => {
    try {
      const removed = await store.purgeExpired(clock.now() - queueTtlMs)
      if (removed > 0) log.info("queue purge", { count: removed })
    } catch (err) {
      log.error("queue purge failed", describeError(err))
    }
  }
  await purge()
  const purgeTimer = setInterval(() => {
    void purge()
  }, purgeIntervalMs)
  purgeTimer.unref()
  const expire = async (): Promise<void> => {
    try {
      const removed = await store.purgeExpiredMessages(clock.now())
      if (removed > 0) log.info("expired messages purged", { count: removed })
    } catch (err) {
      log.error("message expiry purge failed", describeError(err))
    }
  }
  const expiryTimer = setInterval(() => {
    void expire()
  }, messageExpiryIntervalMs)
  expiryTimer.unref()

  const host = options.host ?? "127.0.0.1"
  try {
    await app.listen({ host, port: options.port ?? 0 })
  } catch (err) {
    clearInterval(purgeTimer)
    clearInterval(expiryTimer)
    await app.close()
    await store.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0)
  const urlHost = host.includes(":") ? `[${host}]` : host
  log.info("listening", { host, port })

  let closed: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    close: () => {
      closed ??= (async () => {
        clearInterval(purgeTimer)
        clearInterval(expiryTimer)
        await app.close()
        await store.close()
        log.info("closed")
      })()
      return closed
    },
  }
}
