import { z } from "zod"
import { fromUtf8, utf8 } from "@backchannel/protocol"
import { CoreError } from "../errors.js"

/**
 * Message content, version 1: the plaintext inside an MLS application message (UTF-8 JSON). The sender
 * is never part of the content: it comes from the MLS sender's authenticated credential. Unknown fields
 * are ignored so that newer clients can add to the model (confidentiality terms, tracemark data).
 */
export const maxTextChars = 16_000

export const messageIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/)

/**
 * Tracemark data: the sender user's X25519 tracemark public key (every recipient device derives its own
 * copy secret from it and its device key) and whether the sender opted in to wording marks.
 */
export const tracemarkContentSchema = z.object({
  v: z.literal(1),
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  wording: z.boolean().optional(),
})
export type TracemarkContent = z.infer<typeof tracemarkContentSchema>

const textContentSchema = z.object({
  v: z.literal(1),
  type: z.literal("text"),
  id: messageIdSchema,
  text: z.string().min(1).max(maxTextChars),
  sentAt: z.number().int().nonnegative(),
  replyTo: messageIdSchema.optional(),
  tm: tracemarkContentSchema.optional(),
})

export const conversationKindSchema = z.enum(["direct", "group", "self"])
export type ConversationKind = z.infer<typeof conversationKindSchema>

/** Conversation metadata: in the Welcome's GroupInfo extension for new members, and as a `meta` message. */
export const groupMetaSchema = z.object({
  v: z.literal(1),
  kind: conversationKindSchema,
  name: z.string().max(200).optional(),
  createdBy: z.string(),
  createdAt: z.number().int().nonnegative(),
})
export type GroupMeta = z.infer<typeof groupMetaSchema>

const metaContentSchema = z.object({
  v: z.literal(1),
  type: z.literal("meta"),
  id: messageIdSchema,
  sentAt: z.number().int().nonnegative(),
  meta: groupMetaSchema,
})

/** User-level secrets, sent only inside the user's own "self" group to the user's other devices. */
const secretsContentSchema = z.object({
  v: z.literal(1),
  type: z.literal("secrets"),
  id: messageIdSchema,
  sentAt: z.number().int().nonnegative(),
  senderTracemarkPrivateKey: z.string().optional(),
})

export const contentSchema = z.discriminatedUnion("type", [
  textContentSchema,
  metaContentSchema,
  secretsContentSchema,
])
export type Content = z.infer<typeof contentSchema>
export type TextContent = z.infer<typeof textContentSchema>

export function encodeContent(content: Content): Uint8Array {
  return utf8(JSON.stringify(content))
}

export function decodeContent(bytes: Uint8Array): Content {
  let json: unknown
  try {
    json = JSON.parse(fromUtf8(bytes))
  } catch {
    throw new CoreError("MLS_INVALID", "message content is not UTF-8 JSON")
  }
  const parsed = contentSchema.safeParse(json)
  if (!parsed.success) throw new CoreError("MLS_INVALID", "message content does not match content model v1")
  return parsed.data
}

export function encodeGroupMeta(meta: GroupMeta): Uint8Array {
  return utf8(JSON.stringify(meta))
}

export function decodeGroupMeta(bytes: Uint8Array): GroupMeta | undefined {
  try {
    const parsed = groupMetaSchema.safeParse(JSON.parse(fromUtf8(bytes)))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}
