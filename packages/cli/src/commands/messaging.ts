import { ConfirmationRequiredError, DeliveryUnavailableError } from "@backchannel/core"
import type {
  BackchannelClient,
  ConversationRecord,
  MessageRecord,
  SendTarget,
  TermsInput,
} from "@backchannel/core"
import { usageError } from "../cli-error.js"
import { printJson, println, terminalSafe } from "../output.js"
import { conversationTitle, describeTerms, isHidden, Names, renderMessage, shownText } from "../render.js"
import { parseDuration, withConfirmations } from "../confirm.js"
import { flag, notFound, positiveInt, stringOption, withClient } from "./shared.js"
import type { Command, CommandContext } from "./types.js"
import { profileOptions } from "./types.js"

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString("utf8")
}

/** Options every command that sends shares: terms and confirmations. */
export const sendOptions = {
  label: { type: "string" },
  expires: { type: "string" },
  "view-once": { type: "boolean" },
  "no-forward": { type: "boolean" },
  "mark-wording": { type: "boolean" },
  yes: { type: "boolean" },
  "send-anyway": { type: "boolean" },
} as const

export function termsFrom(ctx: CommandContext): TermsInput {
  const label = stringOption(ctx, "label")
  const expires = stringOption(ctx, "expires")
  return {
    ...(label !== undefined ? { label } : {}),
    ...(expires !== undefined ? { expiresInMs: parseDuration(expires) } : {}),
    ...(flag(ctx, "view-once") ? { viewOnce: true } : {}),
    ...(flag(ctx, "no-forward") ? { noForward: true } : {}),
  }
}

export function targetFrom(ctx: CommandContext): SendTarget {
  const to = stringOption(ctx, "to")
  const group = stringOption(ctx, "group")
  if ((to === undefined) === (group === undefined)) throw usageError("give exactly one of --to and --group")
  return to !== undefined ? { to: to.toLowerCase() } : { conversationId: group ?? "" }
}

export async function reportSent(
  ctx: CommandContext,
  client: BackchannelClient,
  message: MessageRecord,
): Promise<void> {
  const status = message.status ?? "sent"
  if (flag(ctx, "json")) {
    printJson(ctx.io, {
      id: message.id,
      conversation: message.conversationId,
      sentAt: message.sentAt,
      status,
      ...(message.terms !== undefined ? { terms: message.terms } : {}),
    })
    return
  }
  const conversation = await client.conversation(message.conversationId)
  const names = new Names(client, client.identity.handle)
  const title = await conversationTitle(conversation, names)
  if (status === "pending") {
    println(ctx.io, `Not sent yet to ${title}: the server is unreachable. The message is kept on this device`)
    println(ctx.io, "and goes out with the next sync, send or listen.")
  } else {
    println(ctx.io, `Sent to ${title}: ${describeTerms(message.terms)}(message ${message.id}).`)
  }
}

export const send: Command = {
  name: "send",
  summary: "send a message to a person or a group, with confidentiality terms",
  usage:
    'send --profile DIR (--to HANDLE | --group ID) [--label L] [--expires 10m] [--view-once] [--no-forward] [--mark-wording] [--reply-to ID] [--yes] [--send-anyway | --without-breached] "text" (or - for stdin)',
  options: {
    ...profileOptions,
    ...sendOptions,
    to: { type: "string" },
    group: { type: "string" },
    "reply-to": { type: "string" },
    "without-breached": { type: "boolean" },
  },
  allowPositionals: true,
  run: async (ctx) => {
    let target = targetFrom(ctx)
    let text = ctx.positionals.join(" ")
    if (text === "-") text = (await readStdin()).replace(/\n$/, "")
    if (text.trim().length === 0) throw usageError("nothing to send: give the text as an argument")
    const replyTo = stringOption(ctx, "reply-to")
    const terms = termsFrom(ctx)
    await withClient(ctx, async (client) => {
      const base = {
        terms,
        wordingMarks: flag(ctx, "mark-wording"),
        ...(replyTo !== undefined ? { replyTo } : {}),
      }
      const message = await withConfirmations(
        ctx.io,
        { confirmNewPeople: flag(ctx, "yes"), confirmStanding: flag(ctx, "send-anyway") },
        { newPeople: "--yes", standing: "--send-anyway (or --without-breached)" },
        async (confirmations) => {
          try {
            return await client.sendText(target, text, { ...base, ...confirmations })
          } catch (err) {
            // Offered instead of sending to someone below the label: continue without them.
            if (
              err instanceof ConfirmationRequiredError &&
              err.reason === "standing" &&
              flag(ctx, "without-breached")
            ) {
              const from =
                "conversationId" in target ? target.conversationId : await directId(client, target.to)
              const fresh = await client.startWithout(
                from,
                err.people.map((p) => p.handle),
              )
              if (!flag(ctx, "json"))
                ctx.io.stderr.write(
                  `Continuing in a new conversation without ${err.people.map((p) => p.handle).join(", ")}: ${fresh.id}\n`,
                )
              target = { conversationId: fresh.id }
              return client.sendText(target, text, { ...base, ...confirmations })
            }
            throw err
          }
        },
      )
      await reportSent(ctx, client, message)
    })
  },
}

