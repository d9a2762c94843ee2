// A page for bench/web/scroll.mjs: the web app's real ConversationScreen (virtualized list, tracemark
// bubbles) over a conversation of N messages served by an in-page stand-in for the engine worker.
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import type { ConversationRecord, MessageRecord } from "@backchannel/core"
import { buildTemplate, markCopy } from "@backchannel/tracemark"
import { EngineContext } from "../../packages/web/src/ui/engine-context.js"
import { EngineClient } from "../../packages/web/src/rpc/engine-client.js"
import type { RequestMessage, ResponseMessage } from "../../packages/web/src/rpc/engine-api.js"
import { ConversationScreen } from "../../packages/web/src/screens/conversation.js"
import "../../packages/web/src/styles.css"

const sentences = [
  "The delegation lands at nine and goes straight to the residence.",
  "Please confirm the seating plan before the ministers arrive tomorrow.",
  "We can accept the revised wording on the monitors if they do the same.",
  "Keep this within your office until the statement is agreed.",
  "The call with the chancellor moved to Thursday afternoon.",
  "Our position on the tariff schedule has not changed; the annex stays as drafted.",
]

function conversationOf(count: number): { conversation: ConversationRecord; messages: MessageRecord[] } {
  const id = "bench-conversation"
  const secret = crypto.getRandomValues(new Uint8Array(32))
  const messages: MessageRecord[] = []
  const start = Date.now() - count * 60_000
  for (let i = 0; i < count; i++) {
    const text = `${sentences[i % sentences.length] ?? ""}${i % 3 === 0 ? ` ${sentences[(i + 2) % sentences.length] ?? ""}` : ""}`
    const outgoing = i % 3 === 1
    const base = {
      v: 1 as const,
      id: `m${i}`,
      conversationId: id,
      localSeq: i,
      kind: "text" as const,
      sender: { handle: outgoing ? "alice" : "bob", deviceId: outgoing ? "dA" : "dB" },
      sentAt: start + i * 60_000,
      receivedAt: start + i * 60_000,
      outgoing,
    }
    if (outgoing) {
      messages.push({ ...base, text, status: "sent" })
    } else {
      const copy = markCopy({ text, messageId: base.id, secret, template: buildTemplate(text) })
      messages.push({ ...base, text: copy.text, plan: copy.plan })
    }
  }
  const conversation: ConversationRecord = {
    v: 1,
    id,
    kind: "direct",
    peer: "bob",
    createdBy: "alice",
    createdAt: start,
    members: [
      { handle: "alice", deviceId: "dA", since: start },
      { handle: "bob", deviceId: "dB", since: start },
    ],
    status: "active",
    joinedAt: start,
    lastActivityAt: Date.now(),
    unread: 0,
  }
  return { conversation, messages }
}

/** Answers the few engine calls the conversation screen makes, from memory. */
function fakePort(data: { conversation: ConversationRecord; messages: MessageRecord[] }) {
  const listeners: Array<(event: { data: ResponseMessage }) => void> = []
  const answer = (request: RequestMessage): unknown => {
    switch (request.method) {
      case "conversation":
        return data.conversation
      case "messages":
        return data.messages
      case "person":
        return {
          handle: request.args[0],
          displayName: request.args[0] === "bob" ? "Bob Keller" : "Alice Martin",
          title: "Adviser",
          kind: "member",
          createdAt: 0,
          devices: [],
        }
      default:
        return undefined
    }
  }
  return {
    postMessage(request: RequestMessage) {
      queueMicrotask(() => {
        for (const l of listeners) l({ data: { kind: "result", id: request.id, value: answer(request) } })
      })
    },
    addEventListener(_type: "message", listener: (event: { data: ResponseMessage }) => void) {
      listeners.push(listener)
    },
  }
}

export function mount(count: number): number {
  const started = performance.now()
  const data = conversationOf(count)
  const generatedMs = performance.now() - started
  const engine = new EngineClient(fakePort(data))
  const root = document.getElementById("root")
  if (root === null) throw new Error("no root")
  createRoot(root).render(
    <StrictMode>
      <EngineContext.Provider value={engine}>
        <div
          className="shell pane-open"
          style={{ gridTemplateColumns: "1fr", gridTemplateAreas: '"top" "pane"' }}
        >
          <header className="topbar">Backchannel scroll benchmark</header>
          <main className="pane" id="main">
            <ConversationScreen
              conversationId="bench-conversation"
              me={{ handle: "alice", deviceId: "dA", deviceName: "bench", serverUrl: "" }}
            />
          </main>
        </div>
      </EngineContext.Provider>
    </StrictMode>,
  )
  return generatedMs
}
