import type { ClientState } from "ts-mls"
import { newId } from "@backchannel/protocol"
import type { Delivery } from "../ports/delivery.js"
import type { Clock, Random } from "../ports/platform.js"
import type { KeyValueStore, WriteOp } from "../ports/store.js"
import type { MlsEngine, SignatureKeyPair } from "../mls/mls-engine.js"
import { CoreError } from "../errors.js"
import type { Directory } from "./directory.js"
import type { ClientEvents } from "./events.js"
import { getJson, keys, putJson } from "./records.js"
import type { ConversationRecord, IdentityRecord, MessageEvent, MessageRecord } from "./records.js"

/** Everything the engine's modules share. Every function taking an Engine runs under its mutex. */
export interface Engine {
  store: KeyValueStore
  delivery: Delivery
  clock: Clock
  random: Random
  mls: MlsEngine
  directory: Directory
  identity: IdentityRecord
  signatureKeys: SignatureKeyPair
  events: ClientEvents
  settings: EngineSettings
}

export interface EngineSettings {
  /** Unclaimed key packages to keep on the server. */
  keyPackageTarget: number
  /** Attempts for a commit or a send that keeps meeting a newer epoch. */
  maxRetries: number
}

export async function loadGroup(e: Engine, groupId: string): Promise<ClientState | undefined> {
  const bytes = await e.store.get(keys.group(groupId))
  return bytes === undefined ? undefined : e.mls.decodeState(bytes)
}

export async function requireGroup(e: Engine, groupId: string): Promise<ClientState> {
  const state = await loadGroup(e, groupId)
  if (state === undefined)
    throw new CoreError("NOT_A_MEMBER", "this device is not a member of that conversation")
  return state
}

export function putGroup(e: Engine, groupId: string, state: ClientState): WriteOp {
  return { type: "put", key: keys.group(groupId), value: e.mls.encodeState(state) }
}

export function loadConversation(e: Engine, groupId: string): Promise<ConversationRecord | undefined> {
  return getJson<ConversationRecord>(e.store, keys.conversation(groupId))
}

/** Refuses changes and sends in a conversation this device has left or that was frozen. */
export function assertActive(conversation: ConversationRecord): void {
  if (conversation.status === "frozen") {
    throw new CoreError(
      "POLICY_REFUSED",
      `this conversation is frozen: ${conversation.frozenReason ?? "its rules were broken"}`,
    )
  }
  if (conversation.status !== "active")
    throw new CoreError("NOT_A_MEMBER", "you are no longer in that conversation")
}

export async function requireConversation(e: Engine, groupId: string): Promise<ConversationRecord> {
  const conversation = await loadConversation(e, groupId)
  if (conversation === undefined) throw new CoreError("UNKNOWN_CONVERSATION", "no conversation has that id")
  return conversation
}

/**
 * Allocates local message sequence numbers (display order). The counter is written in the same batch as
 * the messages that use it, so a crash cannot reuse a number.
 */
export class MessageWriter {
  private next: number | undefined
  private readonly ops: WriteOp[] = []
  readonly written: MessageRecord[] = []

  constructor(private readonly e: Engine) {}

  async add(record: Omit<MessageRecord, "v" | "localSeq">): Promise<MessageRecord> {
    if (this.next === undefined) this.next = ((await getJson<number>(this.e.store, keys.counter)) ?? 0) + 1
    const full: MessageRecord = { v: 1, ...record, localSeq: this.next }
    this.next += 1
    const key = keys.message(full.conversationId, full.localSeq)
    this.ops.push(putJson(key, full), putJson(keys.messageId(full.id), key))
    this.written.push(full)
    return full
  }

  /** Adds a visible event to a conversation's timeline; `actor` is the member who caused it, if known. */
  addEvent(
    conversationId: string,
    event: MessageEvent,
    actor?: { handle: string; deviceId: string },
    id?: string,
  ): Promise<MessageRecord> {
    const now = this.e.clock.now()
    return this.add({
      id: id ?? newId((n) => this.e.random.bytes(n), 16),
      conversationId,
      kind: "event",
      sender: actor ? { handle: actor.handle, deviceId: actor.deviceId } : { handle: "", deviceId: "" },
      sentAt: now,
      receivedAt: now,
      outgoing: actor !== undefined && actor.deviceId === this.e.identity.deviceId,
      event,
    })
  }

  /** Replaces a record added by this writer (same id and place), e.g. with its tombstone. */
  replace(record: MessageRecord): void {
    const key = keys.message(record.conversationId, record.localSeq)
    const at = this.ops.findIndex((op) => op.key === key)
    if (at < 0) throw new Error("replace() of a record this writer did not add")
    this.ops[at] = putJson(key, record)
    const shown = this.written.findIndex((m) => m.id === record.id)
    if (shown >= 0) this.written[shown] = record
  }

  /** The writes to commit together with the caller's other changes. */
  operations(): WriteOp[] {
    if (this.next === undefined) return []
    return [...this.ops, putJson(keys.counter, this.next - 1)]
  }

  emit(): void {
    for (const message of this.written) this.e.events.emit("message", message)
  }
}
