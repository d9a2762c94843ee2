import { parseArgs } from "node:util"
import { createInterface } from "node:readline"
import { CoreError, DeliveryUnavailableError } from "@backchannel/core"
import { ProtocolError } from "@backchannel/protocol"
import { CliError, usageError } from "./cli-error.js"
import { deviceInvite, enroll, whoami } from "./commands/device.js"
import { groupAdd, groupCreate, groupRemove, groupTerms, members } from "./commands/groups.js"
import { adminLabels, forwardCommand, trustList, trustRecord, view } from "./commands/policy.js"
import { conversations, directory, listen, messages, send, sync } from "./commands/messaging.js"
import { adminInvite, adminList, adminRevoke, serve } from "./commands/server.js"
import { previewCommand, traceCommand } from "./commands/trace.js"
import type { Command } from "./commands/types.js"
import type { Io } from "./output.js"

export const commands: Command[] = [
  serve,
  adminInvite,
  adminList,
  adminRevoke,
  adminLabels,
  enroll,
  whoami,
  deviceInvite,
  send,
  sync,
  messages,
  listen,
  conversations,
  groupCreate,
  groupAdd,
  groupRemove,
  groupTerms,
  members,
  directory,
  traceCommand,
  previewCommand,
  view,
  forwardCommand,
  trustRecord,
  trustList,
]

function help(io: Io): void {
  io.stdout.write("backchannel — confidential end-to-end-encrypted messaging\n\nCommands:\n")
  for (const c of commands) io.stdout.write(`  backchannel ${c.usage}\n      ${c.summary}\n`)
  io.stdout.write(
    "\nThe profile passphrase comes from BACKCHANNEL_PASSPHRASE, or is asked for on the terminal;\n" +
      "--key-file FILE uses a file of random bytes instead.\n",
  )
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(" ")
  const byTwo = commands.find((c) => c.name === two)
  if (byTwo) return { command: byTwo, rest: argv.slice(2) }
  const byOne = commands.find((c) => c.name === argv[0])
  if (byOne) return { command: byOne, rest: argv.slice(1) }
  return undefined
}

/** Runs one command line; returns the process exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    help(io)
    return argv.length === 0 ? 2 : 0
  }
  const found = findCommand(argv)
  const json = argv.includes("--json")
  try {
    if (found === undefined)
      throw usageError(`unknown command "${argv.slice(0, 2).join(" ")}"; see \`backchannel help\``)
    const { command, rest } = found
    let parsed
    try {
      parsed = parseArgs({
        args: rest,
        options: command.options,
        allowPositionals: command.allowPositionals ?? false,
        strict: true,
      })
    } catch (err) {
      throw usageError(
        `${err instanceof Error ? err.message : "bad arguments"}\nusage: backchannel ${command.usage}`,
      )
    }
    await command.run({
      io,
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    })
    return 0
  } catch (err) {
    const { code, message, exitCode } = describe(err)
    if (json) io.stderr.write(JSON.stringify({ error: { code, message } }) + "\n")
    else io.stderr.write(`error: ${message} (${code})\n`)
    return exitCode
  }
}

/** Turns any failure into a code and a message fit for the user; never a stack trace. */
function describe(err: unknown): { code: string; message: string; exitCode: number } {
  if (err instanceof CliError) return { code: err.code, message: err.message, exitCode: err.exitCode }
  if (err instanceof CoreError) return { code: err.code, message: err.message, exitCode: 1 }
  if (err instanceof ProtocolError) return { code: err.code, message: err.message, exitCode: 1 }
  if (err instanceof DeliveryUnavailableError)
    return { code: "SERVER_UNREACHABLE", message: err.message, exitCode: 1 }
  const detail =
    err instanceof Error && process.env.BACKCHANNEL_DEBUG === "1" ? `: ${err.stack ?? err.message}` : ""
  return { code: "INTERNAL", message: `something went wrong${detail}`, exitCode: 1 }
}

/** Standard streams; secrets are read from the terminal without echo, or as one line from a pipe. */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    askSecret: (prompt) => readSecret(prompt),
  }
}

function readSecret(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin
    const rl = createInterface({ input, output: process.stderr, terminal: input.isTTY })
    if (input.isTTY) {
      process.stderr.write(prompt)
      // Suppress the echo of typed characters.
      ;(rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined
    } else {
      process.stderr.write(prompt + "\n")
    }
    rl.once("line", (line) => {
      rl.close()
      if (input.isTTY) process.stderr.write("\n")
      resolve(line)
    })
    rl.once("close", () => {
      reject(
        new CliError("NO_PASSPHRASE", "no passphrase given: set BACKCHANNEL_PASSPHRASE or use --key-file"),
      )
    })
  })
}
