import { createContext, useContext, useEffect, useState } from "react"
import type { DirectoryEntry } from "@backchannel/protocol"
import type { EngineClient } from "../rpc/engine-client.js"

export const EngineContext = createContext<EngineClient | null>(null)

export function useEngine(): EngineClient {
  const engine = useContext(EngineContext)
  if (engine === null) throw new Error("useEngine outside EngineContext")
  return engine
}

export type ConnectionState = "connecting" | "open" | "closed"

/** The WebSocket session's state as the engine reports it. */
export function useConnection(): ConnectionState {
  const engine = useEngine()
  const [state, setState] = useState<ConnectionState>("connecting")
  useEffect(() => engine.on("connection", (c) => setState(c.state)), [engine])
  return state
}

const people = new Map<string, Promise<DirectoryEntry | undefined>>()

/** A person's directory entry (cached per page load; the engine caches it on the device too). */
export function usePerson(handle: string | undefined): DirectoryEntry | undefined {
  const engine = useEngine()
  const [entry, setEntry] = useState<DirectoryEntry | undefined>(undefined)
  useEffect(() => {
    if (handle === undefined) return
    let live = true
    let pending = people.get(handle)
    if (pending === undefined) {
      pending = engine.api.person(handle).catch(() => undefined)
      people.set(handle, pending)
    }
    void pending.then((e) => {
      if (live) setEntry(e)
    })
    return () => {
      live = false
    }
  }, [engine, handle])
  return entry
}

/** Forgets cached entries, e.g. after a member's devices changed. */
export function forgetPerson(handle: string): void {
  people.delete(handle)
}
