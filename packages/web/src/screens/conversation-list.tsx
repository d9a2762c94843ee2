import { useId, useState } from "react"
import type { MessageRecord } from "@backchannel/core"
import { href } from "../routes.js"
import { usePerson } from "../ui/engine-context.js"
import { conversationTitle, formatWhen, initials } from "../ui/format.js"
import { useConversations } from "../ui/use-conversations.js"
import type { ConversationSummary } from "../ui/use-conversations.js"

function preview(last: MessageRecord | undefined): string {
  if (last === undefined) return "No messages yet"
  if (last.kind === "event") return "Membership changed"
  if (last.removed !== undefined) return last.removed === "expired" ? "Expired message" : "Viewed once"
  if (last.terms?.viewOnce === true && !last.outgoing) return "View-once message"
  return (last.outgoing ? "You: " : "") + (last.text ?? "").replace(/[\u200b-\u200f\u2060-\u2064\ufeff]/g, "")
}

function Row({ summary, selected }: { summary: ConversationSummary; selected: boolean }) {
  const { conversation, last } = summary
  const peer = usePerson(conversation.kind === "direct" ? conversation.peer : undefined)
  const title = conversationTitle(conversation, (h) => (peer?.handle === h ? peer.displayName : h))
  return (
    <li>
      <a
        className={`conv-row ${selected ? "selected" : ""}`}
        href={href({ name: "conversation", id: conversation.id })}
        aria-current={selected ? "page" : undefined}
        data-testid="conversation-row"
      >
        <span className="avatar" aria-hidden="true">
          {initials(title)}
        </span>
        <span className="conv-main">
          <span className="conv-top">
            <span className="conv-title-wrap">
              <span className="conv-title">{title}</span>
              {peer?.kind === "guest" && <span className="tag outsider">Outsider</span>}
            </span>
            <span className="conv-time">{formatWhen(conversation.lastActivityAt)}</span>
          </span>
          <span className="conv-bottom">
            <span className="conv-preview">{preview(last)}</span>
            {conversation.unread > 0 && (
              <span className="unread" aria-label={`${conversation.unread} unread`}>
                {conversation.unread}
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  )
}

export function ConversationList({ selected }: { selected: string | undefined }) {
  const list = useConversations()
  const [query, setQuery] = useState("")
  const searchId = useId()
  const q = query.trim().toLowerCase()
  const shown =
    list?.filter(
      (s) =>
        q === "" ||
        (s.conversation.name ?? "").toLowerCase().includes(q) ||
        (s.conversation.peer ?? "").toLowerCase().includes(q) ||
        preview(s.last).toLowerCase().includes(q),
    ) ?? []
  return (
    <div className="conv-list">
      <div className="conv-search">
        <label htmlFor={searchId} className="visually-hidden">
          Search conversations
        </label>
        <input
          id={searchId}
          type="search"
          placeholder="Search conversations"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      {list === undefined ? (
        <p className="muted pad">Loading…</p>
      ) : shown.length === 0 ? (
        <p className="muted pad">{q === "" ? "No conversations yet." : "Nothing matches."}</p>
      ) : (
        <ul>
          {shown.map((s) => (
            <Row key={s.conversation.id} summary={s} selected={s.conversation.id === selected} />
          ))}
        </ul>
      )}
    </div>
  )
}
