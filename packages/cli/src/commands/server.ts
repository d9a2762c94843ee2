import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import {
  createInvite,
  hostPort,
  isLogLevel,
  listEntries,
  logLevels,
  revokeDevice,
  startServer,
  StartupError,
} from "@backchannel/server"
import { CliError, usageError } from "../cli-error.js"
import { formatTime, printJson, println, terminalSafe } from "../output.js"
import { existingDataDir, flag, positiveInt, requireOption, stringOption } from "./shared.js"
import type { Command } from "./types.js"
import { jsonOption } from "./types.js"

/** The web app built by scripts/setup.mjs (packages/web/dist), if it exists beside this CLI. */
function builtWebApp(): string | undefined {
  const dir = fileURLToPath(new URL("../../../web/dist/", import.meta.url))
  return existsSync(join(dir, "index.html")) ? dir : undefined
}

/** A server that could not start, told with what to do about it; anything else unchanged. */
function startupFailure(err: unknown, dataDir: string, host: string, port: string): unknown {
  if (!(err instanceof StartupError)) return err
  const address = hostPort(host, port)
  switch (err.code) {
    case "DATA_DIR_IN_USE":
      return new CliError(
        "DATA_DIR_IN_USE",
        `another backchannel server is already using ${dataDir}; stop it first (admin commands work while it runs)`,
      )
    case "ADDRESS_IN_USE":
      return new CliError(
        "ADDRESS_IN_USE",
        `${address} is already in use by another program; stop it or choose another --port`,
      )
    case "ADDRESS_NOT_PERMITTED":
      return new CliError(
        "ADDRESS_NOT_PERMITTED",
        `not permitted to listen on ${address} (ports below 1024 need privileges); choose another --port`,
      )
    case "ADDRESS_NOT_AVAILABLE":
      return new CliError(
        "ADDRESS_NOT_AVAILABLE",
        `${host} is not an address of this machine; choose another --host`,
      )
    default:
      return err
  }
}

export const serve: Command = {
  name: "serve",
  summary: "run the delivery server on its embedded SQLite database",
  usage:
    "serve --data DIR [--host 127.0.0.1] [--port 8080] [--queue-ttl-days 30] [--rate-limit 200/400] [--log-level warn] [--web-root DIR | --no-web] [--json]",
  options: {
    ...jsonOption,
    data: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "queue-ttl-days": { type: "string" },
    "rate-limit": { type: "string" },
    "log-level": { type: "string" },
    "web-root": { type: "string" },
    "no-web": { type: "boolean" },
  },
  run: async (ctx) => {
    const dataDir = resolve(requireOption(ctx, "data"))
    const host = stringOption(ctx, "host") ?? "127.0.0.1"
    const portText = stringOption(ctx, "port") ?? "8080"
    const port = Number(portText)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError("--port must be 0–65535")
    const queueTtlDays = positiveInt(ctx, "queue-ttl-days") ?? 30
    const logLevel = stringOption(ctx, "log-level") ?? "warn"
    if (!isLogLevel(logLevel)) throw usageError(`--log-level is one of ${logLevels.join(", ")}`)
    const webOption = stringOption(ctx, "web-root")
    const webRoot = flag(ctx, "no-web")
      ? undefined
      : webOption !== undefined
        ? resolve(webOption)
        : builtWebApp()
    if (webRoot !== undefined && !existsSync(join(webRoot, "index.html"))) {
      throw usageError("--web-root must be a built web app (a directory with index.html)")
    }
    const rateLimit = rateLimitOption(stringOption(ctx, "rate-limit"))
    const server = await startServer({
      dataDir,
      host,
      port,
      queueTtlDays,
      logLevel,
      ...(webRoot !== undefined ? { webRoot } : {}),
      ...(rateLimit !== undefined ? { config: { rateLimit } } : {}),
    }).catch((err: unknown) => {
      throw startupFailure(err, dataDir, host, portText)
    })
    if (flag(ctx, "json")) {
      printJson(ctx.io, {
        url: server.url,
        dataDir,
        ...(webRoot !== undefined ? { app: `${server.url}/` } : {}),
      })
    } else {
      println(ctx.io, `Backchannel server listening on ${server.url}`)
      if (webRoot !== undefined) {
        println(ctx.io, `Web app: ${server.url}/ (open it in a browser)`)
        println(ctx.io, `  an invite opens as a link too: ${server.url}/#/enrol?code=CODE`)
      } else println(ctx.io, "Web app not built: run `node scripts/setup.mjs` to build packages/web.")
      println(ctx.io, `Data directory: ${dataDir} (SQLite, WAL); queued messages kept ${queueTtlDays} days.`)
      println(ctx.io, "Create the first invite from another terminal (this works while the server runs):")
      println(
        ctx.io,
        `  npx backchannel admin invite --data ${dataDir} --handle alice --name "Alice Example"`,
      )
      println(
        ctx.io,
        `Then enrol a device: npx backchannel enroll --profile ./alice --server ${server.url} --invite CODE`,
      )
      println(ctx.io, "Stop with Ctrl-C.")
    }
    await new Promise<void>((resolveStop) => {
      process.once("SIGINT", resolveStop)
      process.once("SIGTERM", resolveStop)
    })
    await server.close()
  },
}

