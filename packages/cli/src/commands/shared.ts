import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { BackchannelClient } from "@backchannel/core"
import { databasePath } from "@backchannel/server"
import { CliError, usageError } from "../cli-error.js"
import { openProfile } from "../profile/profile.js"
import type { CommandContext } from "./types.js"

export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name]
  return typeof value === "string" ? value : undefined
}

export function requireOption(ctx: CommandContext, name: string): string {
  const value = stringOption(ctx, name)
  if (value === undefined || value.length === 0) throw usageError(`--${name} is required`)
  return value
}

/**
 * `--data` for the admin commands that only read or change an existing directory: a path without the
 * server's database is refused (NO_DATA) instead of getting a new, empty database, so a mistyped path
 * neither lists an empty directory nor "revokes" into nowhere.
 */
export function existingDataDir(ctx: CommandContext): string {
  const dataDir = resolve(requireOption(ctx, "data"))
  if (!existsSync(databasePath(dataDir))) {
    throw new CliError(
      "NO_DATA",
      `no Backchannel database in ${dataDir}: give --data the directory \`backchannel serve --data\` uses`,
    )
  }
  return dataDir
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true
}

/** Splits `a,b, c` into handles. */
export function listOption(ctx: CommandContext, name: string): string[] {
  const items = requireOption(ctx, name)
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0)
  if (items.length === 0) throw usageError(`--${name} needs at least one handle`)
  return items
}

export function positiveInt(ctx: CommandContext, name: string): number | undefined {
  const raw = stringOption(ctx, name)
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw usageError(`--${name} must be a positive whole number`)
  return value
}

/** Opens the profile's device, runs `task` with it, and always releases the profile. */
export async function withClient<T>(
  ctx: CommandContext,
  task: (client: BackchannelClient) => Promise<T>,
): Promise<T> {
  const dir = requireOption(ctx, "profile")
  const keyFile = stringOption(ctx, "key-file")
  const profile = await openProfile(dir, {
    ...(keyFile !== undefined ? { keyFile } : {}),
    askPassphrase: (prompt) => ctx.io.askSecret(prompt),
  })
  try {
    const client = await BackchannelClient.open(profile.platform)
    return await task(client)
  } finally {
    await profile.release()
  }
}

export function notFound(what: string): CliError {
  return new CliError("NOT_FOUND", what)
}