/** A message as `--json` shows it: `text` is what this device shows its user. */
async function messageRow(m: MessageRecord, names: Names): Promise<Record<string, unknown>> {
  return {
    id: m.id,
    conversation: m.conversationId,
    kind: m.kind,
    sender: m.sender.handle,
    device: m.sender.deviceId,
    text: await shownText(m, names),
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    outgoing: m.outgoing,
    ...(m.status !== undefined ? { status: m.status } : {}),
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.terms !== undefined ? { terms: m.terms } : {}),
    ...(m.removed !== undefined ? { removed: m.removed } : {}),
    ...(isHidden(m) ? { hidden: true } : {}),
    ...(m.forwardedFrom !== undefined ? { forwardedFrom: m.forwardedFrom } : {}),
  }
}

async function directId(client: BackchannelClient, handle: string): Promise<string> {
  const direct = await client.directConversation(handle)
  if (direct === undefined) throw usageError(`no conversation with ${handle}`)
  return direct.id
}

export const sync: Command = {
  name: "sync",
  summary: "fetch and process everything pending for this device, then exit",
  usage: "sync --profile DIR [--json]",
  options: profileOptions,
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      const items = await client.sync()
      const unread = (await client.conversations()).reduce((sum, c) => sum + c.unread, 0)
      if (flag(ctx, "json")) printJson(ctx.io, { processed: items, unread })
      else println(ctx.io, `Synced: ${items} item(s) processed, ${unread} unread message(s).`)
    })
  },
}

async function messagesFor(ctx: CommandContext, client: BackchannelClient): Promise<MessageRecord[]> {
  const withHandle = stringOption(ctx, "with")
  const group = stringOption(ctx, "group")
  const limit = positiveInt(ctx, "limit")
  if (withHandle !== undefined && group !== undefined)
    throw usageError("give at most one of --with and --group")
  let conversations: ConversationRecord[]
  if (withHandle !== undefined) {
    const direct = await client.directConversation(withHandle.toLowerCase())
    conversations = direct ? [direct] : []
  } else if (group !== undefined) {
    conversations = [await client.conversation(group)]
  } else {
    conversations = await client.conversations()
  }
  const all: MessageRecord[] = []
  for (const c of conversations)
    all.push(...(await client.messages(c.id, limit !== undefined ? { limit } : {})))
  all.sort((a, b) => a.localSeq - b.localSeq)
  const shown = flag(ctx, "all") || !flag(ctx, "json") ? all : all.filter((m) => m.kind === "text")
  for (const c of conversations) await client.markRead(c.id)
  return limit !== undefined ? shown.slice(-limit) : shown
}

export const messages: Command = {
  name: "messages",
  summary: "show messages (syncs first unless --no-sync)",
  usage: "messages --profile DIR [--with HANDLE | --group ID] [--limit N] [--all] [--no-sync] [--json]",
  options: {
    ...profileOptions,
    with: { type: "string" },
    group: { type: "string" },
    limit: { type: "string" },
    all: { type: "boolean" },
    "no-sync": { type: "boolean" },
  },
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      let offline = false
      if (!flag(ctx, "no-sync")) {
        try {
          await client.sync()
        } catch (err) {
          if (!(err instanceof DeliveryUnavailableError)) throw err
          offline = true
        }
      }
      const list = await messagesFor(ctx, client)
      const names = new Names(client, client.identity.handle)
      if (flag(ctx, "json")) {
        const rows = []
        for (const m of list) {
          rows.push(await messageRow(m, names))
        }
        printJson(ctx.io, rows)
        return
      }
      if (offline) ctx.io.stderr.write("(the server is unreachable; showing what this device already has)\n")
      if (list.length === 0) {
        println(ctx.io, "No messages.")
        return
      }
      const titles = new Map<string, string>()
      const several = new Set(list.map((m) => m.conversationId)).size > 1
      for (const m of list) {
        let prefix = ""
        if (several) {
          let title = titles.get(m.conversationId)
          if (title === undefined) {
            title = await conversationTitle(await client.conversation(m.conversationId), names)
            titles.set(m.conversationId, title)
          }
          prefix = `[${title}] `
        }
        println(ctx.io, await renderMessage(m, names, prefix))
      }
    })
  },
}

