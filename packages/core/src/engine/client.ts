import { enrolmentSigningBytes, normaliseInviteCode, toB64, fromB64 } from "@backchannel/protocol"
import type { DirectoryEntry, InviteResponse, Label } from "@backchannel/protocol"
import type { CryptoProvider } from "ts-mls"
import type { Delivery, DeviceCredentials, Subscription } from "../ports/delivery.js"
import { DeliveryUnavailableError } from "../ports/delivery.js"
import type { Clock, Random } from "../ports/platform.js"
import type { KeyValueStore } from "../ports/store.js"
import { CoreError } from "../errors.js"
import { generateDeviceKeys, generateX25519 } from "../identity/device-keys.js"
import { MlsEngine } from "../mls/mls-engine.js"
import { defaultSuite, loadSuite } from "../mls/suite.js"
import type { SuiteName } from "../mls/suite.js"
import { DirectoryAuthenticationService } from "./auth-service.js"
import type { Engine, EngineSettings } from "./context.js"
import { requireConversation } from "./context.js"
import { Directory } from "./directory.js"
import { ClientEvents } from "./events.js"
import { replenishKeyPackages } from "./key-packages.js"
import { addPeople, createConversation, removePeople } from "./membership.js"
import { Mutex } from "./mutex.js"
import { directConversation, forward, sendWithChecks } from "./send-flow.js"
import type { ClientSendOptions, SendTarget } from "./send-flow.js"
import { setDefaultTerms } from "./conversation-settings.js"
import { ledger, recordBreach, rememberTrace, standingOf } from "./ledger.js"
import type { Standing } from "./ledger.js"
import type { PeopleOptions } from "./membership.js"
import { unfamiliarPeople } from "./people.js"
import { operatorLabels, sweepExpired, viewOnce } from "./terms.js"
import type { TermsInput } from "./terms.js"
import type { LedgerEntry } from "../content/content.js"
import { previewCopy } from "./marks.js"
import { trace } from "./trace.js"
import type { Leak, TraceResult } from "./trace.js"
import type { MarkedCopy } from "@backchannel/tracemark"
import { decodeJson, getJson, keys, putJson } from "./records.js"
import type { ConversationRecord, IdentityRecord, MessageRecord } from "./records.js"
import { catchUp, listen, sync } from "./sync.js"

/** What the platform supplies: storage (already sealed), the server, time, randomness, MLS crypto. */
export interface ClientPlatform {
  store: KeyValueStore
  deliveryFor(serverUrl: string, credentials?: DeviceCredentials): Delivery
  clock: Clock
  random: Random
  cryptoProvider?: CryptoProvider
}

export interface EnrolInput {
  serverUrl: string
  invite: string
  deviceName: string
  suite?: SuiteName
}

export interface PublicIdentity {
  handle: string
  deviceId: string
  deviceName: string
  serverUrl: string
}

const defaultSettings: EngineSettings = { keyPackageTarget: 40, maxRetries: 8 }

const catchUpOnly = async (e: Engine) => {
  await catchUp(e)
}

async function catchUpIfReachable(e: Engine): Promise<void> {
  try {
    await catchUp(e)
  } catch (err) {
    if (!(err instanceof DeliveryUnavailableError)) throw err
  }
}

/**
 * A device of a Backchannel user: the one object a CLI or web app talks to. Every operation is
 * serialised (MLS state must advance one step at a time) and every change is stored before it is
 * reported.
 */
export class BackchannelClient {
  readonly events: ClientEvents
  private readonly mutex = new Mutex()

  private constructor(private readonly e: Engine) {
    this.events = e.events
  }

