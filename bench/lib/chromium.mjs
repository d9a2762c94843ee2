// The Debian Chromium (/usr/bin/chromium), driven by playwright-core; no browser is ever downloaded. One list
// of launch flags for the tests and the benchmarks.
import { chromium } from "playwright-core"

export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
]

export function launchChromium() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs })
}
