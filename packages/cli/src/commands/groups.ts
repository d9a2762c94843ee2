import { printJson, println } from "../output.js"
import { withConfirmations } from "../confirm.js"
import { conversationTitle, describeDefaults, Names } from "../render.js"
import { termsFrom } from "./messaging.js"
import { formatTime } from "../output.js"
import { flag, listOption, requireOption, withClient } from "./shared.js"
import type { Command } from "./types.js"
import { profileOptions } from "./types.js"

export const groupCreate: Command = {
  name: "group create",
  summary: "create a group conversation and print its id",
  usage: 'group create --profile DIR --name "NAME" --members h1,h2 [--verified-only] [--yes] [--json]',
  options: {
    ...profileOptions,
    name: { type: "string" },
    members: { type: "string" },
    "verified-only": { type: "boolean" },
    yes: { type: "boolean" },
  },
  run: async (ctx) => {
    const name = requireOption(ctx, "name")
    const members = listOption(ctx, "members")
    await withClient(ctx, async (client) => {
      const group = await withConfirmations(
        ctx.io,
        { confirmNewPeople: flag(ctx, "yes"), confirmStanding: false },
        { newPeople: "--yes", standing: "" },
        (c) => client.createGroup(name, members, { verifiedOnly: flag(ctx, "verified-only"), ...c }),
      )
      if (flag(ctx, "json")) {
        printJson(ctx.io, { group: group.id, members: [...new Set(group.members.map((m) => m.handle))] })
        return
      }
      println(ctx.io, group.id)
      ctx.io.stderr.write(
        `Created "${name}" with ${new Set(group.members.map((m) => m.handle)).size} people.\n`,
      )
    })
  },
}

function changeMembers(kind: "add" | "remove"): Command {
  return {
    name: `group ${kind}`,
    summary: kind === "add" ? "add people to a group" : "remove people from a group",
    usage: `group ${kind} --profile DIR --group ID --members h1,h2${kind === "add" ? " [--yes]" : ""} [--json]`,
    options: {
      ...profileOptions,
      group: { type: "string" },
      members: { type: "string" },
      ...(kind === "add" ? { yes: { type: "boolean" as const } } : {}),
    },
    run: async (ctx) => {
      const groupId = requireOption(ctx, "group")
      const members = listOption(ctx, "members")
      await withClient(ctx, async (client) => {
        const group =
          kind === "add"
            ? await withConfirmations(
                ctx.io,
                { confirmNewPeople: flag(ctx, "yes"), confirmStanding: false },
                { newPeople: "--yes", standing: "" },
                (c) => client.addMembers(groupId, members, c),
              )
            : await client.removeMembers(groupId, members)
        const people = [...new Set(group.members.map((m) => m.handle))]
        if (flag(ctx, "json")) {
          printJson(ctx.io, { group: group.id, members: people })
          return
        }
        const names = new Names(client, client.identity.handle)
        println(
          ctx.io,
          `${await conversationTitle(group, names)} now has: ${(await Promise.all(people.map((h) => names.of(h)))).join(", ")}`,
        )
      })
    },
  }
}

export const groupAdd = changeMembers("add")
export const groupRemove = changeMembers("remove")

export const members: Command = {
  name: "members",
  summary: "who is in a conversation, since when, verified or outsider",
  usage: "members --profile DIR --group ID [--json]",
  options: { ...profileOptions, group: { type: "string" } },
  run: async (ctx) => {
    const groupId = requireOption(ctx, "group")
    await withClient(ctx, async (client) => {
      await client.sync()
      const group = await client.conversation(groupId)
      const byHandle = new Map<string, { since: number; devices: string[] }>()
      for (const m of group.members) {
        const row = byHandle.get(m.handle) ?? { since: m.since, devices: [] }
        row.since = Math.min(row.since, m.since)
        row.devices.push(m.deviceId)
        byHandle.set(m.handle, row)
      }
      const rows = []
      for (const [handle, row] of byHandle) {
        const entry = await client.person(handle)
        rows.push({
          handle,
          displayName: entry?.displayName ?? null,
          title: entry?.title ?? null,
          organisation: entry?.organisation ?? null,
          verified: entry?.kind === "member",
          outsider: entry?.kind !== "member",
          since: row.since,
          devices: row.devices,
        })
      }
      if (flag(ctx, "json")) {
        printJson(ctx.io, rows)
        return
      }
      const names = new Names(client, client.identity.handle)
      const rules = [
        group.verifiedOnly === true ? "verified members only" : undefined,
        group.defaultTerms !== undefined
          ? `default terms: ${describeDefaults(group.defaultTerms)}`
          : undefined,
        group.status === "frozen" ? `FROZEN: ${group.frozenReason ?? ""}` : undefined,
      ].filter((r): r is string => r !== undefined)
      println(
        ctx.io,
        `${await conversationTitle(group, names)}: ${rows.length} people${rules.length > 0 ? ` (${rules.join("; ")})` : ""}`,
      )
      for (const r of rows) {
        const badge = r.verified ? "verified" : "OUTSIDER"
        println(
          ctx.io,
          `  ${(await names.of(r.handle)).padEnd(40)} ${badge.padEnd(9)} since ${formatTime(r.since)}  ${r.devices.length} device(s)`,
        )
      }
    })
  },
}

export const groupTerms: Command = {
  name: "group terms",
  summary: "set a conversation's default confidentiality terms (every member sees the change)",
  usage:
    "group terms --profile DIR --group ID [--label L] [--expires 1d] [--view-once] [--no-forward] [--json]",
  options: {
    ...profileOptions,
    group: { type: "string" },
    label: { type: "string" },
    expires: { type: "string" },
    "view-once": { type: "boolean" },
    "no-forward": { type: "boolean" },
  },
  run: async (ctx) => {
    const groupId = requireOption(ctx, "group")
    const terms = termsFrom(ctx)
    await withClient(ctx, async (client) => {
      const group = await client.setDefaultTerms(groupId, terms)
      if (flag(ctx, "json")) {
        printJson(ctx.io, { group: group.id, defaultTerms: group.defaultTerms ?? null })
        return
      }
      println(ctx.io, `Default terms are now: ${describeDefaults(group.defaultTerms ?? {})}`)
    })
  },
}
