export { decodeImageFile, encodeJpeg, encodePng } from "./image-io.js"
export { bubbleFontPath, bubbleFontDataUrl } from "./font-asset.js"
