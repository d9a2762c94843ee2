#!/usr/bin/env node
// Proves that tesseract.js runs from installed files only: run it inside a network namespace with no
// interfaces (`unshare -n node bench/tracemark/ocr-offline-check.mjs`, as root) or on any offline machine.
// Renders one marked copy in Chromium, OCRs the screenshot, decodes the text and prints what it read.
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { tmpdir } from "node:os"
import * as tm from "../../packages/tracemark/dist/index.js"
import { encodePng } from "../../packages/tracemark/dist/node/index.js"
import { launchBubbleRenderer } from "./chromium-bubble.mjs"

const require = createRequire(import.meta.url)
const { createWorker } = require("tesseract.js")
const langPath = join(dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int")
globalThis.fetch = () => Promise.reject(new Error("network use is not allowed here"))

const text =
  "We cannot support the amendment in its present form. The finance ministers meet on 21 September " +
  "to finalise the package, and we will say so at the council."
const template = tm.buildTemplate(text, { wording: true })
const copy = tm.markCopy({ text, messageId: "m", secret: new Uint8Array(32).fill(9), template })
const renderer = await launchBubbleRenderer()
const tab = await renderer.open(2)
const shot = await tab.screenshot(copy.plan)
await renderer.close()
const worker = await createWorker("eng", 1, {
  langPath,
  gzip: true,
  cachePath: join(tmpdir(), "tracemark-ocr"),
  cacheMethod: "none",
})
const { data } = await worker.recognize(Buffer.from(encodePng(shot)))
await worker.terminate()
const reading = tm.decodeText(data.text, template, "m")
const read = reading.observed.filter((o) => o !== null).length
const wrong = reading.observed.filter((o, i) => o !== null && o !== copy.choices[i]).length
console.log(`OCR text: ${JSON.stringify(data.text.trim().slice(0, 60))}...`)
console.log(`slots read ${read}, wrong ${wrong}; blocked page requests: ${renderer.blocked.length}`)
if (read === 0 || wrong > 0) process.exit(1)
