import { useCallback, useEffect, useState } from "react"
import type { PublicIdentity } from "@backchannel/core"
import type { EngineClient } from "./rpc/engine-client.js"
import type { EngineState } from "./rpc/engine-api.js"
import { href, parseRoute } from "./routes.js"
import type { Route } from "./routes.js"
import { EngineContext, useConnection, useEngine, usePerson } from "./ui/engine-context.js"
import { EnrolScreen } from "./screens/enrol.js"
import { UnlockScreen } from "./screens/unlock.js"
import { ConversationList } from "./screens/conversation-list.js"
import { ConversationScreen } from "./screens/conversation.js"
import { NewConversationScreen } from "./screens/new-conversation.js"
import { MembersScreen } from "./screens/members.js"
import { DevicesScreen } from "./screens/devices.js"
import { LeakCheckScreen } from "./screens/leak-check.js"
import { LedgerScreen } from "./screens/ledger.js"
import { ConfirmHost } from "./components/people-confirm.js"

/** The shell and the one place that maps routes (routes.ts) to screens and draws the navigation. */
function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash))
  useEffect(() => {
    const onChange = () => {
      setRoute(parseRoute(window.location.hash))
    }
    window.addEventListener("hashchange", onChange)
    return () => {
      window.removeEventListener("hashchange", onChange)
    }
  }, [])
  return route
}

export function App({ engine }: { engine: EngineClient }) {
  const [state, setState] = useState<EngineState | undefined>(undefined)
  const [failure, setFailure] = useState<string | undefined>(undefined)
  const route = useRoute()

  const refresh = useCallback(async () => {
    let next = await engine.api.state()
    if (next.status === "locked" && next.protection === "device-key") {
      await engine.api.unlock()
      next = await engine.api.state()
    }
    setState(next)
  }, [engine])

  useEffect(() => {
    refresh().catch((err: unknown) => {
      setFailure(err instanceof Error ? err.message : "The app could not start.")
    })
  }, [refresh])

  let body
  if (failure !== undefined) {
    body = (
      <main className="centered" id="main">
        <div className="card" role="alert">
          <h1>Backchannel could not open</h1>
          <p>{failure}</p>
        </div>
      </main>
    )
  } else if (state === undefined) {
    body = (
      <main className="centered" id="main" aria-busy="true">
        <p className="muted">Opening…</p>
      </main>
    )
  } else if (state.status === "empty") {
    const code = route.name === "enrol" ? route.code : ""
    body = <EnrolScreen key={code} code={code} onEnrolled={() => void refresh()} />
  } else if (state.status === "locked") {
    body = <UnlockScreen onUnlocked={() => void refresh()} />
  } else {
    body = <Shell identity={state.identity} route={route} />
  }
  return <EngineContext.Provider value={engine}>{body}</EngineContext.Provider>
}

const connectionText = { open: "Connected", connecting: "Connecting…", closed: "Offline — reconnecting" }

function useLiveSession(): void {
  const engine = useEngine()
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const attempt = () => {
      engine.api.connect().catch(() => {
        // The first sync failed (server unreachable): try again; the socket then reconnects by itself.
        if (!stopped) timer = setTimeout(attempt, 3000)
      })
    }
    attempt()
    return () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [engine])
}

function PersonName({ handle }: { handle: string }) {
  return <>{usePerson(handle)?.displayName ?? handle}</>
}

/** People whose devices changed during this session, until the user has looked at Devices & safety. */
function useDeviceChanges(): [string[], () => void] {
  const engine = useEngine()
  const [handles, setHandles] = useState<string[]>([])
  useEffect(
    () =>
      engine.on("devicesChanged", (change) => {
        setHandles((list) => (list.includes(change.handle) ? list : [...list, change.handle]))
      }),
    [engine],
  )
  return [
    handles,
    () => {
      setHandles([])
    },
  ]
}

function Shell({ identity, route }: { identity: PublicIdentity; route: Route }) {
  useLiveSession()
  const connection = useConnection()
  const [changed, clearChanged] = useDeviceChanges()
  const selected = route.name === "conversation" || route.name === "members" ? route.id : undefined
  const paneOpen = route.name !== "home" && route.name !== "enrol"
  let pane
  switch (route.name) {
    case "conversation":
      pane = <ConversationScreen key={route.id} conversationId={route.id} me={identity} />
      break
    case "members":
      pane = <MembersScreen key={route.id} conversationId={route.id} me={identity} />
      break
    case "new":
      pane = <NewConversationScreen me={identity} />
      break
    case "devices":
      pane = <DevicesScreen me={identity} />
      break
    case "leak":
      pane = <LeakCheckScreen />
      break
    case "ledger":
      pane = <LedgerScreen />
      break
    default:
      pane = (
        <div className="empty-pane">
          <p>Select a conversation, or start a new one.</p>
        </div>
      )
  }
  return (
    <div className={`shell ${paneOpen ? "pane-open" : ""}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={href({ name: "home" })}>
          Backchannel
        </a>
        <nav aria-label="Main">
          <a href={href({ name: "new" })} aria-current={route.name === "new" ? "page" : undefined}>
            New
          </a>
          <a href={href({ name: "devices" })} aria-current={route.name === "devices" ? "page" : undefined}>
            Devices &amp; safety
          </a>
          <a href={href({ name: "leak" })} aria-current={route.name === "leak" ? "page" : undefined}>
            Leak check
          </a>
          <a href={href({ name: "ledger" })} aria-current={route.name === "ledger" ? "page" : undefined}>
            Ledger
          </a>
        </nav>
        <span className={`connection connection-${connection}`} role="status" data-testid="connection">
          {connectionText[connection]}
        </span>
        <span className="whoami" title={identity.deviceName}>
          {identity.handle}
        </span>
      </header>
      {changed.length > 0 && (
        <div className="banner warn device-warning" role="alert">
          Devices changed for{" "}
          {changed.map((h, i) => (
            <span key={h}>
              {i > 0 ? ", " : ""}
              <PersonName handle={h} />
            </span>
          ))}
          . Before sharing anything sensitive, compare their safety numbers in{" "}
          <a href={href({ name: "devices" })} onClick={clearChanged}>
            Devices &amp; safety
          </a>
          .
        </div>
      )}
      <aside className="sidebar" aria-label="Conversations">
        <ConversationList selected={selected} />
      </aside>
      <main className="pane" id="main">
        {pane}
      </main>
      <ConfirmHost />
    </div>
  )
}
