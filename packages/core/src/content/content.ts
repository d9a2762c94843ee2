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

/**
 * Confidentiality terms of one message, shown to every recipient before the text and enforced by every
 * client: a label from the operator's list (with its sensitivity level), no forwarding or copying, an
 * absolute expiry (the message is deleted from every device, and its queued copies from the server), and
 * view-once (deleted from a device once it has been shown there).
 */
export const termsSchema = z.object({
  label: z.string().min(1).max(40).optional(),
  level: z.number().int().min(0).max(100).optional(),
  noForward: z.boolean().optional(),
  expiresAt: z.number().int().positive().optional(),
  viewOnce: z.boolean().optional(),
})
export type Terms = z.infer<typeof termsSchema>

/** A conversation's default terms: like Terms, with a relative expiry applied to each new message. */
export const defaultTermsSchema = z.object({
  label: z.string().min(1).max(40).optional(),
  level: z.number().int().min(0).max(100).optional(),
  noForward: z.boolean().optional(),
  expiresAfterMs: z
    .number()
    .int()
    .positive()
    .max(365 * 24 * 60 * 60 * 1000)
    .optional(),
  viewOnce: z.boolean().optional(),
})
export type DefaultTerms = z.infer<typeof defaultTermsSchema>

const textContentSchema = z.object({
  v: z.literal(1),
  type: z.literal("text"),
  id: messageIdSchema,
  text: z.string().min(1).max(maxTextChars),
  sentAt: z.number().int().nonnegative(),
  replyTo: messageIdSchema.optional(),
  tm: tracemarkContentSchema.optional(),
  terms: termsSchema.optional(),
  /** Set on a forwarded message: who wrote the original. */
  forwardedFrom: z.string().max(64).optional(),
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
  /** Only people the operator vouches for (directory kind "member") may be in this conversation. */
  verifiedOnly: z.boolean().optional(),
  defaultTerms: defaultTermsSchema.optional(),
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

/** A member changed the conversation's default terms; every member sees it as an event. */
const termsContentSchema = z.object({
  v: z.literal(1),
  type: z.literal("terms"),
  id: messageIdSchema,
  sentAt: z.number().int().nonnegative(),
  defaults: defaultTermsSchema,
})

/** A breach recorded in the user's trust ledger, shared with the user's other devices in the self group. */
export const ledgerEntrySchema = z.object({
  v: z.literal(1),
  id: messageIdSchema,
  handle: z.string().max(64),
  messageId: messageIdSchema,
  band: z.enum(["conclusive", "attributable"]),
  pValue: z.number().min(0).max(1),
  adjustedP: z.number().min(0).max(1),
  label: z.string().max(40).optional(),
  level: z.number().int().min(0).max(100).optional(),
  note: z.string().max(1000).optional(),
  recordedAt: z.number().int().nonnegative(),
})
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>

const ledgerContentSchema = z.object({
  v: z.literal(1),
  type: z.literal("ledger"),
  id: messageIdSchema,
  sentAt: z.number().int().nonnegative(),
  entries: z.array(ledgerEntrySchema).max(1000),
})

export const contentSchema = z.discriminatedUnion("type", [
  textContentSchema,
  metaContentSchema,
  secretsContentSchema,
  termsContentSchema,
  ledgerContentSchema,
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
