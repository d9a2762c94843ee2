import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react"
import type { KeyboardEvent, ReactNode } from "react"
import type { ConversationRecord, MessageEvent, MessageRecord, PublicIdentity } from "@backchannel/core"
import { href, navigate } from "../routes.js"
import { MarkedBubble } from "../components/bubble.js"
import { ComposerTerms, TermsLine, describeDefaults, noTerms, toTermsInput } from "../components/terms.js"
import type { ChosenTerms } from "../components/terms.js"
import {
  DefaultTermsButton,
  NoCopy,
  RevealedOnce,
  ViewOnceGate,
  useRevealed,
} from "../components/terms-message.js"
import { VirtualList } from "../components/virtual-list.js"
import { EngineError } from "../rpc/engine-client.js"
import { withConfirmation } from "../ui/confirm.js"
import { useEngine, usePerson } from "../ui/engine-context.js"
import { conversationTitle, formatTime, orElse, personLine } from "../ui/format.js"

const invisible = /[\u200b-\u200f\u2060-\u2064\ufeff]/g

function Name({ handle, me }: { handle: string | undefined; me: PublicIdentity }) {
  const entry = usePerson(handle)
  if (handle === undefined) return <>Someone</>
  if (handle === me.handle) return <>You</>
  return (
    <>
      {entry?.displayName ?? handle}
      {entry?.kind === "guest" && <span className="tag outsider">Outsider</span>}
    </>
  )
}

function Names({ handles, me }: { handles: string[]; me: PublicIdentity }) {
  return (
    <>
      {handles.map((h, i) => (
        <span key={h}>
          {i > 0 ? ", " : ""}
          <Name handle={h} me={me} />
        </span>
      ))}
    </>
  )
}

function EventLine({ event, me }: { event: MessageEvent; me: PublicIdentity }) {
  const actor = "actor" in event ? event.actor : undefined
  switch (event.type) {
    case "created":
      return (
        <>
          <Name handle={event.actor} me={me} /> created the conversation
        </>
      )
    case "joined":
      return (
        <>
          You joined
          {actor !== undefined ? (
            <>
              {" "}
              (added by <Name handle={actor} me={me} />)
            </>
          ) : null}
        </>
      )
    case "added":
      return (
        <>
          <Name handle={actor} me={me} /> added <Names handles={event.subjects} me={me} />
        </>
      )
    case "removed":
      return (
        <>
          <Name handle={actor} me={me} /> removed <Names handles={event.subjects} me={me} />
        </>
      )
    case "devices":
      return (
        <>
          Devices changed for <Names handles={event.subjects} me={me} />: check their safety numbers
        </>
      )
    case "terms":
      return (
        <>
          <Name handle={actor} me={me} /> set the conversation&apos;s default terms:{" "}
          {describeDefaults(event.defaults)}
        </>
      )
    case "frozen":
      return <>This conversation is frozen: {event.reason}</>
    case "you-were-removed":
      return (
        <>
          <Name handle={actor} me={me} /> removed you from this conversation
        </>
      )
  }
}

function SenderLine({ handle }: { handle: string }) {
  const entry = usePerson(handle)
  const line = personLine(entry)
  return (
    <div className="sender">
      <span className="sender-name">{entry?.displayName ?? handle}</span>
      {entry?.kind === "guest" && <span className="tag outsider">Outsider</span>}
      {line !== "" && <span className="sender-title">{line}</span>}
    </div>
  )
}

function MessageRow({
  message,
  me,
  quoted,
  onReply,
}: {
  message: MessageRecord
  me: PublicIdentity
  quoted: MessageRecord | undefined
  onReply: (m: MessageRecord) => void
}) {
  if (message.kind === "event" && message.event !== undefined) {
    return (
      <div className="event-line" data-testid="event-line">
        <EventLine event={message.event} me={me} /> · {formatTime(message.receivedAt)}
      </div>
    )
  }
  const revealed = useRevealed(message.id)
  const shown = revealed ?? message
  const text = (shown.text ?? "").replace(invisible, "")
  const removed = revealed === undefined && message.removed !== undefined
  const gated = !message.outgoing && message.terms?.viewOnce === true && revealed === undefined && !removed
  const status = message.outgoing ? (message.status === "pending" ? "Sending…" : "Sent") : undefined
  return (
    <article
      className={`msg ${message.outgoing ? "out" : "in"}`}
      data-testid="message"
      aria-label={message.outgoing ? "You wrote" : "Received message"}
    >
      {!message.outgoing && <SenderLine handle={message.sender.handle} />}
      {quoted !== undefined && (
        <div className="quote">↪ {(quoted.text ?? "").replace(invisible, "").slice(0, 120)}</div>
      )}
      <TermsLine terms={message.terms} />
      {removed ? (
        <div className="bubble removed" data-testid="removed-bubble">
          {message.removed === "expired" ? "This message expired." : "Viewed once."}
        </div>
      ) : gated ? (
        <ViewOnceGate messageId={message.id} />
      ) : (
        wrapBody(
          message,
          revealed !== undefined,
          !message.outgoing && shown.plan !== undefined ? (
            <MarkedBubble plan={shown.plan} copyText={shown.text ?? ""} label={text} />
          ) : (
            <div className="bubble plain" data-testid={message.outgoing ? "sent-bubble" : "plain-bubble"}>
              {text}
            </div>
          ),
        )
      )}
      <div className="meta">
        <time dateTime={new Date(message.sentAt).toISOString()}>{formatTime(message.sentAt)}</time>
        {status !== undefined && (
          <span className={`status ${message.status ?? "sent"}`} data-testid="delivery-state">
            {status}
          </span>
        )}
        {!removed && !gated && revealed === undefined && (
          <button type="button" className="link" onClick={() => onReply(message)}>
            Reply
          </button>
        )}
      </div>
    </article>
  )
}

