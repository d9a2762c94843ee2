import { rmSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { BackchannelClient } from "@backchannel/core"
import { formatInviteCode } from "@backchannel/protocol"
import { usageError } from "../cli-error.js"
import { printJson, println } from "../output.js"
import { createProfile } from "../profile/profile.js"
import { flag, requireOption, stringOption, withClient } from "./shared.js"
import type { Command } from "./types.js"
import { profileOptions } from "./types.js"

export const enroll: Command = {
  name: "enroll",
  summary: "enrol this device with an invite code (creates the profile)",
  usage: "enroll --profile DIR --server URL --invite CODE [--device NAME] [--key-file FILE] [--json]",
  options: {
    ...profileOptions,
    server: { type: "string" },
    invite: { type: "string" },
    device: { type: "string" },
  },
  run: async (ctx) => {
    const dir = requireOption(ctx, "profile")
    const server = requireOption(ctx, "server")
    const invite = requireOption(ctx, "invite")
    if (!/^https?:\/\/[^\s/]+/.test(server)) throw usageError("--server must be an http:// or https:// URL")
    const deviceName = stringOption(ctx, "device") ?? `cli on ${hostname()}`
    const keyFile = stringOption(ctx, "key-file")
    const profile = await createProfile(dir, {
      ...(keyFile !== undefined ? { keyFile } : {}),
      askPassphrase: (prompt) => ctx.io.askSecret(prompt),
    })
    let ok = false
    try {
      const client = await BackchannelClient.enrol(profile.platform, {
        serverUrl: server,
        invite,
        deviceName,
      })
      const me = await client.person(client.identity.handle)
      ok = true
      if (flag(ctx, "json")) {
        printJson(ctx.io, {
          handle: client.identity.handle,
          device: client.identity.deviceId,
          deviceName,
          displayName: me?.displayName ?? null,
        })
        return
      }
      println(
        ctx.io,
        `Enrolled ${me?.displayName ?? client.identity.handle} (${client.identity.handle}) on ${server}.`,
      )
      println(ctx.io, `This device: "${deviceName}" (${client.identity.deviceId}). Profile: ${dir}`)
    } finally {
      await profile.release()
      if (!ok) discardProfile(dir)
    }
  },
}

/** A failed enrolment leaves no half-made profile behind, so the user can simply try again. */
function discardProfile(dir: string): void {
  for (const name of ["profile.json", "profile.db", "profile.db-wal", "profile.db-shm"]) {
    rmSync(join(dir, name), { force: true })
  }
}

export const whoami: Command = {
  name: "whoami",
  summary: "show this device's identity and the user's devices",
  usage: "whoami --profile DIR [--json]",
  options: profileOptions,
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      const me = await client.lookup(client.identity.handle)
      const devices = (me?.devices ?? []).map((d) => ({
        device: d.deviceId,
        name: d.name,
        revoked: d.revokedAt !== undefined,
        thisDevice: d.deviceId === client.identity.deviceId,
      }))
      if (flag(ctx, "json")) {
        printJson(ctx.io, { ...client.identity, displayName: me?.displayName ?? null, devices })
        return
      }
      println(ctx.io, `${me?.displayName ?? ""} (${client.identity.handle}) on ${client.identity.serverUrl}`)
      for (const d of devices) {
        println(
          ctx.io,
          `  ${d.device}  ${d.name}${d.thisDevice ? "  (this device)" : ""}${d.revoked ? "  (revoked)" : ""}`,
        )
      }
    })
  },
}

export const deviceInvite: Command = {
  name: "device invite",
  summary: "create an invite with which another device of yours can enrol",
  usage: "device invite --profile DIR [--json]",
  options: profileOptions,
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      const { invite, expiresAt } = await client.createDeviceInvite()
      if (flag(ctx, "json")) {
        printJson(ctx.io, { invite, expiresAt })
        return
      }
      println(ctx.io, formatInviteCode(invite.replace(/-/g, "")))
      ctx.io.stderr.write(
        `Enrol your other device with: backchannel enroll --profile DIR --server ${client.identity.serverUrl} --invite CODE\n` +
          `The invite works once and expires ${new Date(expiresAt).toISOString()}.\n`,
      )
    })
  },
}
