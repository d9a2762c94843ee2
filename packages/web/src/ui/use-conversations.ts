import { useEffect, useState } from "react"
import type { ConversationRecord, MessageRecord } from "@backchannel/core"
import { useEngine } from "./engine-context.js"

export interface ConversationSummary {
  conversation: ConversationRecord
  last: MessageRecord | undefined
}

function pickLast(messages: MessageRecord[]): MessageRecord | undefined {
  return messages.filter((m) => m.kind === "text").pop() ?? messages[messages.length - 1]
}

/** Every conversation with its last message, kept current from the engine's events. */
export function useConversations(): ConversationSummary[] | undefined {
  const engine = useEngine()
  const [list, setList] = useState<ConversationSummary[] | undefined>(undefined)
  useEffect(() => {
    let live = true
    let queued = false
    const load = async () => {
      const conversations = await engine.api.conversations()
      const summaries = await Promise.all(
        conversations.map(async (conversation) => ({
          conversation,
          // The latest text if there is one among the last few entries, else the latest event.
          last: pickLast(await engine.api.messages(conversation.id, 8)),
        })),
      )
      if (live) setList(summaries)
    }
    const reload = () => {
      if (queued) return
      queued = true
      setTimeout(() => {
        queued = false
        void load().catch(() => undefined)
      }, 50)
    }
    void load().catch(() => undefined)
    const offs = [
      engine.on("conversation", reload),
      engine.on("message", reload),
      engine.on("messageStatus", reload),
    ]
    return () => {
      live = false
      for (const off of offs) off()
    }
  }, [engine])
  return list
}
