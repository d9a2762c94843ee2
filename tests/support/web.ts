import { mkdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { expect } from "vitest"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { repoRoot } from "./paths.js"
import { plain } from "./text.js"

export { launchChromium } from "../../bench/lib/chromium.mjs"

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

/** Plain texts of the messages the page shows (marked bubbles are read from their accessible label). */
export async function shownTexts(page: Page): Promise<string[]> {
  const texts = await page.evaluate(() =>
    Array.from(document.querySelectorAll("[data-testid=message]")).map((m) => {
      const marked = m.querySelector("[data-testid=marked-bubble]")
      return marked?.getAttribute("aria-label") ?? m.querySelector(".bubble")?.textContent ?? ""
    }),
  )
  return texts.map(plain)
}

/** Waits (up to 30 s) until the page shows a message with this plain text. */
export async function waitForText(page: Page, text: string): Promise<void> {
  await expect.poll(() => shownTexts(page), { timeout: 30_000 }).toContain(text)
}

export interface ComposedTerms {
  label?: string
  expiry?: string
  viewOnce?: boolean
  noForward?: boolean
}

/**
 * Types a message, chooses its terms in the composer, and sends it with Enter, once the composer is no
 * longer busy with the previous message (Enter is ignored while a send is on its way).
 */
export async function compose(page: Page, text: string, terms: ComposedTerms = {}): Promise<void> {
  const composer = page.getByTestId("composer")
  await expect.poll(() => composer.getAttribute("aria-busy"), { timeout: 30_000 }).toBe("false")
  if (Object.keys(terms).length > 0) {
    const toggle = page.getByTestId("terms-toggle")
    if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click()
    if (terms.label !== undefined) await page.getByLabel("Label", { exact: true }).selectOption(terms.label)
    if (terms.expiry !== undefined) await page.getByLabel("Disappears after").selectOption(terms.expiry)
    if (terms.viewOnce === true) await page.getByLabel("View once").check()
    if (terms.noForward === true) await page.getByLabel("No forwarding or copying").check()
  }
  await composer.fill(text)
  await composer.press("Enter")
}
