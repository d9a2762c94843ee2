import { fromB64 } from "@backchannel/protocol"
import { attribute, buildTemplate, decodeText, matchLeakImage, matchLeakText } from "@backchannel/tracemark"
import type { Band, Candidate, MessageTemplate, Reading, RgbaImage } from "@backchannel/tracemark"
import { CoreError } from "../errors.js"
import type { Engine } from "./context.js"
import { markOptions, senderSecret } from "./marks.js"
import { decodeJson } from "./records.js"
import type { MessageRecord } from "./records.js"

/** A leaked copy: pasted or retyped text, or a screenshot already decoded to RGBA pixels. */
export type Leak = { kind: "text"; text: string } | { kind: "image"; image: RgbaImage }

export interface TraceCandidate {
  handle: string
  device: string
  agreements: number
  readable: number
  pValue: number
  adjustedP: number
  band: Band
}

export interface TracedLeak {
  /** The sent message the leak shows. */
  message: string
  conversationId: string
  text: string
  sentAt: number
  source: "text" | "image"
  /** True when zero-width marks were expected in a text leak but are gone (they were stripped). */
  stripped: boolean
  /** Slots read from the leak, of all the message's slots. */
  readable: number
  slots: number
}

export interface TraceResult {
  leaks: TracedLeak[]
  /** Every device that received all of the leaked messages, most likely leaker first. */
  candidates: TraceCandidate[]
  /** Recipient devices that could not be scored because the directory no longer lists them. */
  unknownDevices: number
}

/** Text whose words are farther than this from every sent message is not considered a match. */
const maxTextDistance = 0.6

interface SentMessage {
  record: MessageRecord
  template: MessageTemplate
}

/**
 * Finds which of this user's marked messages each leak shows (without looking at any recipient), reads its
 * marks, and scores every recipient device with the exact tail probability of its agreements (tracemark's
 * `attribute`), corrected for the number of candidates and leaks tested. Several leaks' evidence is summed.
 */
export async function trace(
  e: Engine,
  leaks: Leak[],
  options: { messageId?: string; recent?: number } = {},
): Promise<TraceResult> {
  if (leaks.length === 0) throw new CoreError("INVALID_INPUT", "give at least one leaked copy")
  const sent = await sentMessages(e, options)
  const traced: Array<{ message: SentMessage; reading: Reading }> = []
  for (const leak of leaks) traced.push(identify(leak, sent))
  const recipientSets = traced.map(({ message }) => message.record.recipients ?? [])
  const shared = (recipientSets[0] ?? []).filter((r) =>
    recipientSets.every((set) => set.some((o) => o.deviceId === r.deviceId)),
  )
  if (shared.length === 0)
    throw new CoreError("INVALID_INPUT", "no device received every one of these messages")
  const entries = await e.directory.refresh([...new Set(shared.map((r) => r.handle))])
  const candidates: Candidate[] = []
  const names = new Map<string, { handle: string; device: string }>()
  for (const r of shared) {
    const device = entries
      .find((en) => en.handle === r.handle)
      ?.devices.find((d) => d.deviceId === r.deviceId)
    if (device === undefined) continue
    const key = fromB64(device.tracemarkPublicKey)
    const secrets: Record<string, Uint8Array> = {}
    for (const { message } of traced) secrets[message.record.id] = senderSecret(e, message.record, key)
    candidates.push({ id: r.deviceId, secretsPerMessage: secrets })
    names.set(r.deviceId, { handle: r.handle, device: r.deviceId })
  }
  const scored = attribute(
    traced.map((t) => t.reading),
    candidates,
  )
  return {
    leaks: traced.map(({ message, reading }) => ({
      message: message.record.id,
      conversationId: message.record.conversationId,
      text: message.record.text ?? "",
      sentAt: message.record.sentAt,
      source: reading.source,
      stripped: reading.stripped,
      readable: reading.observed.filter((o) => o !== null).length,
      slots: reading.observed.length,
    })),
    candidates: scored.map((a) => ({
      handle: names.get(a.id)?.handle ?? "",
      device: a.id,
      agreements: a.agreements,
      readable: a.readable,
      pValue: a.pValue,
      adjustedP: a.adjustedP,
      band: a.band,
    })),
    unknownDevices: shared.length - candidates.length,
  }
}

/** This user's marked messages (from any of the user's devices), newest first. */
async function sentMessages(
  e: Engine,
  options: { messageId?: string; recent?: number },
): Promise<SentMessage[]> {
  const records = (await e.store.list("msg/"))
    .map((r) => decodeJson<MessageRecord>(r.value))
    .filter((m) => m.kind === "text" && m.sender.handle === e.identity.handle && m.marks !== undefined)
    .filter((m) => options.messageId === undefined || m.id === options.messageId)
    .sort((a, b) => b.sentAt - a.sentAt)
    .slice(0, options.recent ?? 500)
  if (records.length === 0) {
    throw new CoreError(
      "INVALID_INPUT",
      options.messageId === undefined
        ? "this device holds no marked message written by you"
        : "no marked message written by you has that id on this device",
    )
  }
  return records.map((record) => ({
    record,
    template: buildTemplate(record.text ?? "", markOptions(record.marks?.wording === true)),
  }))
}

function identify(leak: Leak, sent: SentMessage[]): { message: SentMessage; reading: Reading } {
  const byId = new Map(sent.map((m) => [m.record.id, m]))
  const forMatching = sent.map((m) => ({ messageId: m.record.id, template: m.template }))
  if (leak.kind === "text") {
    const best = matchLeakText(leak.text, forMatching)[0]
    const message = best === undefined ? undefined : byId.get(best.messageId)
    if (best === undefined || message === undefined || best.distance > maxTextDistance) {
      throw new CoreError("INVALID_INPUT", "the leaked text does not match any message you sent")
    }
    return { message, reading: decodeText(leak.text, message.template, message.record.id) }
  }
  const best = matchLeakImage(leak.image, forMatching)[0]
  const message = best === undefined ? undefined : byId.get(best.messageId)
  if (best?.result === null || best?.result === undefined || message === undefined) {
    throw new CoreError("INVALID_INPUT", "the screenshot does not show a message bubble you sent")
  }
  return { message, reading: best.result.reading }
}
