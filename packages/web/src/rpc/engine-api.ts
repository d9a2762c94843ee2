import type {
  ClientEventMap,
  ClientSendOptions,
  ConversationRecord,
  Leak,
  LedgerEntry,
  MarkedCopy,
  MessageRecord,
  PeopleOptions,
  PersonToConfirm,
  PublicIdentity,
  SendTarget,
  Standing,
  TermsInput,
  TraceResult,
} from "@backchannel/core"
import type { DirectoryEntry, InviteResponse, Label } from "@backchannel/protocol"
import type { ProtectionChoice, ProtectionKind } from "../storage/protection.js"

export type EngineState =
  | { status: "empty" }
  | { status: "locked"; protection: ProtectionKind }
  | { status: "ready"; identity: PublicIdentity; protection: ProtectionKind }

export interface EnrolRequest {
  serverUrl: string
  invite: string
  deviceName: string
  protection: ProtectionChoice
}

/**
 * Everything the UI may ask of the engine worker. Every method returns a promise; arguments and results
 * are structured-cloneable. A failure rejects with an EngineFailure carrying a stable code.
 */
export interface EngineApi {
  state: () => Promise<EngineState>
  enrol: (request: EnrolRequest) => Promise<PublicIdentity>
  unlock: (passphrase?: string) => Promise<PublicIdentity>
  /** Syncs, then stays subscribed over WebSocket (reconnecting by itself) until the worker ends. */
  connect: () => Promise<void>
  conversations: () => Promise<ConversationRecord[]>
  conversation: (conversationId: string) => Promise<ConversationRecord>
  messages: (conversationId: string, limit?: number) => Promise<MessageRecord[]>
  message: (messageId: string) => Promise<MessageRecord | undefined>
  sendText: (target: SendTarget, text: string, options?: ClientSendOptions) => Promise<MessageRecord>
  createGroup: (
    name: string,
    members: string[],
    options?: PeopleOptions & { verifiedOnly?: boolean },
  ) => Promise<ConversationRecord>
  addMembers: (
    conversationId: string,
    handles: string[],
    options?: PeopleOptions,
  ) => Promise<ConversationRecord>
  removeMembers: (conversationId: string, handles: string[]) => Promise<ConversationRecord>
  markRead: (conversationId: string) => Promise<void>
  directConversation: (handle: string) => Promise<ConversationRecord | undefined>
  searchDirectory: (query: string, limit?: number) => Promise<DirectoryEntry[]>
  person: (handle: string) => Promise<DirectoryEntry | undefined>
  lookup: (handle: string) => Promise<DirectoryEntry | undefined>
  unfamiliar: (handles: string[]) => Promise<DirectoryEntry[]>
  createDeviceInvite: () => Promise<InviteResponse>
  trace: (leaks: Leak[], options?: { messageId?: string; recent?: number }) => Promise<TraceResult>
  previewCopy: (messageId: string, handle: string, deviceId: string) => Promise<MarkedCopy>
  /** The operator's confidentiality labels, most sensitive first. */
  labels: () => Promise<Label[]>
  /** Sets a conversation's default terms for every member (an event in the conversation). */
  setDefaultTerms: (conversationId: string, terms: TermsInput) => Promise<ConversationRecord>
  /** Opens a received view-once message: returns it with its text, which is deleted from this device. */
  viewOnce: (messageId: string) => Promise<MessageRecord>
  /** Deletes every message whose expiry has passed on this device; returns how many. */
  sweep: () => Promise<number>
  ledger: () => Promise<LedgerEntry[]>
  standing: (handle: string) => Promise<Standing>
  recordBreach: (input: { handle: string; messageId: string; note?: string }) => Promise<LedgerEntry>
  /** A new group with everyone of a conversation except these people. */
  startWithout: (conversationId: string, handles: string[]) => Promise<ConversationRecord>
  /** Deletes this browser's local state (the device stays enrolled on the server until revoked). */
  erase: () => Promise<void>
}

export type EngineMethod = keyof EngineApi

/** What the engine pushes to the UI unasked. */
export type EngineEventMap = ClientEventMap

export interface EngineFailure {
  code: string
  message: string
  /** For CONFIRMATION_REQUIRED: who must be confirmed, and why. */
  confirm?: { reason: "new-people" | "standing"; people: PersonToConfirm[] }
}

export type RequestMessage = { kind: "call"; id: number; method: EngineMethod; args: unknown[] }

export type ResponseMessage =
  | { kind: "result"; id: number; value: unknown }
  | { kind: "error"; id: number; error: EngineFailure }
  | { kind: "event"; event: keyof EngineEventMap; value: unknown }
