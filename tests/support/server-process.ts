import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { cliBin } from "./paths.js"

export interface ServerProcess {
  url: string
  port: number
  child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far (its logs). */
  output(): string
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts `backchannel serve` as a real child process on loopback and waits for the URL it prints.
 * Port 0 asks the OS for a free port; pass the previous port to restart on the same address.
 */
export async function startServerProcess(
  dataDir: string,
  options: { port?: number; args?: string[] } = {},
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      cliBin,
      "serve",
      "--data",
      dataDir,
      "--host",
      "127.0.0.1",
      "--port",
      String(options.port ?? 0),
      "--json",
      ...(options.args ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  )
  let output = ""
  child.stdout.setEncoding("utf8")
  child.stderr.setEncoding("utf8")
  child.stderr.on("data", (chunk: string) => (output += chunk))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    child.stdout.on("data", (chunk: string) => {
      output += chunk
      const line = output.split("\n").find((l) => l.startsWith("{") && l.includes('"url"'))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve((JSON.parse(line) as { url: string }).url)
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return {
    url,
    port: Number(new URL(url).port),
    child,
    output: () => output,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
