import type { ParseArgsConfig } from "node:util"
import type { Io } from "../output.js"

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>

export interface CommandContext {
  io: Io
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

export interface Command {
  /** One or two words: "send", "group create". */
  name: string
  summary: string
  usage: string
  options: OptionSpec
  allowPositionals?: boolean
  run(ctx: CommandContext): Promise<void>
}

export const jsonOption: OptionSpec = { json: { type: "boolean" } }
export const profileOptions: OptionSpec = {
  profile: { type: "string" },
  "key-file": { type: "string" },
  ...jsonOption,
}