  /** Enrols a new device with an invite code and returns it, ready to use. */
  static async enrol(
    platform: ClientPlatform,
    input: EnrolInput,
    settings: Partial<EngineSettings> = {},
  ): Promise<BackchannelClient> {
    if ((await platform.store.get(keys.identity)) !== undefined) {
      throw new CoreError("ALREADY_ENROLLED", "this profile already holds an enrolled device")
    }
    const invite = normaliseInviteCode(input.invite)
    if (invite === undefined) throw new CoreError("INVALID_INPUT", "that is not an invite code")
    const suiteName = input.suite ?? defaultSuite
    const suite = await loadSuite(suiteName, platform.cryptoProvider)
    const keysOfDevice = generateDeviceKeys(platform.random)
    const proof = await suite.signature.sign(
      keysOfDevice.signature.signKey,
      enrolmentSigningBytes(invite, keysOfDevice.signature.publicKey, keysOfDevice.tracemark.publicKey),
    )
    const response = await platform.deliveryFor(input.serverUrl).enrol({
      invite,
      deviceName: input.deviceName,
      signaturePublicKey: toB64(keysOfDevice.signature.publicKey),
      tracemarkPublicKey: toB64(keysOfDevice.tracemark.publicKey),
      proof: toB64(proof),
    })
    const firstDevice = !response.entry.devices.some(
      (d) => d.deviceId !== response.deviceId && d.revokedAt === undefined,
    )
    const identity: IdentityRecord = {
      v: 1,
      serverUrl: input.serverUrl,
      handle: response.entry.handle,
      deviceId: response.deviceId,
      deviceName: input.deviceName,
      suite: suiteName,
      signaturePrivateKey: toB64(keysOfDevice.signature.signKey),
      signaturePublicKey: toB64(keysOfDevice.signature.publicKey),
      tracemarkPrivateKey: toB64(keysOfDevice.tracemark.privateKey),
      tracemarkPublicKey: toB64(keysOfDevice.tracemark.publicKey),
      // The first device creates the user's sender key; later devices receive it in the self group.
      ...(firstDevice
        ? { senderTracemarkPrivateKey: toB64(generateX25519(platform.random).privateKey) }
        : {}),
      enrolledAt: platform.clock.now(),
    }
    await platform.store.batch([putJson(keys.identity, identity)])
    const client = await BackchannelClient.open(platform, settings)
    await client.mutex.run(async () => {
      await replenishKeyPackages(client.e)
      if (firstDevice) {
        const self = await createConversation(client.e, { kind: "self", members: [] }, catchUpOnly)
        client.e.identity = { ...client.e.identity, selfGroupId: self.id }
        await client.e.store.batch([putJson(keys.identity, client.e.identity)])
      }
    })
    return client
  }

  /** Opens the enrolled device held in this store. */
  static async open(
    platform: ClientPlatform,
    settings: Partial<EngineSettings> = {},
  ): Promise<BackchannelClient> {
    const identity = await getJson<IdentityRecord>(platform.store, keys.identity)
    if (identity === undefined) throw new CoreError("NOT_ENROLLED", "this profile has no enrolled device")
    const suite = await loadSuite(identity.suite, platform.cryptoProvider)
    const signKey = fromB64(identity.signaturePrivateKey)
    const delivery = platform.deliveryFor(identity.serverUrl, {
      deviceId: identity.deviceId,
      sign: (bytes) => suite.signature.sign(signKey, bytes),
    })
    const events = new ClientEvents()
    const directory = new Directory(platform.store, delivery, platform.clock, (change) =>
      events.emit("devicesChanged", change),
    )
    const authService = new DirectoryAuthenticationService(directory, () =>
      events.emit("warning", {
        code: "CREDENTIAL_REJECTED",
        message: "A member's credential did not match the directory; the message was refused.",
      }),
    )
    const e: Engine = {
      store: platform.store,
      delivery,
      clock: platform.clock,
      random: platform.random,
      mls: new MlsEngine(suite, authService),
      directory,
      identity,
      signatureKeys: { signKey, publicKey: fromB64(identity.signaturePublicKey) },
      events,
      settings: { ...defaultSettings, ...settings },
    }
    return new BackchannelClient(e)
  }

  get identity(): PublicIdentity {
    const { handle, deviceId, deviceName, serverUrl } = this.e.identity
    return { handle, deviceId, deviceName, serverUrl }
  }

  /** Processes everything the server holds for this device; returns the number of queue items seen. */
  sync(): Promise<number> {
    return this.mutex.run(() => sync(this.e))
  }

  /** Syncs, then stays subscribed: new items are processed as they arrive until `close()`. */
  async listen(): Promise<Subscription> {
    await this.sync()
    const cursor = await this.mutex.run(async () => (await getJson<number>(this.e.store, keys.cursor)) ?? 0)
    return listen(this.e, (task) => this.mutex.run(task), cursor)
  }

