/* global document */
// Renders tracemark copies with the package's DOM renderer in real Chromium (playwright-core, the
// Debian /usr/bin/chromium; nothing is downloaded) and returns screenshots as RGBA. Every request the
// page makes is answered from the package's dist/ and assets/ by a route handler, so no request leaves
// the machine. Used by the evaluation harness and the end-to-end test.
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { launchChromium } from "../lib/chromium.mjs"
import { PNG } from "pngjs"

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "packages", "tracemark")
const origin = "http://tracemark.invalid"

const page = `<!doctype html><html><head><meta charset="utf-8"><style>
html,body{margin:0;padding:0;background:#ffffff}
#stage{position:absolute;left:40px;top:40px}
</style></head><body><div id="stage"></div></body></html>`

/** Launches Chromium; `open(dpr)` gives a renderer at that device pixel ratio. */
export async function launchBubbleRenderer() {
  const browser = await launchChromium()
  const blocked = []
  async function open(deviceScaleFactor) {
    const context = await browser.newContext({ deviceScaleFactor, viewport: { width: 480, height: 900 } })
    await context.route("**/*", async (route) => {
      const url = new URL(route.request().url())
      if (url.origin !== origin) {
        blocked.push(url.origin)
        return route.abort()
      }
      if (url.pathname === "/index.html") return route.fulfill({ body: page, contentType: "text/html" })
      if (url.pathname.startsWith("/dist/") && url.pathname.endsWith(".js")) {
        return route.fulfill({ body: readFileSync(join(pkg, url.pathname)), contentType: "text/javascript" })
      }
      if (url.pathname === "/assets/inter-latin-400-normal.woff") {
        return route.fulfill({ body: readFileSync(join(pkg, url.pathname)), contentType: "font/woff" })
      }
      return route.fulfill({ status: 404, body: "" })
    })
    const tab = await context.newPage()
    await tab.goto(`${origin}/index.html`)
    // A string, not a function: test runners rewrite dynamic import() inside functions they transform.
    await tab.evaluate(`(async () => {
      const dom = await import("/dist/dom/render-bubble.js")
      await dom.installBubbleFont(document, ${JSON.stringify(`${origin}/assets/inter-latin-400-normal.woff`)})
      globalThis.__tracemarkDom = dom
    })()`)
    /** Renders a plan and screenshots the bubble with `margin` CSS px of page around it. */
    async function screenshot(plan, margin = 24) {
      await tab.evaluate((p) => {
        const stage = document.getElementById("stage")
        stage.replaceChildren(globalThis.__tracemarkDom.renderBubble(document, p))
      }, plan)
      const png = await tab.screenshot({
        clip: {
          x: 40 - margin,
          y: 40 - margin,
          width: plan.width + 2 * margin,
          height: plan.height + 2 * margin,
        },
        animations: "disabled",
      })
      const decoded = PNG.sync.read(png)
      return { width: decoded.width, height: decoded.height, data: new Uint8Array(decoded.data) }
    }
    return { screenshot, close: () => context.close() }
  }
  return { open, blocked, close: () => browser.close() }
}