export const conversations: Command = {
  name: "conversations",
  summary: "list this device's conversations",
  usage: "conversations --profile DIR [--json]",
  options: profileOptions,
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      const list = await client.conversations()
      if (flag(ctx, "json")) {
        printJson(
          ctx.io,
          list.map((c) => ({
            id: c.id,
            kind: c.kind,
            name: c.name ?? null,
            peer: c.peer ?? null,
            status: c.status,
            unread: c.unread,
            members: [...new Set(c.members.map((m) => m.handle))],
            lastActivityAt: c.lastActivityAt,
          })),
        )
        return
      }
      if (list.length === 0) {
        println(ctx.io, "No conversations yet. Start one with `backchannel send --to HANDLE`.")
        return
      }
      const names = new Names(client, client.identity.handle)
      for (const c of list) {
        const people = new Set(c.members.map((m) => m.handle)).size
        const unread = c.unread > 0 ? `  ${c.unread} unread` : ""
        const status = c.status === "removed" ? "  (removed)" : ""
        println(
          ctx.io,
          `${c.id}  ${c.kind.padEnd(6)}  ${await conversationTitle(c, names)}  ${people} people${unread}${status}`,
        )
      }
    })
  },
}

export const listen: Command = {
  name: "listen",
  summary: "stay connected and print messages as they arrive (Ctrl-C to stop)",
  usage: "listen --profile DIR [--json]",
  options: profileOptions,
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      const names = new Names(client, client.identity.handle)
      const json = flag(ctx, "json")
      let printing: Promise<void> = Promise.resolve()
      client.events.on("message", (m) => {
        printing = printing.then(async () => {
          if (json) {
            printJson(ctx.io, await messageRow(m, names))
          } else {
            const c = await client.conversation(m.conversationId)
            println(ctx.io, await renderMessage(m, names, `[${await conversationTitle(c, names)}] `))
          }
        })
      })
      client.events.on("connection", ({ state }) => {
        ctx.io.stderr.write(json ? `${JSON.stringify({ connection: state })}\n` : `(${state})\n`)
      })
      client.events.on("warning", (w) => {
        ctx.io.stderr.write(`warning: ${w.message} (${w.code})\n`)
      })
      const subscription = await client.listen()
      // Messages whose expiry passes while listening are deleted on time, not at the next command.
      const sweeper = setInterval(() => {
        void client.sweep().catch(() => undefined)
      }, 1000)
      if (!json) println(ctx.io, `Listening as ${client.identity.handle}. Press Ctrl-C to stop.`)
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve)
        process.once("SIGTERM", resolve)
      })
      clearInterval(sweeper)
      await subscription.close()
      await printing
    })
  },
}

export const directory: Command = {
  name: "directory",
  summary: "search the operator's directory by name, title, organisation or country",
  usage: "directory --profile DIR [QUERY] [--json]",
  options: profileOptions,
  allowPositionals: true,
  run: async (ctx) => {
    await withClient(ctx, async (client) => {
      const entries = await client.searchDirectory(ctx.positionals.join(" "))
      if (flag(ctx, "json")) {
        printJson(
          ctx.io,
          entries.map((e) => ({
            handle: e.handle,
            displayName: e.displayName,
            title: e.title ?? null,
            organisation: e.organisation ?? null,
            country: e.country ?? null,
            kind: e.kind,
            devices: e.devices.filter((d) => d.revokedAt === undefined).length,
          })),
        )
        return
      }
      if (entries.length === 0) throw notFound("nobody in the directory matches that")
      for (const e of entries) {
        const details = [e.title, e.organisation, e.country].filter((x) => x !== undefined).join(", ")
        const outsider = e.kind === "guest" ? "  [outsider]" : "  [verified]"
        const about = details.length > 0 ? ` — ${terminalSafe(details)}` : ""
        println(ctx.io, `${e.handle.padEnd(20)} ${terminalSafe(e.displayName)}${about}${outsider}`)
      }
    })
  },
}
