import type { ConversationRecord, MessageRecord } from "./records.js"
import type { DeviceChange } from "./directory.js"

/** What the engine tells a user interface. Listeners must not throw; errors they raise are ignored. */
export interface ClientEventMap {
  message: MessageRecord
  /** A pending outgoing message was accepted by the server. */
  messageStatus: { id: string; conversationId: string; status: "sent" }
  conversation: ConversationRecord
  devicesChanged: DeviceChange
  /** Something the user should know about: a rejected credential, an undecryptable message... */
  warning: { code: string; message: string; conversationId?: string }
  connection: { state: "connecting" | "open" | "closed" }
}

type Listener<T> = (value: T) => void

export class ClientEvents {
  private readonly listeners = new Map<keyof ClientEventMap, Set<Listener<never>>>()

  on<K extends keyof ClientEventMap>(event: K, listener: Listener<ClientEventMap[K]>): () => void {
    let set = this.listeners.get(event)
    if (!set) {
      set = new Set()
      this.listeners.set(event, set)
    }
    set.add(listener)
    return () => set.delete(listener)
  }

  emit<K extends keyof ClientEventMap>(event: K, value: ClientEventMap[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        ;(listener as Listener<ClientEventMap[K]>)(value)
      } catch {
        // A failing listener must not break message processing.
      }
    }
  }
}