/** `--rate-limit PER_SECOND/BURST`: each device's token bucket (requests and WebSocket frames). */
function rateLimitOption(text: string | undefined): { perSecond: number; burst: number } | undefined {
  if (text === undefined) return undefined
  const match = /^([0-9]{1,7})\/([0-9]{1,7})$/.exec(text)
  const perSecond = Number(match?.[1])
  const burst = Number(match?.[2])
  if (match === null || perSecond < 1 || burst < 1) {
    throw usageError("--rate-limit is PER_SECOND/BURST, e.g. 200/400 (whole numbers, at least 1)")
  }
  return { perSecond, burst }
}

export const adminInvite: Command = {
  name: "admin invite",
  summary: "create a directory entry (if new) and print a one-time invite for its first device",
  usage:
    'admin invite --data DIR --handle H --name "N" [--title T] [--org O] [--country C] [--guest] [--ttl-days 7] [--json]',
  options: {
    ...jsonOption,
    data: { type: "string" },
    handle: { type: "string" },
    name: { type: "string" },
    title: { type: "string" },
    org: { type: "string" },
    country: { type: "string" },
    guest: { type: "boolean" },
    "ttl-days": { type: "string" },
  },
  run: async (ctx) => {
    const dataDir = resolve(requireOption(ctx, "data"))
    const handle = requireOption(ctx, "handle").toLowerCase()
    const name = stringOption(ctx, "name")
    const title = stringOption(ctx, "title")
    const organisation = stringOption(ctx, "org")
    const country = stringOption(ctx, "country")
    const ttlDays = positiveInt(ctx, "ttl-days") ?? 7
    const result = await createInvite(dataDir, {
      handle,
      ...(name !== undefined ? { displayName: name } : {}),
      ...(title !== undefined ? { title } : {}),
      ...(organisation !== undefined ? { organisation } : {}),
      ...(country !== undefined ? { country } : {}),
      kind: flag(ctx, "guest") ? "guest" : "member",
      ttlMs: ttlDays * 24 * 60 * 60 * 1000,
    })
    if (flag(ctx, "json")) {
      printJson(ctx.io, {
        invite: result.invite,
        handle: result.handle,
        expiresAt: result.expiresAt,
        created: result.createdEntry,
      })
      return
    }
    println(ctx.io, result.invite)
    ctx.io.stderr.write(
      `${result.createdEntry ? "Created" : "Existing"} directory entry ${result.handle}; the invite works once and expires ${new Date(result.expiresAt).toISOString()}.\n`,
    )
  },
}

export const adminList: Command = {
  name: "admin list",
  summary: "list the directory with each person's devices",
  usage: "admin list --data DIR [--json]",
  options: { ...jsonOption, data: { type: "string" } },
  run: async (ctx) => {
    const entries = await listEntries(existingDataDir(ctx))
    if (flag(ctx, "json")) {
      printJson(ctx.io, entries)
      return
    }
    if (entries.length === 0) {
      println(ctx.io, "The directory is empty: `backchannel admin invite` creates the first entry.")
      return
    }
    // One block per person: who they are, then every device with the id `admin revoke --device` takes.
    // Device names come from the enrolling device, so everything is printed terminal-safe.
    for (const e of entries) {
      const role = [e.title, e.organisation, e.country].filter((p) => p !== undefined && p !== "").join(", ")
      const active = e.devices.filter((d) => d.revokedAt === undefined).length
      println(
        ctx.io,
        terminalSafe(
          `${e.handle}  ${e.displayName}${role === "" ? "" : ` — ${role}`}  (${e.kind === "guest" ? "guest, labelled outsider" : "member"}; ${active} active device(s))`,
        ),
      )
      if (e.devices.length === 0) println(ctx.io, "    no device enrolled yet")
      for (const d of e.devices) {
        const revoked = d.revokedAt === undefined ? "" : `  REVOKED ${formatTime(d.revokedAt)}`
        println(
          ctx.io,
          terminalSafe(`    ${d.deviceId}  "${d.name}"  enrolled ${formatTime(d.createdAt)}${revoked}`),
        )
      }
    }
  },
}

export const adminRevoke: Command = {
  name: "admin revoke",
  summary: "revoke a device: it can no longer authenticate, and clients stop accepting its key",
  usage: "admin revoke --data DIR --device ID [--json]",
  options: { ...jsonOption, data: { type: "string" }, device: { type: "string" } },
  run: async (ctx) => {
    const deviceId = requireOption(ctx, "device")
    await revokeDevice(existingDataDir(ctx), deviceId)
    if (flag(ctx, "json")) printJson(ctx.io, { revoked: deviceId })
    else println(ctx.io, `Revoked device ${deviceId}.`)
  },
}
