// A real `backchannel serve` process on loopback for the benchmarks: started from the built CLI, ready once it
// prints its URL (`--json`). Shared by the crash-safety scenario and the fuzzer.
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const cliBin = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url))

/**
 * Starts `backchannel serve --data DIR` on 127.0.0.1 (port 0: any free port). Returns the child, `ready`
 * (resolves with the URL, rejects if the process exits first or prints nothing in 30 s), `exited` (resolves
 * with {code, signal}) and `output()` (everything it printed, for error reports).
 */
export function serveProcess(dataDir, { port = 0, args = [] } = {}) {
  const child = spawn(
    process.execPath,
    [cliBin, "serve", "--data", dataDir, "--host", "127.0.0.1", "--port", String(port), "--json", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  )
  let output = ""
  child.stdout.setEncoding("utf8")
  child.stderr.setEncoding("utf8")
  child.stderr.on("data", (chunk) => (output += chunk))
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    child.stdout.on("data", (chunk) => {
      output += chunk
      const line = output.split("\n").find((l) => l.startsWith("{") && l.includes('"url"'))
      if (line !== undefined) {
        clearTimeout(timer)
        resolve(JSON.parse(line).url)
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${code ?? signal}) before it was ready:\n${output}`))
    })
  })
  // `ready` may be left unobserved once the server has exited after being ready.
  ready.catch(() => undefined)
  return { child, ready, exited, output: () => output }
}
