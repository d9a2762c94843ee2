import { spawn } from "node:child_process"
import { cliBin } from "./paths.js"

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export const testPassphrase = "correct horse battery staple"

/** Runs the built `backchannel` binary as a user would, with the profile passphrase in the environment. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      env: { ...process.env, BACKCHANNEL_PASSPHRASE: testPassphrase, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
    child.once("error", reject)
    child.once("exit", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? "")
  })
}

/** Runs a command with --json, fails with its stderr if it did not succeed, and parses its output. */
export async function cliJson<T>(args: string[], options: { env?: Record<string, string> } = {}): Promise<T> {
  const result = await runCli([...args, "--json"], options)
  if (result.code !== 0)
    throw new Error(`backchannel ${args.join(" ")} failed (${result.code}):\n${result.stderr}`)
  return JSON.parse(result.stdout) as T
}
