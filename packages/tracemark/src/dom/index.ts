export {
  renderBubble,
  installBubbleFont,
  overlayTileUrl,
  bubbleFontFamily,
  type RenderBubbleOptions,
} from "./render-bubble.js"
export { decodeCanvasImage } from "./canvas-image.js"
