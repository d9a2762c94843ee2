import type { RenderPlan } from "../index.js"

/** The CSS font family the renderer uses; `installBubbleFont` registers the bundled font under it. */
export const bubbleFontFamily = "BackchannelTracemarkInter"

/**
 * Registers the bundled font (assets/inter-latin-400-normal.woff, shipped with the package) and waits
 * until it is ready. The web app passes the URL its bundler gives the asset; the harness passes a data
 * URL. Rendering before the font is ready would lay words out in a fallback font.
 */
export async function installBubbleFont(doc: Document, fontUrl: string): Promise<void> {
  const face = new FontFace(bubbleFontFamily, `url(${JSON.stringify(fontUrl)})`, {
    weight: "400",
    style: "normal",
  })
  await face.load()
  doc.fonts.add(face)
  await doc.fonts.ready
}

function rgb(c: readonly number[], delta = 0): string {
  return `rgb(${c.map((v) => Math.max(0, Math.min(255, v + delta))).join(",")})`
}

/** The overlay tile as an SVG data URL: each cell a shade lighter or darker than the bubble. */
export function overlayTileUrl(plan: RenderPlan): string | null {
  if (plan.overlay === null) return null
  const g = plan.geometry
  const w = g.overlayCols * g.overlayCell
  const h = g.overlayRows * g.overlayCell
  let rects = ""
  plan.overlay.forEach((sign, i) => {
    const x = (i % g.overlayCols) * g.overlayCell
    const y = Math.floor(i / g.overlayCols) * g.overlayCell
    const fill = rgb(g.background, sign * g.overlayAmplitude)
    rects += `<rect x="${x}" y="${y}" width="${g.overlayCell}" height="${g.overlayCell}" fill="${fill}"/>`
  })
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" shape-rendering="crispEdges">${rects}</svg>`
  return `url("data:image/svg+xml;utf8,${encodeURIComponent(svg)}")`
}

export interface RenderBubbleOptions {
  /** The copy's text (MarkedCopy.text): what the clipboard receives when the reader copies the bubble. */
  copyText?: string
}

/**
 * Draws one recipient's copy as a chat bubble: every word absolutely positioned where the portable layout
 * put it, glyph variants centred in fixed-width cells, kerning and ligatures off, the overlay tiled as the
 * background. Identical plans give identical pixels in every browser that has the bundled font.
 */
export function renderBubble(
  doc: Document,
  plan: RenderPlan,
  options: RenderBubbleOptions = {},
): HTMLElement {
  const g = plan.geometry
  const bubble = doc.createElement("div")
  bubble.className = "tracemark-bubble"
  const style = bubble.style
  style.position = "relative"
  style.boxSizing = "border-box"
  style.width = `${plan.width}px`
  style.height = `${plan.height}px`
  style.borderRadius = `${g.radius}px`
  style.overflow = "hidden"
  style.backgroundColor = rgb(g.background)
  const tile = overlayTileUrl(plan)
  if (tile !== null) {
    style.backgroundImage = tile
    style.backgroundRepeat = "repeat"
    style.backgroundPosition = "0 0"
    style.backgroundSize = `${g.overlayCols * g.overlayCell}px ${g.overlayRows * g.overlayCell}px`
  }
  for (const word of plan.words) {
    const span = doc.createElement("span")
    const s = span.style
    s.position = "absolute"
    s.left = `${g.padX + word.x}px`
    s.top = `${g.padY + word.line * g.lineHeight}px`
    s.whiteSpace = "pre"
    s.fontFamily = `${bubbleFontFamily}, sans-serif`
    s.fontSize = `${g.fontSize}px`
    s.lineHeight = `${g.lineHeight}px`
    s.fontWeight = "400"
    s.color = rgb(g.ink)
    s.setProperty("font-kerning", "none")
    s.setProperty("font-variant-ligatures", "none")
    s.setProperty("font-feature-settings", '"kern" 0, "liga" 0, "calt" 0')
    s.setProperty("font-synthesis", "none")
    s.setProperty("user-select", "none")
    for (const piece of word.pieces) {
      if (piece.cellWidth === undefined) {
        span.append(doc.createTextNode(piece.text))
      } else {
        const cell = doc.createElement("span")
        cell.style.display = "inline-block"
        cell.style.width = `${piece.cellWidth}px`
        cell.style.textAlign = "center"
        cell.textContent = piece.text
        span.append(cell)
      }
    }
    bubble.append(span)
  }
  const copyText = options.copyText
  if (copyText !== undefined) {
    bubble.tabIndex = 0
    bubble.addEventListener("copy", (event: ClipboardEvent) => {
      event.clipboardData?.setData("text/plain", copyText)
      event.preventDefault()
    })
  }
  return bubble
}
