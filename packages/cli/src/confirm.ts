import { ConfirmationRequiredError } from "@backchannel/core"
import type { PersonToConfirm } from "@backchannel/core"
import { createInterface } from "node:readline"
import { CliError, usageError } from "./cli-error.js"
import type { Io } from "./output.js"
import { println, terminalSafe } from "./output.js"

/** How a person is shown when the user must confirm: the full directory entry, outsiders marked. */
export function describePerson(p: PersonToConfirm): string {
  const details = [p.title, p.organisation, p.country].filter((x) => x !== undefined && x !== "").join(", ")
  const badge = p.kind === "guest" ? "OUTSIDER (not verified by your operator)" : "verified by your operator"
  const standing =
    p.breaches !== undefined ? `; ${p.breaches} recorded breach(es), standing ${p.standing ?? 0}` : ""
  const about = details.length > 0 ? ` — ${terminalSafe(details)}` : ""
  return `${terminalSafe(p.displayName)} (${p.handle})${about} — ${badge}${standing}`
}

export interface Confirmations {
  confirmNewPeople: boolean
  confirmStanding: boolean
}

/**
 * Runs an operation that may need the user's confirmation. On a terminal the user is shown whom it is
 * about and asked; in a script the flag that confirms must be given, otherwise the command stops with
 * CONFIRMATION_REQUIRED and says which flag (nothing is sent).
 */
export async function withConfirmations<T>(
  io: Io,
  given: Confirmations,
  flags: { newPeople: string; standing: string },
  run: (c: Confirmations) => Promise<T>,
): Promise<T> {
  const current = { ...given }
  for (let round = 0; round < 3; round++) {
    try {
      return await run(current)
    } catch (err) {
      if (!(err instanceof ConfirmationRequiredError)) throw err
      const flag = err.reason === "new-people" ? flags.newPeople : flags.standing
      const question =
        err.reason === "new-people"
          ? "You have never written to:"
          : "This label is above the standing of (from your trust ledger):"
      if (!process.stdin.isTTY) {
        const list = err.people.map((p) => `  ${describePerson(p)}`).join("\n")
        throw new CliError(
          "CONFIRMATION_REQUIRED",
          `${err.message}.\n${question}\n${list}\nRun again with ${flag} to confirm.`,
        )
      }
      println(io, question)
      for (const p of err.people) println(io, `  ${describePerson(p)}`)
      if (!(await askYesNo("Continue? [y/N] ")))
        throw new CliError("CANCELLED", "nothing was sent or changed")
      if (err.reason === "new-people") current.confirmNewPeople = true
      else current.confirmStanding = true
    }
  }
  throw usageError("too many confirmations asked")
}

function askYesNo(prompt: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    rl.question(prompt, (answer) => {
      rl.close()
      resolve(/^y(es)?$/i.test(answer.trim()))
    })
    rl.once("close", () => resolve(false))
  })
}

/** Parses durations such as 30s, 10m, 2h, 7d into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim())
  if (!m) throw usageError(`"${text}" is not a duration: use e.g. 30s, 10m, 2h or 7d`)
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"]
  return Number(m[1]) * unit
}
