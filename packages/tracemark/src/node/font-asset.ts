import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** Path of the bundled font (the same bytes the web app serves). */
export const bubbleFontPath = fileURLToPath(
  new URL("../../assets/inter-latin-400-normal.woff", import.meta.url),
)

/** The bundled font as a data URL, for pages rendered by Chromium in tests and the harness. */
export function bubbleFontDataUrl(): string {
  return `data:font/woff;base64,${readFileSync(bubbleFontPath).toString("base64")}`
}
