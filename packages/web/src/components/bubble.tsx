import { useEffect, useRef, useState } from "react"
import type { RenderPlan } from "@backchannel/core"
import { installBubbleFont, renderBubble } from "@backchannel/tracemark/dom"
import fontUrl from "@backchannel/tracemark/assets/inter-latin-400-normal.woff?url"

let fontReady: Promise<void> | undefined

/** Loads the tracemark bubble font once; bubbles wait for it so their layout is the planned one. */
export function bubbleFont(): Promise<void> {
  fontReady ??= installBubbleFont(document, fontUrl)
  return fontReady
}

/**
 * A received message as this device's own marked copy, drawn by tracemark's reference renderer from
 * its render plan. Copying it gives the copy's text (with this device's marks).
 */
export function MarkedBubble({
  plan,
  copyText,
  label,
}: {
  plan: RenderPlan
  copyText: string
  label: string
}) {
  const host = useRef<HTMLDivElement>(null)
  const [ready, setReady] = useState(false)
  useEffect(() => {
    let live = true
    void bubbleFont().then(() => {
      if (live) setReady(true)
    })
    return () => {
      live = false
    }
  }, [])
  useEffect(() => {
    const el = host.current
    if (el === null || !ready) return
    const bubble = renderBubble(document, plan, { copyText })
    bubble.setAttribute("role", "img")
    bubble.setAttribute("aria-label", label)
    bubble.dataset.testid = "marked-bubble"
    el.replaceChildren(bubble)
  }, [plan, copyText, label, ready])
  return <div ref={host} className="marked-host" style={{ width: plan.width, height: plan.height }} />
}
