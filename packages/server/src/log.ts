/**
 * The server's logger. It writes one JSON object per line and accepts only the fields below, all of
 * them about the request and never about its content: no bodies, query strings, headers, handles,
 * device ids, invite codes, keys or the message of a foreign error (which may interpolate input).
 * Quiet by default (warnings and errors only).
 */
export const logLevels = ["silent", "error", "warn", "info", "debug"] as const
export type LogLevel = (typeof logLevels)[number]

export interface LogFields {
  /** HTTP method. */
  method?: string
  /** Route pattern (e.g. `/v1/groups/:groupId`), never the URL. */
  route?: string
  status?: number
  ms?: number
  /** A protocol error code or a fixed, code-like identifier of a failure (e.g. `SQLITE_BUSY`). */
  code?: string
  /** The class name of an unexpected error. */
  error?: string
  /** A WebSocket close code. */
  closeCode?: number
  count?: number
  host?: string
  port?: number
}

export interface Logger {
  readonly level: LogLevel
  error(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  debug(event: string, fields?: LogFields): void
  enabled(level: Exclude<LogLevel, "silent">): boolean
}

export type LogSink = (line: string) => void

const rank: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 }

export function isLogLevel(value: string): value is LogLevel {
  return (logLevels as readonly string[]).includes(value)
}

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`)
}

export function createLogger(level: LogLevel = "warn", sink: LogSink = stderrSink): Logger {
  const threshold = rank[level]
  const write = (lvl: Exclude<LogLevel, "silent">, event: string, fields?: LogFields): void => {
    if (rank[lvl] > threshold) return
    sink(JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...safeFields(fields) }))
  }
  return {
    level,
    error: (event, fields) => {
      write("error", event, fields)
    },
    warn: (event, fields) => {
      write("warn", event, fields)
    },
    info: (event, fields) => {
      write("info", event, fields)
    },
    debug: (event, fields) => {
      write("debug", event, fields)
    },
    enabled: (lvl) => rank[lvl] <= threshold,
  }
}

export const silentLogger: Logger = createLogger("silent", () => undefined)

const codeLike = /^[A-Za-z0-9_.:-]{1,64}$/

/** Drops anything that is not a plain number or a short code-like string, whatever a caller passed. */
function safeFields(fields: LogFields | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  if (fields === undefined) return out
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "number" && Number.isFinite(value)) out[key] = value
    else if (typeof value === "string" && (key === "route" ? routeLike.test(value) : codeLike.test(value))) {
      out[key] = value
    }
  }
  return out
}

/** Route patterns are fixed strings from our own route table: `/v1/...` with `:params`, no query. */
const routeLike = /^\/[A-Za-z0-9/:_-]{0,100}$/

/** A name safe to log for an unexpected error: its class name and, if code-like, its `code`. */
export function describeError(err: unknown): LogFields {
  const fields: LogFields = {}
  if (err instanceof Error) fields.error = err.constructor.name
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined
  if (typeof code === "string" && codeLike.test(code)) fields.code = code
  return fields
}
