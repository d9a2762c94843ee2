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

/** Starts a long-running command (e.g. `listen --json`) and lets the test read its output lines. */
export function startCli(args: string[]) {
  const child = spawn(process.execPath, [cliBin, ...args], {
    env: { ...process.env, BACKCHANNEL_PASSPHRASE: testPassphrase },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c))
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return {
    child,
    stderr: () => stderr,
    async waitForStderr(text: string, timeoutMs = 30_000): Promise<void> {
      const started = Date.now()
      while (!stderr.includes(text)) {
        if (Date.now() - started > timeoutMs) throw new Error(`stderr never showed ${text}:\n${stderr}`)
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}; stderr:\n${stderr}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    /** Resolves with the first stdout line that satisfies `match`. */
    async waitForLine(match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
      const started = Date.now()
      for (;;) {
        const line = stdout.split("\n").find((l) => l.length > 0 && match(l))
        if (line !== undefined) return line
        if (Date.now() - started > timeoutMs)
          throw new Error(`no matching line; stdout:\n${stdout}\nstderr:\n${stderr}`)
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}; stderr:\n${stderr}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async stop(): Promise<number | null> {
      child.kill("SIGINT")
      return exited
    },
  }
}

/** The operator creates a directory entry (if new) and a one-time invite for it; returns the code. */
export async function operatorInvite(
  dataDir: string,
  handle: string,
  name: string,
  extra: string[] = [],
): Promise<string> {
  const out = await cliJson<{ invite: string }>([
    "admin",
    "invite",
    "--data",
    dataDir,
    "--handle",
    handle,
    "--name",
    name,
    ...extra,
  ])
  return out.invite
}

/** Enrols a device into a new profile directory with an invite code. */
export function enrolProfile(
  profileDir: string,
  serverUrl: string,
  code: string,
  deviceName?: string,
): Promise<{ handle: string; device: string }> {
  const device = deviceName !== undefined ? ["--device", deviceName] : []
  return cliJson(["enroll", "--profile", profileDir, "--server", serverUrl, "--invite", code, ...device])
}
