import { readFileSync } from "node:fs"
import type { Leak, TraceResult } from "@backchannel/core"
import { decodeImageFile } from "@backchannel/tracemark/node"
import { CliError, usageError } from "../cli-error.js"
import { formatTime, printJson, println, terminalSafe } from "../output.js"
import { Names } from "../render.js"
import { flag, positiveInt, requireOption, stringOption, withClient } from "./shared.js"
import type { Command, CommandContext } from "./types.js"
import { profileOptions } from "./types.js"

/** A leak file is a PNG or JPEG screenshot (by its magic bytes) or UTF-8 text. */
function readLeak(path: string): Leak {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    throw new CliError("LEAK_UNREADABLE", `cannot read ${path}`)
  }
  const png = bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8
  if (png || jpeg) {
    try {
      return { kind: "image", image: decodeImageFile(new Uint8Array(bytes)) }
    } catch {
      throw new CliError("LEAK_UNREADABLE", `${path} is not a readable PNG or JPEG image`)
    }
  }
  const text = bytes.toString("utf8")
  if (text.trim().length === 0) throw new CliError("LEAK_UNREADABLE", `${path} is empty`)
  return { kind: "text", text }
}

function leakPaths(ctx: CommandContext): string[] {
  const value = ctx.values.leak as unknown
  const paths = Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []
  if (paths.length === 0) throw usageError("--leak FILE is required (repeat it to sum several leaks)")
  return paths
}

const explanation = [
  "What this shows: every recipient device was shown its own copy of the message, marked invisibly by a",
  "secret only you and that device can compute. The p-value is the exact chance that a device which did",
  "not leak would match the leaked copy this well, multiplied by the number of devices and leaks tested.",
  "What it does not show: who held the device, or whether its copy was passed on before the leak. Marks",
  "identify the copy, not the person; weigh the verdict with everything else you know.",
]

async function printHuman(ctx: CommandContext, result: TraceResult, names: Names): Promise<void> {
  for (const leak of result.leaks) {
    println(ctx.io, `The leak shows your message of ${formatTime(leak.sentAt)}:`)
    println(ctx.io, `  "${terminalSafe(leak.text)}"`)
    const how = leak.source === "image" ? "a screenshot" : "text"
    println(
      ctx.io,
      `  read ${leak.readable} of ${leak.slots} marks from ${how}${leak.stripped ? " (invisible marks were stripped)" : ""}`,
    )
  }
  println(ctx.io)
  println(
    ctx.io,
    `${"person".padEnd(36)} ${"device".padEnd(24)} ${"agree".padStart(9)} ${"p-value".padStart(9)} ${"adjusted".padStart(9)}  verdict`,
  )
  for (const c of result.candidates) {
    const who = (await names.of(c.handle)).slice(0, 36).padEnd(36)
    const agree = `${c.agreements}/${c.readable}`.padStart(9)
    println(
      ctx.io,
      `${who} ${c.device.padEnd(24)} ${agree} ${c.pValue.toExponential(1).padStart(9)} ${c.adjustedP.toExponential(1).padStart(9)}  ${c.band}`,
    )
  }
  println(ctx.io)
  const top = result.candidates[0]
  if (top !== undefined && top.band !== "inconclusive") {
    const strength = top.band === "conclusive" ? "below one in a billion" : "below one in a million"
    println(
      ctx.io,
      `Verdict: ${top.band}. The leaked copy is the one shown on ${await names.of(top.handle)}'s device ${top.device}.`,
    )
    println(ctx.io, `The chance that any innocent device matches this well is ${strength}.`)
  } else {
    println(
      ctx.io,
      "Verdict: inconclusive. No device matches the leak beyond chance; more leaked messages may decide it.",
    )
  }
  if (result.unknownDevices > 0)
    println(
      ctx.io,
      `(${result.unknownDevices} recipient device(s) are no longer in the directory and were not scored.)`,
    )
  println(ctx.io)
  for (const line of explanation) println(ctx.io, line)
}

export const traceCommand: Command = {
  name: "trace",
  summary: "find which recipient's copy a leaked text or screenshot came from",
  usage: "trace --profile DIR --leak FILE [--leak FILE...] [--message ID] [--recent N] [--json]",
  options: {
    ...profileOptions,
    leak: { type: "string", multiple: true },
    message: { type: "string" },
    recent: { type: "string" },
  },
  run: async (ctx) => {
    const leaks = leakPaths(ctx).map(readLeak)
    const messageId = stringOption(ctx, "message")
    const recent = positiveInt(ctx, "recent")
    await withClient(ctx, async (client) => {
      const result = await client.trace(leaks, {
        ...(messageId !== undefined ? { messageId } : {}),
        ...(recent !== undefined ? { recent } : {}),
      })
      if (flag(ctx, "json")) {
        printJson(ctx.io, {
          message: result.leaks[0]?.message ?? null,
          messages: result.leaks.map((l) => l.message),
          conversation: result.leaks[0]?.conversationId ?? null,
          source: result.leaks[0]?.source ?? null,
          stripped: result.leaks.some((l) => l.stripped),
          readable: result.leaks.reduce((sum, l) => sum + l.readable, 0),
          candidates: result.candidates,
        })
        return
      }
      await printHuman(ctx, result, new Names(client, client.identity.handle))
    })
  },
}

export const previewCommand: Command = {
  name: "preview",
  summary: "show the copy each recipient device was shown of a message you wrote",
  usage: "preview --profile DIR --message ID [--show-marks] [--json]",
  options: { ...profileOptions, message: { type: "string" }, "show-marks": { type: "boolean" } },
  run: async (ctx) => {
    const messageId = requireOption(ctx, "message")
    await withClient(ctx, async (client) => {
      const message = await client.message(messageId)
      if (message?.recipients === undefined) {
        throw new CliError("NOT_FOUND", "no marked message written by you has that id on this device")
      }
      const names = new Names(client, client.identity.handle)
      const rows = []
      for (const r of message.recipients) {
        const copy = await client.previewCopy(messageId, r.handle, r.deviceId)
        rows.push({ handle: r.handle, device: r.deviceId, text: copy.text })
      }
      if (flag(ctx, "json")) {
        printJson(ctx.io, rows)
        return
      }
      const visible = (text: string) =>
        flag(ctx, "show-marks")
          ? text.replace(/\u200b|\u200c|\u200d|\u2060/g, (c) => `⟨${c.codePointAt(0)?.toString(16) ?? ""}⟩`)
          : text
      for (const row of rows) {
        println(ctx.io, `${await names.of(row.handle)} — device ${row.device}:`)
        println(ctx.io, `  ${terminalSafe(visible(row.text))}`)
      }
    })
  },
}
