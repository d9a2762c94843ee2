import type {
  EngineApi,
  EngineEventMap,
  EngineFailure,
  EngineMethod,
  RequestMessage,
  ResponseMessage,
} from "./engine-api.js"

/** A failed engine call as the UI sees it: the worker's stable code and a message for the user. */
export class EngineError extends Error {
  readonly code: string
  readonly confirm: EngineFailure["confirm"]
  constructor(failure: EngineFailure) {
    super(failure.message)
    this.name = "EngineError"
    this.code = failure.code
    this.confirm = failure.confirm
  }
}

export interface MessagePort {
  postMessage(message: RequestMessage): void
  addEventListener(type: "message", listener: (event: { data: ResponseMessage }) => void): void
}

type Listener<K extends keyof EngineEventMap> = (value: EngineEventMap[K]) => void

/**
 * The UI side of the engine RPC: each call gets an id; the worker answers with a result or an error for
 * that id, and pushes events that are dispatched to subscribers.
 */
export class EngineClient {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private readonly listeners = new Map<keyof EngineEventMap, Set<(value: never) => void>>()
  readonly api: EngineApi

  constructor(private readonly port: MessagePort) {
    port.addEventListener("message", (event) => {
      this.receive(event.data)
    })
    this.api = new Proxy({} as EngineApi, {
      get: (_target, method) => {
        return (...args: unknown[]) => this.call(method as EngineMethod, args)
      },
    })
  }

  on<K extends keyof EngineEventMap>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(event, set)
    }
    const entry = listener as (value: never) => void
    set.add(entry)
    return () => {
      set.delete(entry)
    }
  }

  private call(method: EngineMethod, args: unknown[]): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      // Drop trailing undefined arguments: they are not cloneable intent, only absence.
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop()
      this.port.postMessage({ kind: "call", id, method, args })
    })
  }

  private receive(message: ResponseMessage): void {
    if (message.kind === "event") {
      for (const listener of this.listeners.get(message.event) ?? []) {
        ;(listener as (value: unknown) => void)(message.value)
      }
      return
    }
    const waiting = this.pending.get(message.id)
    if (waiting === undefined) return
    this.pending.delete(message.id)
    if (message.kind === "result") waiting.resolve(message.value)
    else waiting.reject(new EngineError(message.error))
  }
}
