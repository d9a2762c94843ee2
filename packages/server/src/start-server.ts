import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { databasePath } from "./admin.js"
import { systemClock } from "./config.js"
import type { Clock, ConfigOverrides } from "./config.js"
import { tryExclusiveLock } from "./file-lock.js"
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

/** The lock file a running server holds in its data directory (see `startServer`). */
export const serverLockFileName = "server.lock.db"

/** Why a server could not start, by a stable code (the CLI reports each with advice). */
export type StartupFailure =
  /** Another server (another process, or one still open in this one) holds the data directory. */
  | "DATA_DIR_IN_USE"
  /** Another process listens on the host and port. */
  | "ADDRESS_IN_USE"
  /** Listening there is not permitted (e.g. a port below 1024 without the privilege). */
  | "ADDRESS_NOT_PERMITTED"
  /** The host is not an address of this machine. */
  | "ADDRESS_NOT_AVAILABLE"

export class StartupError extends Error {
  constructor(
    readonly code: StartupFailure,
    message: string,
  ) {
    super(message)
    this.name = "StartupError"
  }
}

/** `host:port` as it appears in a URL (an IPv6 host in brackets). */
export function hostPort(host: string, port: number | string): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`
}

const listenFailures: Record<string, StartupFailure> = {
  EADDRINUSE: "ADDRESS_IN_USE",
  EACCES: "ADDRESS_NOT_PERMITTED",
  EADDRNOTAVAIL: "ADDRESS_NOT_AVAILABLE",
}

/**
 * Opens the SQLite store in `dataDir`, starts the periodic queue purge, and listens.
 *
 * One server per data directory: a second one would share the database but not the first one's
 * in-memory state (who is connected, which message hashes are held), so a message it stored would not
 * reach devices connected to the first until they reconnected. The server holds an exclusive lock on
 * `server.lock.db` in the directory until `close()` (the kernel drops it if the process dies); a second
 * server is refused with DATA_DIR_IN_USE. The admin commands open the database without that lock and
 * keep working while the server runs.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  const unlock = tryExclusiveLock(join(options.dataDir, serverLockFileName))
  if (unlock === undefined) {
    throw new StartupError("DATA_DIR_IN_USE", "another server is using this data directory")
  }
  try {
    return await start(options, unlock)
  } catch (err) {
    unlock()
    throw err
  }
}

async function start(options: StartServerOptions, unlock: () => void): Promise<RunningServer> {
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
    const code = (err as { code?: unknown }).code
    const failure = typeof code === "string" ? listenFailures[code] : undefined
    if (failure !== undefined) {
      throw new StartupError(
        failure,
        `cannot listen on ${hostPort(host, options.port ?? 0)} (${String(code)})`,
      )
    }
    throw err
  }
  const address = app.server.address()
  const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0)
  log.info("listening", { host, port })

  let closed: Promise<void> | undefined
  return {
    url: `http://${hostPort(host, port)}`,
    host,
    port,
    close: () => {
      closed ??= (async () => {
        clearInterval(purgeTimer)
        clearInterval(expiryTimer)
        try {
          await app.close()
          await store.close()
        } finally {
          unlock()
        }
        log.info("closed")
      })()
      return closed
    },
  }
}