  /**
   * Sends text to a person (in the direct conversation with them, created on first use) or to a
   * conversation, with confidentiality terms. Throws ConfirmationRequiredError for a person never written
   * to before (`confirmNewPeople`) or a label above a member's standing (`confirmStanding`).
   */
  sendText(target: SendTarget, text: string, options: ClientSendOptions = {}): Promise<MessageRecord> {
    return this.mutex.run(async () => {
      // Offline, a message to an existing conversation still goes into the outbox ("pending").
      await catchUpIfReachable(this.e)
      return sendWithChecks(this.e, target, text, options, catchUpOnly)
    })
  }

  /** Forwards a message to a person or conversation, unless its terms forbid forwarding. */
  forward(messageId: string, target: SendTarget, options: ClientSendOptions = {}): Promise<MessageRecord> {
    return this.mutex.run(async () => {
      await catchUpIfReachable(this.e)
      return forward(this.e, messageId, target, options, catchUpOnly)
    })
  }

  /**
   * Creates a group conversation with these people (by handle). `verifiedOnly`: only people the operator
   * vouches for, enforced by every member's client. People never written to before need `confirmNewPeople`.
   */
  createGroup(
    name: string,
    members: string[],
    options: PeopleOptions & { verifiedOnly?: boolean } = {},
  ): Promise<ConversationRecord> {
    const trimmed = name.trim()
    if (trimmed.length === 0 || trimmed.length > 200) {
      return Promise.reject(new CoreError("INVALID_INPUT", "a group name is 1–200 characters"))
    }
    return this.mutex.run(async () => {
      await catchUp(this.e)
      return createConversation(this.e, { kind: "group", name: trimmed, members, ...options }, catchUpOnly)
    })
  }

  addMembers(
    conversationId: string,
    handles: string[],
    options: PeopleOptions = {},
  ): Promise<ConversationRecord> {
    return this.mutex.run(async () => {
      await catchUp(this.e)
      await addPeople(this.e, conversationId, handles, catchUpOnly, options)
      return requireConversation(this.e, conversationId)
    })
  }

  /**
   * Continues a conversation without some people: a new group with everyone else, named after the old
   * one. Used when a label is above someone's standing.
   */
  startWithout(conversationId: string, handles: string[]): Promise<ConversationRecord> {
    return this.mutex.run(async () => {
      await catchUp(this.e)
      const old = await requireConversation(this.e, conversationId)
      const leaving = new Set(handles)
      const others = [...new Set(old.members.map((m) => m.handle))].filter((h) => !leaving.has(h))
      const title = old.kind === "direct" ? "Conversation" : (old.name ?? "Group")
      return createConversation(
        this.e,
        {
          kind: "group",
          name: `${title} (without ${handles.join(", ")})`.slice(0, 200),
          members: others,
          ...(old.verifiedOnly === true ? { verifiedOnly: true } : {}),
          confirmNewPeople: true,
        },
        catchUpOnly,
      )
    })
  }

  /** Sets a conversation's default terms for every member (shown to all as an event). */
  setDefaultTerms(conversationId: string, terms: TermsInput): Promise<ConversationRecord> {
    return this.mutex.run(async () => {
      await catchUp(this.e)
      return setDefaultTerms(this.e, conversationId, terms, catchUpOnly)
    })
  }

  /** Deletes, on this device, every message whose expiry has passed; returns how many. */
  sweep(): Promise<number> {
    return this.mutex.run(() => sweepExpired(this.e))
  }

  /** Opens a view-once message: returns it with its text, and deletes the text from this device. */
  viewOnce(messageId: string): Promise<MessageRecord> {
    return this.mutex.run(() => viewOnce(this.e, messageId))
  }

  /** The operator's confidentiality labels, most sensitive first. */
  labels(): Promise<Label[]> {
    return this.mutex.run(() => operatorLabels(this.e))
  }

  /** The people among `handles` this user has never shared a conversation with (need confirmation). */
  unfamiliar(handles: string[]): Promise<DirectoryEntry[]> {
    return this.mutex.run(() => unfamiliarPeople(this.e, handles))
  }

  /** The user's trust ledger: every recorded breach. */
  ledger(): Promise<LedgerEntry[]> {
    return this.mutex.run(() => ledger(this.e))
  }

  standing(handle: string): Promise<Standing> {
    return this.mutex.run(() => standingOf(this.e, handle))
  }

