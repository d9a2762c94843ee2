import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Browser, Page } from "playwright-core"
import { cliJson, enrolProfile, operatorInvite } from "./support/cli.js"
import { startServerProcess } from "./support/server-process.js"
import type { ServerProcess } from "./support/server-process.js"
import { plain } from "./support/text.js"
import {
  axeViolations,
  compose,
  enrolInBrowser,
  launchChromium,
  openUser,
  shoot,
  shownTexts,
  waitForText,
} from "./support/web.js"
import type { WebUser } from "./support/web.js"

const root = mkdtempSync(join(tmpdir(), "bc-web-"))
const dataDir = join(root, "server")
const carolProfile = join(root, "carol")
let server: ServerProcess
let browser: Browser
let alice: WebUser
let bob: WebUser

async function openConversation(page: Page, title: string): Promise<void> {
  await page.getByTestId("conversation-row").filter({ hasText: title }).first().click()
  await page.getByRole("heading", { level: 1, name: title }).waitFor()
}

async function send(page: Page, text: string): Promise<void> {
  await compose(page, text)
  await page.getByTestId("sent-bubble").filter({ hasText: text }).waitFor()
}

beforeAll(async () => {
  server = await startServerProcess(dataDir)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser.close()
  await server.stop()
  rmSync(root, { recursive: true, force: true })
})