/** A no-forward message cannot be copied; an opened view-once message can be closed for good. */
function wrapBody(message: MessageRecord, revealed: boolean, body: ReactNode): ReactNode {
  const guarded = !message.outgoing && message.terms?.noForward === true ? <NoCopy>{body}</NoCopy> : body
  return revealed ? <RevealedOnce messageId={message.id}>{guarded}</RevealedOnce> : guarded
}

function estimate(m: MessageRecord): number {
  if (m.kind === "event") return 30
  const terms = m.terms !== undefined ? 26 : 0
  if (m.removed !== undefined) return 56 + terms
  if (m.terms?.viewOnce === true && !m.outgoing) return 110 + terms
  if (m.plan !== undefined && !m.outgoing) return m.plan.height + 52 + terms
  return Math.ceil((m.text?.length ?? 0) / 40) * 21 + 60 + terms
}
const keyOf = (m: MessageRecord) => m.id

export function Composer({
  onSend,
  replyTo,
  onCancelReply,
  defaults,
}: {
  onSend: (text: string, terms: ChosenTerms) => Promise<void>
  replyTo: MessageRecord | undefined
  onCancelReply: () => void
  defaults?: ConversationRecord["defaultTerms"]
}) {
  const [text, setText] = useState("")
  const [terms, setTerms] = useState<ChosenTerms>(noTerms)
  const [sending, setSending] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const id = useId()
  const area = useRef<HTMLTextAreaElement>(null)
  useEffect(() => {
    if (replyTo !== undefined) area.current?.focus()
  }, [replyTo])
  const send = () => {
    const body = text.trim()
    if (body === "" || sending) return
    const sentTerms = terms
    setSending(true)
    setError(undefined)
    onSend(body, sentTerms)
      .then(() => {
        // Clear only what was sent: anything typed or chosen while the message was on its way stays.
        setText((current) => (current.trim() === body ? "" : current))
        setTerms((current) => (current === sentTerms ? noTerms : current))
      })
      .catch((err: unknown) => {
        setError(err instanceof EngineError || err instanceof Error ? err.message : "Not sent.")
      })
      .finally(() => {
        setSending(false)
        area.current?.focus()
      })
  }
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault()
      send()
    }
    if (event.key === "Escape" && replyTo !== undefined) onCancelReply()
  }
  return (
    <div className="composer">
      {replyTo !== undefined && (
        <div className="replying">
          <span>Replying to: {(replyTo.text ?? "").replace(invisible, "").slice(0, 80)}</span>
          <button type="button" className="link" onClick={onCancelReply}>
            Cancel
          </button>
        </div>
      )}
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ComposerTerms value={terms} onChange={setTerms} defaults={defaults} />
      <div className="composer-row">
        <label htmlFor={id} className="visually-hidden">
          Message
        </label>
        <textarea
          id={id}
          ref={area}
          rows={2}
          placeholder="Write a message — Enter sends, Shift+Enter for a new line"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          aria-busy={sending}
          data-testid="composer"
        />
        <button type="button" className="primary" onClick={send} disabled={sending || text.trim() === ""}>
          {sending ? "Sending…" : "Send"}
        </button>
      </div>
    </div>
  )
}

