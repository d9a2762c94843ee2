import type { Writable } from "node:stream"

export interface Io {
  stdout: Writable
  stderr: Writable
  /** Reads a secret from the terminal without echoing it. */
  askSecret(prompt: string): Promise<string>
}

export function println(io: Io, line = ""): void {
  io.stdout.write(line + "\n")
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value) + "\n")
}

/**
 * Makes text from other people safe to print on a terminal: control characters (ANSI escapes and the
 * like) and bidirectional overrides are shown as visible escapes, so a message cannot rewrite the screen
 * or reorder what it appears to say. Other invisible characters (zero-width spaces and joiners, which
 * tracemark may use) pass through.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, (ch) => {
    if (ch === "\n") return "\n    "
    if (ch === "\t") return "\t"
    return `\\u{${ch.codePointAt(0)?.toString(16) ?? "?"}}`
  })
}

export function formatTime(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}
