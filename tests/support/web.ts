import { mkdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { chromium } from "playwright-core"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { repoRoot } from "./paths.js"

export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
]

/** The Debian Chromium, driven by playwright-core (no browser is downloaded). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs })
}

export const screenshotDir = join(repoRoot, "test-results", "web-screenshots")

export interface WebUser {
  context: BrowserContext
  page: Page
  /** Console errors and page errors seen so far (a CSP violation shows up here). */
  errors: string[]
}

/** A fresh browser profile (its own IndexedDB) with one page open on the app. */
export async function openUser(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 800 },
): Promise<WebUser> {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  const errors: string[] = []
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text())
  })
  page.on("pageerror", (e) => errors.push(e.message))
  // The app asks in its own dialogs; a native dialog (none is expected) must not hang a test.
  page.on("dialog", (d) => void d.accept())
  await page.goto(url)
  return { context, page, errors }
}

/** Enrols through the invite link, as a person opening the link from the operator would. */
export async function enrolInBrowser(
  user: WebUser,
  url: string,
  code: string,
  deviceName: string,
): Promise<void> {
  const { page } = user
  await page.goto(`${url}/#/enrol?code=${encodeURIComponent(code)}`)
  await page.getByLabel("Device name").fill(deviceName)
  await page.getByRole("button", { name: "Enrol" }).click()
  await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 60_000 })
}

export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true })
  const size = page.viewportSize()
  await page.screenshot({ path: join(screenshotDir, `${name}-${size?.width ?? 0}x${size?.height ?? 0}.png`) })
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

/** axe-core's serious and critical violations on the page as it stands. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline script) stays in force for the app.
  await page.evaluate(axeSource)
  const result = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: Document,
          ) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: unknown[] }> }>
        }
      }
    ).axe
    return axe.run(document)
  })
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact ?? ""}, ${v.nodes.length} nodes)`)
}