  /** Records a breach against a person from a leak check that attributed the leak to them. */
  recordBreach(input: { handle: string; messageId: string; note?: string }): Promise<LedgerEntry> {
    return this.mutex.run(async () => {
      await catchUpIfReachable(this.e)
      return recordBreach(this.e, input, catchUpOnly)
    })
  }

  removeMembers(conversationId: string, handles: string[]): Promise<ConversationRecord> {
    return this.mutex.run(async () => {
      await catchUp(this.e)
      await removePeople(this.e, conversationId, handles, catchUpOnly)
      return requireConversation(this.e, conversationId)
    })
  }

  /** An invite with which another device of this same user can enrol. */
  createDeviceInvite(): Promise<InviteResponse> {
    return this.e.delivery.createDeviceInvite()
  }

  /** Conversations, most recently active first. The user's own "self" conversation is left out. */
  async conversations(): Promise<ConversationRecord[]> {
    const records = await this.e.store.list("conv/")
    return records
      .map((r) => decodeJson<ConversationRecord>(r.value))
      .filter((c) => c.kind !== "self")
      .sort((a, b) => b.lastActivityAt - a.lastActivityAt)
  }

  conversation(conversationId: string): Promise<ConversationRecord> {
    return requireConversation(this.e, conversationId)
  }

  /** The direct conversation with this person, if there is one. */
  directConversation(handle: string): Promise<ConversationRecord | undefined> {
    return directConversation(this.e, handle)
  }

  /** Messages of a conversation in order (expired ones swept first); `limit` keeps the most recent ones. */
  async messages(conversationId: string, options: { limit?: number } = {}): Promise<MessageRecord[]> {
    await this.mutex.run(() => sweepExpired(this.e))
    const prefix = keys.messagePrefix(conversationId)
    const records =
      options.limit === undefined
        ? await this.e.store.list(prefix)
        : (await this.e.store.list(prefix, { reverse: true, limit: options.limit })).reverse()
    return records.map((r) => decodeJson<MessageRecord>(r.value))
  }

  /** Every text message this device holds, across conversations, oldest first. */
  async allMessages(): Promise<MessageRecord[]> {
    const records = await this.e.store.list("msg/")
    return records.map((r) => decodeJson<MessageRecord>(r.value)).sort((a, b) => a.localSeq - b.localSeq)
  }

  markRead(conversationId: string): Promise<void> {
    return this.mutex.run(async () => {
      const conversation = await requireConversation(this.e, conversationId)
      if (conversation.unread === 0) return
      const updated = { ...conversation, unread: 0 }
      await this.e.store.batch([putJson(keys.conversation(conversationId), updated)])
      this.e.events.emit("conversation", updated)
    })
  }

  /**
   * Finds which of this user's messages a leaked copy shows and scores every device that received it
   * (see engine/trace.ts). Several leaks of different messages sum their evidence.
   */
  trace(leaks: Leak[], options: { messageId?: string; recent?: number } = {}): Promise<TraceResult> {
    return this.mutex.run(async () => {
      const result = await trace(this.e, leaks, options)
      // Kept as the evidence a breach can be recorded from.
      await this.e.store.batch(rememberTrace(result))
      return result
    })
  }

  /** The copy one recipient device was shown of a message this user wrote (the sender's preview). */
  previewCopy(messageId: string, handle: string, deviceId: string): Promise<MarkedCopy> {
    return this.mutex.run(async () => {
      const message = await this.message(messageId)
      if (message === undefined) throw new CoreError("INVALID_INPUT", "no message has that id on this device")
      return previewCopy(this.e, message, handle, deviceId)
    })
  }

  /** One stored message by id. */
  async message(messageId: string): Promise<MessageRecord | undefined> {
    const key = await getJson<string>(this.e.store, keys.messageId(messageId))
    return key === undefined ? undefined : getJson<MessageRecord>(this.e.store, key)
  }

  searchDirectory(query: string, limit?: number): Promise<DirectoryEntry[]> {
    return this.e.directory.search(query, limit)
  }

  /** A person's directory entry, fresh from the server. */
  lookup(handle: string): Promise<DirectoryEntry | undefined> {
    return this.e.directory.entry(handle, { refresh: true })
  }

  /** A person's directory entry as this device last saw it (asks the server only if never seen). */
  person(handle: string): Promise<DirectoryEntry | undefined> {
    return this.e.directory.entry(handle)
  }

  close(): Promise<void> {
    return this.mutex.run(() => this.e.store.close())
  }
}