export function ConversationScreen({ conversationId, me }: { conversationId: string; me: PublicIdentity }) {
  const engine = useEngine()
  const [conversation, setConversation] = useState<ConversationRecord | undefined>(undefined)
  const [messages, setMessages] = useState<MessageRecord[]>([])
  const [missing, setMissing] = useState(false)
  const [replyTo, setReplyTo] = useState<MessageRecord | undefined>(undefined)
  const peer = usePerson(conversation?.kind === "direct" ? conversation.peer : undefined)

  const load = useCallback(async () => {
    try {
      const [c, list] = await Promise.all([
        engine.api.conversation(conversationId),
        engine.api.messages(conversationId),
      ])
      setConversation(c)
      setMessages(list)
      if (c.unread > 0) await engine.api.markRead(conversationId)
    } catch {
      setMissing(true)
    }
  }, [engine, conversationId])

  useEffect(() => {
    void load()
    const offs = [
      engine.on("message", (m) => {
        if (m.conversationId !== conversationId) return
        setMessages((list) =>
          list.some((x) => x.id === m.id) ? list.map((x) => (x.id === m.id ? m : x)) : [...list, m],
        )
        if (!m.outgoing) void engine.api.markRead(conversationId).catch(() => undefined)
      }),
      engine.on("messageStatus", (s) => {
        if (s.conversationId !== conversationId) return
        setMessages((list) => list.map((x) => (x.id === s.id ? { ...x, status: s.status } : x)))
      }),
      engine.on("conversation", (c) => {
        if (c.id === conversationId) setConversation(c)
      }),
    ]
    return () => {
      for (const off of offs) off()
    }
  }, [engine, conversationId, load])

  // Expired messages are deleted by the engine's sweep; run it when the next expiry is due.
  useEffect(() => {
    const due = messages
      .filter((m) => m.removed === undefined && m.terms?.expiresAt !== undefined)
      .map((m) => m.terms?.expiresAt ?? 0)
    if (due.length === 0) return
    const wait = Math.max(0, Math.min(...due) - Date.now()) + 250
    const timer = setTimeout(
      () => {
        engine.api.sweep().catch(() => undefined)
      },
      Math.min(wait, 2 ** 31 - 1),
    )
    return () => {
      clearTimeout(timer)
    }
  }, [engine, messages])

  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages])
  const render = useCallback(
    (m: MessageRecord) => (
      <MessageRow
        message={m}
        me={me}
        quoted={m.replyTo !== undefined ? byId.get(m.replyTo) : undefined}
        onReply={setReplyTo}
      />
    ),
    [me, byId],
  )

  if (missing) {
    return (
      <div className="empty-pane">
        <p>This conversation is not on this device.</p>
      </div>
    )
  }
  if (conversation === undefined) return <p className="muted pad">Loading…</p>
  const title = conversationTitle(conversation, (h) => (peer?.handle === h ? peer.displayName : h))
  const people = new Set(conversation.members.map((m) => m.handle))
  const send = async (text: string, chosen: ChosenTerms) => {
    const terms = toTermsInput(chosen)
    const base = { ...(replyTo !== undefined ? { replyTo: replyTo.id } : {}), terms }
    const label = terms.label ?? conversation.defaultTerms?.label
    const sent = await withConfirmation(
      () => engine.api.sendText({ conversationId }, text, base),
      (ok) =>
        engine.api.sendText({ conversationId }, text, {
          ...base,
          ...(ok.newPeople ? { confirmNewPeople: true } : {}),
          ...(ok.standing ? { confirmStanding: true } : {}),
        }),
      {
        ...(label !== undefined ? { label } : {}),
        without: async (handles) => {
          // A new conversation with everyone else; the message goes there, with the same terms.
          const next = await engine.api.startWithout(conversationId, handles)
          const moved = await engine.api.sendText({ conversationId: next.id }, text, { terms })
          navigate({ name: "conversation", id: next.id })
          return moved
        },
      },
    )
    if (sent === undefined) throw new Error("Not sent: you cancelled.")
    setReplyTo(undefined)
    if (sent.conversationId === conversationId)
      setMessages((list) => (list.some((x) => x.id === sent.id) ? list : [...list, sent]))
  }
  return (
    <section className="conversation" aria-labelledby="conv-title">
      <header className="conv-header">
        <a className="back" href={href({ name: "home" })} aria-label="Back to conversations">
          ←
        </a>
        <div className="conv-heading">
          <h1 id="conv-title">{title}</h1>
          <p className="muted small">
            {conversation.kind === "direct"
              ? orElse(personLine(peer), "Direct conversation")
              : `${people.size} people`}
            {" · end-to-end encrypted"}
          </p>
          <div className="header-tags">
            {peer?.kind === "guest" && <span className="tag outsider">Outsider</span>}
            {conversation.verifiedOnly === true && (
              <span className="tag verified" data-testid="verified-only">
                Verified members only
              </span>
            )}
            {conversation.defaultTerms !== undefined && (
              <span className="tag" data-testid="default-terms">
                Defaults: {describeDefaults(conversation.defaultTerms)}
              </span>
            )}
          </div>
        </div>
        <div className="conv-actions">
          <DefaultTermsButton conversation={conversation} />
          <a className="button" href={href({ name: "members", id: conversationId })}>
            Members
          </a>
        </div>
      </header>
      {conversation.status !== "active" && (
        <p className="banner warn" role="status">
          {conversation.status === "removed"
            ? "You are no longer a member of this conversation."
            : `Frozen: ${conversation.frozenReason ?? ""}`}
        </p>
      )}
      <VirtualList items={messages} keyOf={keyOf} estimate={estimate} render={render} label="Messages" />
      {conversation.status === "active" && (
        <Composer
          onSend={send}
          replyTo={replyTo}
          onCancelReply={() => setReplyTo(undefined)}
          defaults={conversation.defaultTerms}
        />
      )}
    </section>
  )
}
