import { DeliveryUnavailableError } from "@backchannel/core"
import { getLabels, setLabels } from "@backchannel/server"
import { resolve } from "node:path"
import { CliError } from "../cli-error.js"
import { withConfirmations } from "../confirm.js"
import { formatTime, printJson, println, terminalSafe } from "../output.js"
import { describeTerms, Names } from "../render.js"
import { reportSent, sendOptions, targetFrom, termsFrom } from "./messaging.js"
import { existingDataDir, flag, requireOption, stringOption, withClient } from "./shared.js"
import type { Command } from "./types.js"
import { jsonOption, profileOptions } from "./types.js"

export const view: Command = {
  name: "view",
  summary: "open a view-once message: it is shown once, then deleted from this device",
  usage: "view --profile DIR --message ID [--json]",
  options: { ...profileOptions, message: { type: "string" } },
  run: async (ctx) => {
    const messageId = requireOption(ctx, "message")
    await withClient(ctx, async (client) => {
      const message = await client.viewOnce(messageId)
      if (flag(ctx, "json")) {
        printJson(ctx.io, {
          id: message.id,
          sender: message.sender.handle,
          text: message.text ?? "",
          terms: message.terms ?? null,
        })
        return
      }
      const names = new Names(client, client.identity.handle)
      println(
        ctx.io,
        `${formatTime(message.sentAt)}  ${await names.of(message.sender.handle)}: ${describeTerms(message.terms)}`,
      )
      println(ctx.io, terminalSafe(message.text ?? ""))
      ctx.io.stderr.write("(This view-once message is now deleted from this device.)\n")
    })
  },
}

export const forwardCommand: Command = {
  name: "forward",
  summary: "forward a message to a person or group (refused when its terms forbid forwarding)",
  usage: "forward --profile DIR --message ID (--to HANDLE | --group ID) [--yes] [--send-anyway] [--json]",
  options: {
    ...profileOptions,
    ...sendOptions,
    message: { type: "string" },
    to: { type: "string" },
    group: { type: "string" },
  },
  run: async (ctx) => {
    const messageId = requireOption(ctx, "message")
    const target = targetFrom(ctx)
    const terms = termsFrom(ctx)
    await withClient(ctx, async (client) => {
      const message = await withConfirmations(
        ctx.io,
        { confirmNewPeople: flag(ctx, "yes"), confirmStanding: flag(ctx, "send-anyway") },
        { newPeople: "--yes", standing: "--send-anyway" },
        (c) => client.forward(messageId, target, { terms, ...c }),
      )
      await reportSent(ctx, client, message)
    })
  },
}

export const trustRecord: Command = {
  name: "trust record",
  summary: "record a breach against a person, from a leak check that attributed the leak to them",
  usage: 'trust record --profile DIR --handle H --message ID [--note "…"] [--json]',
  options: {
    ...profileOptions,
    handle: { type: "string" },
    message: { type: "string" },
    note: { type: "string" },
  },
  run: async (ctx) => {
    const handle = requireOption(ctx, "handle").toLowerCase()
    const messageId = requireOption(ctx, "message")
    const note = stringOption(ctx, "note")
    await withClient(ctx, async (client) => {
      const entry = await client.recordBreach({ handle, messageId, ...(note !== undefined ? { note } : {}) })
      const standing = await client.standing(handle)
      if (flag(ctx, "json")) {
        printJson(ctx.io, { ...entry, standing: standing.standing })
        return
      }
      const names = new Names(client, client.identity.handle)
      println(
        ctx.io,
        `Recorded a ${entry.band} breach against ${await names.of(handle)} (adjusted p ${entry.adjustedP.toExponential(1)}).`,
      )
      println(ctx.io, `Their standing is now ${standing.standing}; labels above it will ask you first.`)
    })
  },
}

export const trustList: Command = {
  name: "trust list",
  summary: "your trust ledger: counterparts with recorded breaches and their standing",
  usage: "trust list --profile DIR [--json]",
  options: profileOptions,
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      // Breaches recorded on the user's other devices arrive through sync.
      await client.sync().catch((err: unknown) => {
        if (!(err instanceof DeliveryUnavailableError)) throw err
      })
      const entries = await client.ledger()
      const handles = [...new Set(entries.map((e) => e.handle))].sort()
      const people = []
      for (const handle of handles) {
        const standing = await client.standing(handle)
        people.push({ handle, standing: standing.standing, breaches: standing.breaches })
      }
      if (flag(ctx, "json")) {
        printJson(ctx.io, people)
        return
      }
      if (people.length === 0) {
        println(ctx.io, "No breaches recorded.")
        return
      }
      const names = new Names(client, client.identity.handle)
      for (const p of people) {
        println(
          ctx.io,
          `${await names.of(p.handle)} — standing ${p.standing}, ${p.breaches.length} breach(es)`,
        )
        for (const b of p.breaches) {
          const label = b.label !== undefined ? ` "${terminalSafe(b.label)}"` : ""
          const note = b.note !== undefined ? ` — ${terminalSafe(b.note)}` : ""
          println(
            ctx.io,
            `    ${formatTime(b.recordedAt)}  ${b.band}, adjusted p ${b.adjustedP.toExponential(1)}, message ${b.messageId}${label}${note}`,
          )
        }
      }
    })
  },
}

export const adminLabels: Command = {
  name: "admin labels",
  summary: "show or set the operator's confidentiality labels (most sensitive first)",
  usage: 'admin labels --data DIR [--set "Leaders only,Not for publication,Personal"] [--json]',
  options: { ...jsonOption, data: { type: "string" }, set: { type: "string" } },
  run: async (ctx) => {
    const set = stringOption(ctx, "set")
    // Setting labels may come before the server's first start (it creates the database); showing them may not.
    const dataDir = set === undefined ? existingDataDir(ctx) : resolve(requireOption(ctx, "data"))
    const labels =
      set === undefined
        ? await getLabels(dataDir)
        : await setLabels(
            dataDir,
            set
              .split(",")
              .map((s) => s.trim())
              .filter((s) => s.length > 0),
          )
    if (labels.length === 0) throw new CliError("USAGE", "give at least one label")
    if (flag(ctx, "json")) {
      printJson(ctx.io, labels)
      return
    }
    for (const l of labels) println(ctx.io, `${String(l.level).padStart(3)}  ${l.name}`)
  },
}
