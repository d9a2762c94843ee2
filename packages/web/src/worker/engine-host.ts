import { BackchannelClient, ConfirmationRequiredError, CoreError } from "@backchannel/core"
import type { ClientEventMap, Subscription } from "@backchannel/core"
import { ProtocolError } from "@backchannel/protocol"
import { IndexedDbStore } from "../storage/idb-store.js"
import {
  createStateKey,
  eraseLocalState,
  ProtectionError,
  storedProtection,
  unlockStateKey,
} from "../storage/protection.js"
import type { ProtectionKind } from "../storage/protection.js"
import type {
  EngineApi,
  EngineFailure,
  EngineState,
  EnrolRequest,
  ResponseMessage,
} from "../rpc/engine-api.js"
import { browserPlatform } from "./browser-platform.js"

export const storeDatabase = "backchannel-state"
const forwardedEvents: Array<keyof ClientEventMap> = [
  "message",
  "messageStatus",
  "conversation",
  "devicesChanged",
  "warning",
  "connection",
]

/** Codes of failures raised by the web app itself (documented in docs/PROTOCOL.md). */
export type WebErrorCode = "WEB_LOCKED" | "WEB_UNKNOWN_METHOD" | "WEB_INTERNAL" | "WEB_UNAVAILABLE"

export class WebError extends Error {
  constructor(
    readonly code: WebErrorCode,
    message: string,
  ) {
    super(message)
    this.name = "WebError"
  }
}

/** Turns anything thrown into what crosses to the UI: a stable code and a message with no secrets. */
export function toFailure(err: unknown): EngineFailure {
  if (err instanceof ConfirmationRequiredError) {
    return { code: err.code, message: err.message, confirm: { reason: err.reason, people: err.people } }
  }
  if (err instanceof CoreError || err instanceof ProtectionError || err instanceof WebError) {
    return { code: err.code, message: err.message }
  }
  if (err instanceof ProtocolError) return { code: err.code, message: err.message }
  if (err instanceof Error && err.name === "DeliveryUnavailableError") {
    return { code: "WEB_UNAVAILABLE", message: "The server could not be reached. Try again shortly." }
  }
  return { code: "WEB_INTERNAL", message: "Something went wrong inside the app." }
}

/**
 * Owns the device's BackchannelClient inside the worker and implements the EngineApi over it. The
 * client exists only after enrol or unlock; calls that need it fail with WEB_LOCKED before.
 */
export class EngineHost {
  private client: BackchannelClient | undefined
  private protection: ProtectionKind | undefined
  private subscription: Subscription | undefined

  constructor(
    private readonly emit: (message: ResponseMessage) => void,
    private readonly factory: IDBFactory = indexedDB,
  ) {}

  private ready(): BackchannelClient {
    if (this.client === undefined) throw new WebError("WEB_LOCKED", "the local state is locked")
    return this.client
  }

  private attach(client: BackchannelClient): void {
    this.client = client
    for (const event of forwardedEvents) {
      client.events.on(event, (value) => {
        this.emit({ kind: "event", event, value })
      })
    }
  }

  readonly api: EngineApi = {
    state: async (): Promise<EngineState> => {
      if (this.client !== undefined && this.protection !== undefined) {
        return { status: "ready", identity: this.client.identity, protection: this.protection }
      }
      const protection = await storedProtection(this.factory)
      return protection === undefined ? { status: "empty" } : { status: "locked", protection }
    },
    enrol: async (request: EnrolRequest) => {
      if (this.client !== undefined) throw new CoreError("ALREADY_ENROLLED", "this browser holds a device")
      if ((await storedProtection(this.factory)) !== undefined) {
        // A half-finished enrolment (no identity stored) is started over.
        const store = await IndexedDbStore.open(storeDatabase, this.factory)
        const identity = await store.get("identity")
        await store.close()
        if (identity !== undefined) throw new CoreError("ALREADY_ENROLLED", "this browser holds a device")
        await eraseLocalState(storeDatabase, this.factory)
      }
      const key = await createStateKey(request.protection, this.factory)
      const store = await IndexedDbStore.open(storeDatabase, this.factory)
      try {
        const client = await BackchannelClient.enrol(browserPlatform(store, key), {
          serverUrl: request.serverUrl,
          invite: request.invite,
          deviceName: request.deviceName,
        })
        this.protection = request.protection.kind
        this.attach(client)
        return client.identity
      } catch (err) {
        await store.close()
        await eraseLocalState(storeDatabase, this.factory)
        throw err
      }
    },
    unlock: async (passphrase?: string) => {
      if (this.client !== undefined) return this.client.identity
      const protection = await storedProtection(this.factory)
      const key = await unlockStateKey(passphrase, this.factory)
      const store = await IndexedDbStore.open(storeDatabase, this.factory)
      const client = await BackchannelClient.open(browserPlatform(store, key))
      this.protection = protection
      this.attach(client)
      return client.identity
    },
    connect: async () => {
      const client = this.ready()
      if (this.subscription !== undefined) return
      this.emit({ kind: "event", event: "connection", value: { state: "connecting" } })
      try {
        this.subscription = await client.listen()
      } catch (err) {
        this.emit({ kind: "event", event: "connection", value: { state: "closed" } })
        throw err
      }
    },
    conversations: () => this.ready().conversations(),
    conversation: (id) => this.ready().conversation(id),
    messages: (id, limit) => this.ready().messages(id, limit === undefined ? {} : { limit }),
    message: (id) => this.ready().message(id),
    sendText: (target, text, options) => this.ready().sendText(target, text, options),
    createGroup: (name, members, options) => this.ready().createGroup(name, members, options),
    addMembers: (id, handles, options) => this.ready().addMembers(id, handles, options),
    removeMembers: (id, handles) => this.ready().removeMembers(id, handles),
    markRead: (id) => this.ready().markRead(id),
    directConversation: (handle) => this.ready().directConversation(handle),
    searchDirectory: (query, limit) => this.ready().searchDirectory(query, limit),
    person: (handle) => this.ready().person(handle),
    lookup: (handle) => this.ready().lookup(handle),
    unfamiliar: (handles) => this.ready().unfamiliar(handles),
    createDeviceInvite: () => this.ready().createDeviceInvite(),
    trace: (leaks, options) => this.ready().trace(leaks, options),
    previewCopy: (messageId, handle, deviceId) => this.ready().previewCopy(messageId, handle, deviceId),
    labels: () => this.ready().labels(),
    setDefaultTerms: (id, terms) => this.ready().setDefaultTerms(id, terms),
    viewOnce: (id) => this.ready().viewOnce(id),
    sweep: () => this.ready().sweep(),
    ledger: () => this.ready().ledger(),
    standing: (handle) => this.ready().standing(handle),
    recordBreach: (input) => this.ready().recordBreach(input),
    startWithout: (id, handles) => this.ready().startWithout(id, handles),
    erase: async () => {
      await this.subscription?.close()
      this.subscription = undefined
      await this.client?.close()
      this.client = undefined
      this.protection = undefined
      await eraseLocalState(storeDatabase, this.factory)
    },
  }
}
