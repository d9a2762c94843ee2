import { defaultLabels, labelSchema, ProtocolError } from "@backchannel/protocol"
import type { ConfigResponse, Label } from "@backchannel/protocol"
import { z } from "zod"
import type { ServerStore } from "../store/types.js"

const labelsKey = "labels"
const labelListSchema = z.array(labelSchema).min(1).max(20)

/** The operator's confidentiality labels (most sensitive first); the defaults until the operator sets them. */
export async function readLabels(store: ServerStore): Promise<Label[]> {
  const stored = await store.getSetting(labelsKey)
  if (stored === undefined) return defaultLabels
  const parsed = labelListSchema.safeParse(JSON.parse(stored))
  return parsed.success ? parsed.data : defaultLabels
}

/**
 * Sets the operator's label list from names ordered most sensitive first: the first gets the highest
 * level. Names must be distinct (case-insensitively); 1–20 labels of 1–40 characters.
 */
export async function writeLabels(store: ServerStore, names: string[]): Promise<Label[]> {
  const trimmed = names.map((n) => n.trim())
  const folded = new Set(trimmed.map((n) => n.toLowerCase()))
  if (folded.size !== trimmed.length)
    throw new ProtocolError("VALIDATION_FAILED", undefined, { field: "labels" })
  const labels = trimmed.map((name, i) => ({ name, level: trimmed.length - i }))
  const parsed = labelListSchema.safeParse(labels)
  if (!parsed.success) throw new ProtocolError("VALIDATION_FAILED", undefined, { field: "labels" })
  await store.setSetting(labelsKey, JSON.stringify(parsed.data))
  return parsed.data
}

export async function config(store: ServerStore): Promise<ConfigResponse> {
  return { labels: await readLabels(store) }
}