describe("the web app against a real server in Chromium", () => {
  it("serves the app with strict security headers, and never the app for /v1/*", async () => {
    const page = await fetch(`${server.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
    const csp = page.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("connect-src 'self' ws: wss:")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain("unsafe-inline")
    expect(page.headers.get("x-content-type-options")).toBe("nosniff")
    expect(page.headers.get("referrer-policy")).toBe("no-referrer")
    const html = await page.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    const appRoute = await fetch(`${server.url}/some/app/route`)
    expect(appRoute.status).toBe(200)
    const api = await fetch(`${server.url}/v1/no-such-endpoint`)
    expect(api.status).toBe(404)
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND")
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404)
  })

  it("two people enrol in two browser contexts and exchange messages both ways; a third joins a group; reload keeps everything; CLI interoperates", async () => {
    const aliceCode = await operatorInvite(dataDir, "alice", "Alice Martin", [
      "--title",
      "Chief of Staff",
      "--country",
      "France",
    ])
    const bobCode = await operatorInvite(dataDir, "bob", "Bob Keller", [
      "--title",
      "Foreign Policy Adviser",
      "--country",
      "Germany",
    ])
    const carolCode = await operatorInvite(dataDir, "carol", "Carol Osei", [
      "--title",
      "Sherpa",
      "--country",
      "Ghana",
    ])
    await enrolProfile(carolProfile, server.url, carolCode, "carol laptop")

    alice = await openUser(browser, server.url)
    bob = await openUser(browser, server.url)
    await shoot(alice.page, "enrol")
    await enrolInBrowser(alice, server.url, aliceCode, "Alice browser")
    await enrolInBrowser(bob, server.url, bobCode, "Bob browser")

    // Alice starts a direct conversation with Bob from the directory (searching by title).
    await alice.page.getByRole("link", { name: "New" }).click()
    await alice.page.getByLabel("Search the directory by name, title or country").fill("Foreign Policy")
    await alice.page.getByRole("checkbox", { name: /Bob Keller/ }).check()
    await alice.page
      .getByLabel("First message (optional)")
      .fill("Good morning Bob, are you free for a call at ten?")
    await alice.page.getByRole("button", { name: "Start conversation" }).click()
    // Bob is new to Alice: his directory entry is confirmed first.
    await alice.page.getByTestId("confirm-dialog").getByTestId("confirm-proceed").click()
    await alice.page.getByRole("heading", { level: 1, name: "Bob Keller" }).waitFor()
    await send(alice.page, "The draft communique is attached to the agenda.")

    // Bob sees the conversation, with both messages as his own marked copies, and answers.
    await openConversation(bob.page, "Alice Martin")
    await waitForText(bob.page, "The draft communique is attached to the agenda.")
    expect(await shownTexts(bob.page)).toContain("Good morning Bob, are you free for a call at ten?")
    expect(await bob.page.getByTestId("marked-bubble").count()).toBeGreaterThanOrEqual(2)
    await expect
      .poll(() => bob.page.locator(".sender-title").first().textContent())
      .toContain("Chief of Staff")
    await send(bob.page, "Yes, ten works. I will call you.")
    await waitForText(alice.page, "Yes, ten works. I will call you.")
    await expect.poll(() => alice.page.getByTestId("delivery-state").last().textContent()).toBe("Sent")

    // A group: Alice creates it with Bob, then adds Carol (a CLI user) from the member screen.
    await alice.page.getByRole("link", { name: "New" }).click()
    await alice.page.getByLabel("Search the directory by name, title or country").fill("Bob")
    await alice.page.getByRole("checkbox", { name: /Bob Keller/ }).check()
    await alice.page.getByLabel("Search the directory by name, title or country").fill("Carol")
    await alice.page.getByRole("checkbox", { name: /Carol Osei/ }).check()
    await alice.page.getByLabel("Group name").fill("Summit preparation")
    await alice.page.getByRole("button", { name: "Create group" }).click()
    await alice.page.getByTestId("confirm-dialog").getByTestId("confirm-proceed").click()
    await alice.page.getByRole("heading", { level: 1, name: "Summit preparation" }).waitFor()
    await send(alice.page, "Welcome to the summit preparation group.")
    await openConversation(bob.page, "Summit preparation")
    await waitForText(bob.page, "Welcome to the summit preparation group.")

    // The CLI user receives the web app's message and answers the group.
    await cliJson(["sync", "--profile", carolProfile])
    const carolConvs = await cliJson<Array<{ id: string; name?: string }>>([
      "conversations",
      "--profile",
      carolProfile,
    ])
    const group = carolConvs.find((c) => c.name === "Summit preparation")
    expect(group).toBeDefined()
    const carolRows = await cliJson<Array<{ text: string }>>([
      "messages",
      "--profile",
      carolProfile,
      "--group",
      group?.id ?? "",
    ])
    expect(carolRows.map((r) => plain(r.text))).toContain("Welcome to the summit preparation group.")
    await cliJson([
      "send",
      "--profile",
      carolProfile,
      "--group",
      group?.id ?? "",
      "--yes",
      "Carol here: the venue is confirmed.",
    ])
    await waitForText(alice.page, "Carol here: the venue is confirmed.")
    await waitForText(bob.page, "Carol here: the venue is confirmed.")

    // Bob adds a second device (a CLI profile) with an invite made in the browser. Bob's browser adds it to
    // his conversations when it next syncs (here: on reload); Alice sees the event and a warning.
    await bob.page.goto(`${server.url}/#/devices`)
    await bob.page.getByRole("button", { name: "Add another device" }).click()
    const deviceCode = (await bob.page.getByTestId("device-invite").textContent()) ?? ""
    await enrolProfile(join(root, "bob-phone"), server.url, deviceCode, "bob phone")
    await bob.page.reload()
    await bob.page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 60_000 })
    await alice.page.locator(".device-warning").filter({ hasText: "bob" }).waitFor({ timeout: 60_000 })
    await expect
      .poll(async () => (await alice.page.getByTestId("event-line").allTextContents()).join(" | "))
      .toContain("Devices changed for Bob Keller")
    await cliJson(["sync", "--profile", join(root, "bob-phone")])
    const phoneConvs = await cliJson<Array<{ name: string | null }>>([
      "conversations",
      "--profile",
      join(root, "bob-phone"),
    ])
    expect(phoneConvs.map((c) => c.name)).toContain("Summit preparation")
    await shoot(alice.page, "device-warning")
    await bob.page.goto(`${server.url}/#/`)

    // Removal and re-adding of a member is shown to everyone as events.
    await alice.page.getByRole("link", { name: "Members" }).click()
    await alice.page.getByRole("button", { name: "Remove Carol Osei" }).click()
    await expect.poll(() => alice.page.getByTestId("member").count()).toBe(2)
    await alice.page.getByLabel("Search the directory by name, title or country").fill("Sherpa")
    await alice.page.getByRole("checkbox", { name: /Carol Osei/ }).check()
    await alice.page.getByRole("button", { name: /^Add Carol/ }).click()
    await expect.poll(() => alice.page.getByTestId("member").count()).toBe(3)
    await shoot(alice.page, "members")
    await alice.page.getByRole("link", { name: "← Back to the conversation" }).click()
    await expect
      .poll(async () => (await alice.page.getByTestId("event-line").allTextContents()).join(" | "))
      .toMatch(/removed Carol Osei.*added Carol Osei/)

    // A reload decrypts the local state again: still enrolled, every conversation and message there.
    await alice.page.reload()
    await alice.page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 60_000 })
    await openConversation(alice.page, "Bob Keller")
    await waitForText(alice.page, "Yes, ten works. I will call you.")
    expect(await shownTexts(alice.page)).toContain("The draft communique is attached to the agenda.")
    expect(alice.errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([])
    expect(bob.errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([])
  })

  it("protects the local state with a passphrase: a reload asks for it, refuses a wrong one, opens with the right one", async () => {
    const code = await operatorInvite(dataDir, "dora", "Dora Lind", ["--title", "Press Secretary"])
    const dora = await openUser(browser, server.url)
    await dora.page.goto(`${server.url}/#/enrol?code=${encodeURIComponent(code)}`)
    await dora.page.getByLabel("Device name").fill("Dora browser")
    await dora.page.getByRole("radio", { name: /A passphrase/ }).check()
    await dora.page.getByLabel("Passphrase (at least 10 characters)").fill("quiet harbour at dawn")
    await dora.page.getByRole("button", { name: "Enrol" }).click()
    await dora.page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 60_000 })
    await dora.page.reload()
    await dora.page.getByRole("heading", { name: "Unlock Backchannel" }).waitFor()
    await shoot(dora.page, "unlock")
    await dora.page.getByLabel("Passphrase").fill("not the passphrase")
    await dora.page.getByRole("button", { name: "Unlock" }).click()
    await dora.page.getByRole("alert").filter({ hasText: "wrong passphrase" }).waitFor()
    await dora.page.getByLabel("Passphrase").fill("quiet harbour at dawn")
    await dora.page.getByRole("button", { name: "Unlock" }).click()
    await dora.page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor({ timeout: 60_000 })
    expect(await dora.page.locator(".whoami").textContent()).toBe("dora")
    await dora.context.close()
  })

  it("attributes a halved, JPEG-70 screenshot of Bob's copy to Bob's device in Alice's leak check", async () => {
    const text = "The draft communique is attached to the agenda."
    await bob.page.goto(`${server.url}/#/`)
    await openConversation(bob.page, "Alice Martin")
    const bubble = bob.page.locator(`[data-testid=marked-bubble][aria-label="${text}"]`)
    await bubble.waitFor()
    const box = await bubble.boundingBox()
    if (box === null) throw new Error("the bubble is not on screen")
    const margin = 24
    const png = await bob.page.screenshot({
      clip: {
        x: box.x - margin,
        y: box.y - margin,
        width: box.width + 2 * margin,
        height: box.height + 2 * margin,
      },
      animations: "disabled",
    })
    // Degrade it the way a leak would be: rescaled to half size and saved as JPEG quality 70 (Chromium's codecs).
    const jpegBase64 = await bob.page.evaluate(async (b64: string) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }))
      const canvas = new OffscreenCanvas(Math.round(bitmap.width / 2), Math.round(bitmap.height / 2))
      const ctx = canvas.getContext("2d")
      if (ctx === null) throw new Error("no canvas")
      ctx.imageSmoothingQuality = "high"
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
      const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.7 })
      const out = new Uint8Array(await blob.arrayBuffer())
      let binary = ""
      for (const b of out) binary += String.fromCharCode(b)
      return btoa(binary)
    }, png.toString("base64"))

    const entries = await cliJson<Array<{ handle: string; devices: Array<{ deviceId: string }> }>>([
      "admin",
      "list",
      "--data",
      dataDir,
    ])
    const bobDevice = entries.find((e) => e.handle === "bob")?.devices[0]?.deviceId
    expect(bobDevice).toBeDefined()

    await alice.page.goto(`${server.url}/#/leak`)
    await alice.page.getByTestId("leak-file").setInputFiles({
      name: "leak.jpg",
      mimeType: "image/jpeg",
      buffer: Buffer.from(jpegBase64, "base64"),
    })
    const verdict = alice.page.getByTestId("verdict")
    await verdict.waitFor({ timeout: 60_000 })
    expect(plain((await alice.page.getByTestId("leak-message").textContent()) ?? "")).toBe(text)
    expect(await verdict.getAttribute("data-device")).toBe(bobDevice)
    expect(["attributable", "conclusive"]).toContain(await verdict.getAttribute("data-band"))
    await shoot(alice.page, "leak-check")
  })

  it("has no serious or critical axe violations on the main screens, photographed at desktop and phone widths", async () => {
    const page = alice.page
    const screens: Array<{ name: string; hash: string; ready: () => Promise<unknown> }> = [
      {
        name: "conversations",
        hash: "#/",
        ready: () => page.getByTestId("conversation-row").first().waitFor(),
      },
      {
        name: "conversation",
        hash: "",
        ready: async () => {
          await page.goto(`${server.url}/#/`)
          await openConversation(page, "Summit preparation")
        },
      },
      {
        name: "members",
        hash: "",
        ready: async () => {
          await page.goto(`${server.url}/#/`)
          await openConversation(page, "Summit preparation")
          await page.getByRole("link", { name: "Members" }).click()
          await page.getByTestId("member").first().waitFor()
        },
      },
      {
        name: "new-conversation",
        hash: "#/new",
        ready: () => page.getByRole("heading", { name: "New conversation" }).waitFor(),
      },
      { name: "devices", hash: "#/devices", ready: () => page.locator(".fingerprint").first().waitFor() },
      {
        name: "leak-check-empty",
        hash: "#/leak",
        ready: () => page.getByRole("heading", { name: "Leak check" }).waitFor(),
      },
    ]
    const violations: string[] = []
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 375, height: 812 },
    ]) {
      await page.setViewportSize(viewport)
      for (const screen of screens) {
        if (screen.hash !== "") await page.goto(`${server.url}/${screen.hash}`)
        await screen.ready()
        await page.waitForTimeout(150)
        await shoot(page, screen.name)
        if (viewport.width === 1280)
          violations.push(...(await axeViolations(page)).map((v) => `${screen.name}: ${v}`))
      }
    }
    // The enrolment screen, in a fresh profile.
    const fresh = await openUser(browser, `${server.url}/#/enrol?code=EXAMPLE`)
    await fresh.page.getByRole("heading", { name: "Enrol this browser" }).waitFor()
    violations.push(...(await axeViolations(fresh.page)).map((v) => `enrol: ${v}`))
    await fresh.page.setViewportSize({ width: 375, height: 812 })
    await shoot(fresh.page, "enrol")
    await fresh.context.close()
    expect(violations).toEqual([])
  })
})
