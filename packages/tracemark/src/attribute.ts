import { TracemarkError } from "./errors.js"
import { slotChoice } from "./prf.js"
import type { Reading } from "./reading.js"
import { logTailFromPmf, poissonBinomialLogPmf } from "./stats/poisson-binomial.js"

export type Band = "conclusive" | "attributable" | "inconclusive"

export const conclusiveThreshold = 1e-9
export const attributableThreshold = 1e-6

export interface Candidate {
  /** The recipient device, as the caller names it (never logged by tracemark). */
  id: string
  /** The candidate's copy secret for each message id that a reading covers. */
  secretsPerMessage: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>
}

export interface Attribution {
  id: string
  agreements: number
  readable: number
  /** P(at least this many agreements by chance), for this candidate alone. */
  pValue: number
  /** ln of pValue (exact even where pValue underflows). */
  logPValue: number
  /** pValue × candidates × leaks tested, capped at 1: the probability of any false accusation. */
  adjustedP: number
  band: Band
}

export interface AttributeOptions {
  /**
   * How many leaks (or leak groups) the sender tests with this candidate list; defaults to the number of
   * readings, which is conservative when the readings are one leak group summed together.
   */
  leaksTested?: number
}

function secretFor(candidate: Candidate, messageId: string): Uint8Array | undefined {
  const s = candidate.secretsPerMessage
  if (s instanceof Map) return s.get(messageId) as Uint8Array | undefined
  return (s as Readonly<Record<string, Uint8Array>>)[messageId]
}

export function bandOf(adjustedP: number): Band {
  if (adjustedP <= conclusiveThreshold) return "conclusive"
  if (adjustedP <= attributableThreshold) return "attributable"
  return "inconclusive"
}

/**
 * Scores every candidate against readings of one or more leaked messages. Each candidate's marks are
 * uniform and independent of the leak unless the candidate is the leaker, so its number of agreements
 * over the readable slots follows a Poisson-binomial law (success 1/options per slot); the p-value is its
 * exact upper tail. Evidence from several readings is summed into one count. The adjusted p-value
 * multiplies by the number of candidates and leaks tested (Bonferroni), bounding the chance that any
 * innocent candidate is accused. Sorted from most to least likely leaker.
 */
export function attribute(
  readings: readonly Reading[],
  candidates: readonly Candidate[],
  options: AttributeOptions = {},
): Attribution[] {
  const probabilities: number[] = []
  for (const reading of readings) {
    if (reading.observed.length !== reading.slots.length) throw new TracemarkError("READING_MISMATCH")
    reading.observed.forEach((o, i) => {
      const slot = reading.slots[i]
      if (o === null || slot === undefined) return
      if (o < 0 || o >= slot.options) throw new TracemarkError("READING_MISMATCH")
      probabilities.push(1 / slot.options)
    })
  }
  const logPmf = probabilities.length === 0 ? [0] : poissonBinomialLogPmf(probabilities)
  const tests = Math.max(1, candidates.length) * Math.max(1, options.leaksTested ?? readings.length)
  const results = candidates.map((candidate): Attribution => {
    let agreements = 0
    for (const reading of readings) {
      const secret = secretFor(candidate, reading.messageId)
      if (secret === undefined) throw new TracemarkError("CANDIDATE_SECRET_MISSING")
      reading.observed.forEach((o, i) => {
        const slot = reading.slots[i]
        if (o === null || slot === undefined) return
        if (slotChoice(secret, slot.key, slot.options) === o) agreements++
      })
    }
    const logPValue = logTailFromPmf(logPmf, agreements)
    const pValue = Math.exp(logPValue)
    const adjustedP = Math.min(1, Math.exp(logPValue + Math.log(tests)))
    return {
      id: candidate.id,
      agreements,
      readable: probabilities.length,
      pValue,
      logPValue,
      adjustedP,
      band: bandOf(adjustedP),
    }
  })
  return results.sort((a, b) => a.logPValue - b.logPValue)
}
