import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react"
import type { ReactNode } from "react"

export interface VirtualListProps<T> {
  items: readonly T[]
  keyOf: (item: T) => string
  /** A first guess of an item's height in px; replaced by the measured height once it is rendered. */
  estimate: (item: T) => number
  render: (item: T, index: number) => ReactNode
  /** Extra px rendered above and below the viewport. */
  overscan?: number
  label: string
}

/** Index of the last offset ≤ y (offsets ascending). */
function findIndex(offsets: number[], y: number): number {
  let lo = 0
  let hi = offsets.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((offsets[mid] ?? 0) <= y) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * A chat-style virtualized list: only the items near the viewport are in the DOM, each absolutely placed
 * at the sum of the heights before it (measured with a ResizeObserver, estimated until then). It starts at
 * the bottom and stays pinned there while new items arrive, unless the reader has scrolled up.
 */
export function VirtualList<T>({
  items,
  keyOf,
  estimate,
  render,
  overscan = 600,
  label,
}: VirtualListProps<T>) {
  const scroller = useRef<HTMLDivElement>(null)
  const measured = useRef(new Map<string, number>())
  const [version, setVersion] = useState(0)
  const [scrollTop, setScrollTop] = useState(0)
  const [viewport, setViewport] = useState(600)
  const pinned = useRef(true)
  /** Height change of rows above the viewport since the last layout: the scroll position absorbs it. */
  const aboveDelta = useRef(0)
  const layout = useRef<{ offsets: number[]; index: Map<string, number> }>({ offsets: [], index: new Map() })

  const keys = useMemo(() => items.map(keyOf), [items, keyOf])
  const index = useMemo(() => new Map(keys.map((key, i) => [key, i])), [keys])
  const offsets = useMemo(() => {
    const out = new Array<number>(items.length + 1)
    let y = 0
    for (let i = 0; i < items.length; i++) {
      out[i] = y
      y += measured.current.get(keys[i] ?? "") ?? estimate(items[i] as T)
    }
    out[items.length] = y
    return out
  }, [items, keys, estimate, version]) // `version` changes whenever a measurement changes
  layout.current = { offsets, index }
  const total = offsets[items.length] ?? 0

  const observer = useMemo(
    () =>
      typeof ResizeObserver === "undefined"
        ? undefined
        : new ResizeObserver((entries) => {
            let changed = false
            for (const entry of entries) {
              const el = entry.target as HTMLElement
              const key = el.dataset.key
              // A row that scrolled out is reported once more with no size: keep its last measurement.
              if (key === undefined || !el.isConnected) continue
              const h = Math.ceil(el.getBoundingClientRect().height)
              const before = measured.current.get(key)
              if (before !== h) {
                const i = layout.current.index.get(key)
                const top = i === undefined ? undefined : layout.current.offsets[i]
                const next = layout.current.offsets[(i ?? 0) + 1]
                const scrollTop = scroller.current?.scrollTop ?? 0
                if (top !== undefined && next !== undefined && top < scrollTop)
                  aboveDelta.current += h - (next - top)
                measured.current.set(key, h)
                changed = true
              }
            }
            if (changed) setVersion((v) => v + 1)
          }),
    [],
  )
  useEffect(() => () => observer?.disconnect(), [observer])

  const observe = useCallback(
    (el: HTMLDivElement) => {
      observer?.observe(el)
      return () => {
        observer?.unobserve(el)
      }
    },
    [observer],
  )

  useLayoutEffect(() => {
    const el = scroller.current
    if (el === null) return
    setViewport(el.clientHeight)
    const onResize = () => {
      setViewport(el.clientHeight)
    }
    window.addEventListener("resize", onResize)
    return () => {
      window.removeEventListener("resize", onResize)
    }
  }, [])

  // Keep the newest item in view while pinned to the bottom (first load, new messages, measurements);
  // otherwise keep what the reader looks at still when rows above it change height.
  useLayoutEffect(() => {
    const el = scroller.current
    if (el === null) return
    if (pinned.current) {
      el.scrollTop = el.scrollHeight
      setScrollTop(el.scrollTop)
    } else if (aboveDelta.current !== 0) {
      el.scrollTop += aboveDelta.current
      setScrollTop(el.scrollTop)
    }
    aboveDelta.current = 0
  }, [offsets])

  const onScroll = () => {
    const el = scroller.current
    if (el === null) return
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40
    setScrollTop(el.scrollTop)
  }

  const first = items.length === 0 ? 0 : findIndex(offsets, Math.max(0, scrollTop - overscan))
  const last = items.length === 0 ? -1 : findIndex(offsets, scrollTop + viewport + overscan)
  const rows: ReactNode[] = []
  for (let i = first; i <= last && i < items.length; i++) {
    const item = items[i] as T
    const key = keyOf(item)
    rows.push(
      <div
        key={key}
        data-key={key}
        ref={observe}
        className="vrow"
        style={{ transform: `translateY(${offsets[i] ?? 0}px)` }}
        role="listitem"
      >
        {render(item, i)}
      </div>,
    )
  }
  return (
    <div
      className="vlist"
      ref={scroller}
      onScroll={onScroll}
      tabIndex={0}
      aria-label={label}
      data-testid="message-scroller"
    >
      <div className="vlist-inner" style={{ height: total }} role="list">
        {rows}
      </div>
    </div>
  )
}
