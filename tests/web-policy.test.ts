import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
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

// Confidentiality terms, the right people in the room and the trust ledger, in the web app in Chromium,
// against a real server process, with CLI users on the other side.

const root = mkdtempSync(join(tmpdir(), "bc-web-policy-"))
const dataDir = join(root, "server")
const profile = (who: string) => join(root, who)
let server: ServerProcess
let browser: Browser
let alice: WebUser
let bob: WebUser

const desktop = { width: 1280, height: 800 }
const phone = { width: 375, height: 812 }

/** Photographs the page as it is at desktop and phone widths, checks it with axe, returns to desktop. */
async function photograph(page: Page, name: string): Promise<string[]> {
  const violations = (await axeViolations(page)).map((v) => `${name}: ${v}`)
  for (const viewport of [desktop, phone]) {
    await page.setViewportSize(viewport)
    await page.waitForTimeout(150)
    await shoot(page, name)
  }
  await page.setViewportSize(desktop)
  return violations
}

async function openConversation(page: Page, title: string | RegExp): Promise<void> {
  await page.goto(`${server.url}/#/`)
  await page.getByTestId("conversation-row").filter({ hasText: title }).first().click()
  await page.getByRole("heading", { level: 1, name: title }).waitFor()
}

/**
 * Every value of the page's local store, opened with the browser's own state key (the page may use the
 * non-extractable key, like the app does): what "the decrypted local store" holds, invisible marks removed.
 */
async function decryptedStore(page: Page): Promise<string> {
  const text = await page.evaluate(async () => {
    const open = (name: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error("open failed"))
      })
    const read = <T>(db: IDBDatabase, store: string, op: (s: IDBObjectStore) => IDBRequest) =>
      new Promise<T>((resolve, reject) => {
        const request = op(db.transaction(store, "readonly").objectStore(store))
        request.onsuccess = () => resolve(request.result as T)
        request.onerror = () => reject(request.error ?? new Error("read failed"))
      })
    const keysDb = await open("backchannel-keys")
    const record = await read<{ key: CryptoKey }>(keysDb, "keys", (s) => s.get("state-key"))
    keysDb.close()
    const db = await open("backchannel-state")
    const keys = await read<string[]>(db, "kv", (s) => s.getAllKeys())
    const values = await read<Array<ArrayBuffer | Uint8Array>>(db, "kv", (s) => s.getAll())
    db.close()
    const out: string[] = []
    for (let i = 0; i < keys.length; i++) {
      const raw = values[i]
      if (raw === undefined) continue
      const sealed = raw instanceof Uint8Array ? raw : new Uint8Array(raw)
      const plaintext = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: sealed.slice(1, 13),
          additionalData: new TextEncoder().encode(keys[i]),
        },
        record.key,
        sealed.slice(13),
      )
      out.push(new TextDecoder().decode(plaintext))
    }
    return out.join("\n")
  })
  return plain(text.replace(/\\u200[b-f]|\\u206[0-4]|\\ufeff/gi, ""))
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

describe("terms, people and the trust ledger in the web app", () => {
  const violations: string[] = []

  it("asks before the first message to someone new, showing their full directory entry", async () => {
    // Alice's first device is a CLI profile; the browser is her second device.
    await enrolProfile(
      profile("alice-cli"),
      server.url,
      await operatorInvite(dataDir, "alice", "Alice Martin", [
        "--title",
        "Chief of Staff",
        "--country",
        "France",
      ]),
      "alice laptop",
    )
    const { invite: aliceDevice } = await cliJson<{ invite: string }>([
      "device",
      "invite",
      "--profile",
      profile("alice-cli"),
    ])
    const bobCode = await operatorInvite(dataDir, "bob", "Bob Keller", [
      "--title",
      "Foreign Policy Adviser",
      "--org",
      "Federal Chancellery",
      "--country",
      "Germany",
    ])
    await enrolProfile(
      profile("carol"),
      server.url,
      await operatorInvite(dataDir, "carol", "Carol Osei", ["--title", "Sherpa", "--country", "Ghana"]),
      "carol laptop",
    )
    await enrolProfile(
      profile("jg"),
      server.url,
      await operatorInvite(dataDir, "jg", "Jeffrey Goldberg", [
        "--title",
        "Editor",
        "--org",
        "The Atlantic",
        "--guest",
      ]),
      "jg laptop",
    )
    alice = await openUser(browser, server.url)
    bob = await openUser(browser, server.url)
    await enrolInBrowser(alice, server.url, aliceDevice, "Alice browser")
    await enrolInBrowser(bob, server.url, bobCode, "Bob browser")
    // The first device adds the browser to Alice's private self group and hands it the user's sender
    // key, without which the browser's messages could not be marked (nor traced later).
    await cliJson(["sync", "--profile", profile("alice-cli")])

    const page = alice.page
    await page.getByRole("link", { name: "New" }).click()
    await page.getByLabel("Search the directory by name, title or country").fill("Keller")
    await page.getByRole("checkbox", { name: /Bob Keller/ }).check()
    await page.getByLabel("First message (optional)").fill("Good morning Bob.")
    await page.getByRole("button", { name: "Start conversation" }).click()
    const dialog = page.getByTestId("confirm-dialog")
    await dialog.waitFor()
    const card = await dialog.getByTestId("person-card").textContent()
    for (const part of ["Bob Keller", "Foreign Policy Adviser", "Federal Chancellery", "Germany", "Verified"])
      expect(card).toContain(part)
    expect(await page.getByRole("heading", { level: 1, name: "Bob Keller" }).count()).toBe(0)
    violations.push(...(await photograph(page, "confirm-first-contact")))
    await dialog.getByTestId("confirm-proceed").click()
    await page.getByRole("heading", { level: 1, name: "Bob Keller" }).waitFor()
    await openConversation(bob.page, "Alice Martin")
    await waitForText(bob.page, "Good morning Bob.")
  })

  it("shows terms before the text; a view-once message can be read once, then is gone from the store", async () => {
    const text = "The Kilimanjaro draft stays between us."
    await openConversation(alice.page, "Bob Keller")
    await compose(alice.page, text, { label: "Personal", viewOnce: true, noForward: true })
    await alice.page.getByTestId("sent-bubble").filter({ hasText: text }).waitFor()

    await openConversation(bob.page, "Alice Martin")
    const gate = bob.page.getByTestId("view-once")
    await gate.waitFor({ timeout: 30_000 })
    const row = bob.page.getByTestId("message").filter({ has: gate })
    // The terms come first: label and view-once before any text, and the text is nowhere on the page.
    expect(await row.getByTestId("terms").textContent()).toMatch(/Personal.*View once.*No forwarding/)
    expect(await bob.page.content()).not.toContain("Kilimanjaro")
    expect(await decryptedStore(bob.page)).toContain("Kilimanjaro")
    violations.push(...(await photograph(bob.page, "view-once-gate")))

    await gate.getByRole("button", { name: "View once — reveal" }).click()
    await waitForText(bob.page, text)
    // The no-forward message cannot be copied: the copy event is stopped before the bubble's handler.
    expect(await bob.page.getByTestId("no-copy").count()).toBe(1)
    const copied = await bob.page.evaluate(() =>
      Array.from(document.querySelectorAll("[data-testid=marked-bubble]")).map((bubble) => {
        const data = new DataTransfer()
        bubble.dispatchEvent(new ClipboardEvent("copy", { clipboardData: data, bubbles: true }))
        return data.getData("text/plain")
      }),
    )
    // An ordinary message copies (its marked text); the no-forward one gives nothing.
    expect(copied.map(plain)).toEqual(["Good morning Bob.", ""])
    // Already deleted from the device while it is still on screen.
    expect(await decryptedStore(bob.page)).not.toContain("Kilimanjaro")
    await shoot(bob.page, "view-once-revealed")
    await bob.page.getByRole("button", { name: /^Done/ }).click()
    await bob.page.getByTestId("removed-bubble").filter({ hasText: "Viewed once." }).waitFor()
    await bob.page.reload()
    await bob.page.getByTestId("removed-bubble").filter({ hasText: "Viewed once." }).waitFor()
    expect(await shownTexts(bob.page)).not.toContain(text)
    expect(await bob.page.getByTestId("view-once").count()).toBe(0)
  })

  it("an expired message disappears from the recipient's screen and decrypted local store", async () => {
    const text = "Meet at the Zanzibar entrance at noon."
    await compose(alice.page, text, { expiry: "10000" })
    await alice.page.getByTestId("sent-bubble").filter({ hasText: text }).waitFor()
    await waitForText(bob.page, text)
    const row = bob.page.getByTestId("message").filter({ hasText: /Expires in/ })
    expect(await row.getByTestId("terms-expiry").textContent()).toMatch(/Expires in \d+ s/)
    expect(await decryptedStore(bob.page)).toContain("Zanzibar")
    await shoot(bob.page, "terms-expiry")
    // Nothing is reloaded: the app sweeps when the expiry is due and the message leaves the screen.
    await expect.poll(() => shownTexts(bob.page), { timeout: 30_000 }).not.toContain(text)
    expect(await bob.page.getByTestId("removed-bubble").filter({ hasText: "expired" }).count()).toBe(1)
    expect(await decryptedStore(bob.page)).not.toContain("Zanzibar")
    await expect.poll(() => shownTexts(alice.page), { timeout: 30_000 }).not.toContain(text)
  })

  it("labels an outsider wherever the name appears; a verified-only group refuses a guest in the UI", async () => {
    await cliJson([
      "send",
      "--profile",
      profile("jg"),
      "--to",
      "alice",
      "--yes",
      "Any comment for the story?",
    ])
    const page = alice.page
    await page.goto(`${server.url}/#/`)
    const row = page.getByTestId("conversation-row").filter({ hasText: "Jeffrey Goldberg" })
    await row.waitFor({ timeout: 30_000 })
    expect(await row.locator(".tag.outsider").textContent()).toBe("Outsider")
    await row.click()
    await page.getByRole("heading", { level: 1, name: /Jeffrey Goldberg/ }).waitFor()
    await waitForText(page, "Any comment for the story?")
    expect(await page.locator(".sender .tag.outsider").first().textContent()).toBe("Outsider")
    expect(await page.locator(".conv-header .tag.outsider").textContent()).toBe("Outsider")

    // Directory search labels him too; in a verified-only group he cannot be picked.
    await page.getByRole("link", { name: "New" }).click()
    const search = page.getByLabel("Search the directory by name, title or country")
    await search.fill("Keller")
    await page.getByRole("checkbox", { name: /Bob Keller/ }).check()
    await search.fill("Osei")
    await page.getByRole("checkbox", { name: /Carol Osei/ }).check()
    await page.getByLabel(/Verified people only/).check()
    await search.fill("Atlantic")
    const guest = page.getByRole("checkbox", { name: /Jeffrey Goldberg/ })
    await guest.waitFor()
    expect(await guest.isDisabled()).toBe(true)
    expect(await page.getByTestId("guest-refused").count()).toBe(1)
    await page.getByLabel("Group name").fill("Cabinet")
    await page.getByRole("button", { name: "Create group" }).click()
    // Carol is new to this browser: her entry is confirmed first.
    await page.getByTestId("confirm-dialog").getByTestId("confirm-proceed").click()
    await page.getByRole("heading", { level: 1, name: "Cabinet" }).waitFor()
    await page.getByTestId("verified-only").waitFor()
    await page.getByRole("link", { name: "Members", exact: true }).click()
    await page.getByTestId("verified-only-note").waitFor()
    await expect.poll(() => page.getByTestId("member-since").count()).toBe(3)
    await page.getByLabel("Search the directory by name, title or country").fill("Goldberg")
    const refused = page.getByRole("checkbox", { name: /Jeffrey Goldberg/ })
    await refused.waitFor()
    expect(await refused.isDisabled()).toBe(true)
    violations.push(...(await photograph(page, "members-verified-only")))
  })

  it("records a breach from the leak check, shares it with the other device, and asks before a Leaders-only message", async () => {
    const page = alice.page
    await page.getByRole("link", { name: "New" }).click()
    const search = page.getByLabel("Search the directory by name, title or country")
    await search.fill("Keller")
    await page.getByRole("checkbox", { name: /Bob Keller/ }).check()
    await search.fill("Osei")
    await page.getByRole("checkbox", { name: /Carol Osei/ }).check()
    await page.getByLabel("Group name").fill("Inner circle")
    await page.getByRole("button", { name: "Create group" }).click()
    await page.getByRole("heading", { level: 1, name: "Inner circle" }).waitFor()

    // Default terms: set for everyone, shown as an event on every member's screen.
    await page.getByRole("button", { name: "Default terms" }).click()
    const defaults = page.getByTestId("default-terms-dialog")
    await defaults.getByLabel("Label", { exact: true }).selectOption("Not for publication")
    violations.push(...(await photograph(page, "default-terms")))
    await defaults.getByRole("button", { name: "Save for everyone" }).click()
    await page.getByTestId("default-terms").filter({ hasText: "Not for publication" }).waitFor()
    await openConversation(bob.page, "Inner circle")
    await bob.page
      .getByTestId("event-line")
      .filter({ hasText: "set the conversation's default terms: Not for publication" })
      .waitFor({ timeout: 30_000 })

    const secret = "We will recognise the new government on Monday, not before the summit closes."
    await openConversation(page, "Inner circle")
    await compose(page, secret)
    await page.getByTestId("sent-bubble").filter({ hasText: secret }).waitFor()
    expect(
      await page.getByTestId("message").filter({ hasText: secret }).getByTestId("terms-label").textContent(),
    ).toBe("Not for publication")

    // Carol's copy leaks; Alice checks it in the browser and records the breach against Carol.
    await cliJson(["sync", "--profile", profile("carol")])
    const convs = await cliJson<Array<{ id: string; name?: string }>>([
      "conversations",
      "--profile",
      profile("carol"),
    ])
    const group = convs.find((c) => c.name === "Inner circle")?.id ?? ""
    const carolRows = await cliJson<Array<{ text: string }>>([
      "messages",
      "--profile",
      profile("carol"),
      "--group",
      group,
    ])
    const leaked = carolRows.find((r) => plain(r.text) === secret)?.text ?? ""
    expect(leaked).not.toBe("")
    await page.getByRole("link", { name: "Leak check" }).click()
    await page.getByLabel("Leaked text").fill(leaked)
    await page.getByRole("button", { name: "Check text" }).click()
    const verdict = page.getByTestId("verdict")
    await verdict.or(page.locator(".leak .error")).waitFor({ timeout: 60_000 })
    expect(await page.locator(".leak .error").allTextContents()).toEqual([])
    expect(await verdict.getAttribute("data-handle")).toBe("carol")
    expect(["attributable", "conclusive"]).toContain(await verdict.getAttribute("data-band"))
    await page.getByRole("button", { name: "Record breach against Carol Osei" }).click()
    await page.getByLabel("Note for your ledger (optional)").fill("Quoted in the morning papers")
    await page.getByRole("button", { name: "Record breach against Carol Osei" }).click()
    await page.getByTestId("breach-recorded").waitFor()
    await shoot(page, "leak-check-breach")

    // The other device (the CLI profile) has it in its ledger.
    await cliJson(["sync", "--profile", profile("alice-cli")])
    const cliLedger = await cliJson<
      Array<{ handle: string; standing: number; breaches: Array<{ note?: string }> }>
    >(["trust", "list", "--profile", profile("alice-cli")])
    expect(cliLedger).toHaveLength(1)
    expect(cliLedger[0]).toMatchObject({ handle: "carol", standing: 2 })
    expect(cliLedger[0]?.breaches[0]?.note).toBe("Quoted in the morning papers")

    // The ledger screen lists Carol with the evidence.
    await page.getByRole("link", { name: "Ledger", exact: true }).click()
    const person = page.getByTestId("ledger-person").filter({ hasText: "Carol Osei" })
    await person.waitFor()
    const entry = await person.getByTestId("ledger-entry").textContent()
    expect(entry).toContain("Quoted in the morning papers")
    expect(entry).toMatch(/p = \d\.\de-\d+/)
    expect(plain(entry ?? "")).toContain("We will recognise the new government")
    expect(await person.getByTestId("standing").textContent()).toContain("above “Not for publication”")
    violations.push(...(await photograph(page, "ledger")))

    // The other way round: a breach recorded on the CLI device reaches the browser's Ledger screen.
    const { id: cliMessage } = await cliJson<{ id: string }>([
      "send",
      "--profile",
      profile("alice-cli"),
      "--group",
      group,
      "The envoy lands at Tempelhof on Thursday.",
    ])
    await cliJson(["sync", "--profile", profile("carol")])
    const carolCopy = (
      await cliJson<Array<{ id: string; text?: string }>>([
        "messages",
        "--profile",
        profile("carol"),
        "--group",
        group,
      ])
    ).find((r) => r.id === cliMessage)?.text
    const leakFile = join(root, "leak.txt")
    writeFileSync(leakFile, carolCopy ?? "")
    const cliVerdict = await cliJson<{ candidates: Array<{ handle: string; band: string }> }>([
      "trace",
      "--profile",
      profile("alice-cli"),
      "--leak",
      leakFile,
    ])
    expect(cliVerdict.candidates[0]?.handle).toBe("carol")
    await cliJson([
      "trust",
      "record",
      "--profile",
      profile("alice-cli"),
      "--handle",
      "carol",
      "--message",
      cliMessage,
      "--note",
      "Second leak, from the laptop",
    ])
    await expect.poll(() => person.getByTestId("ledger-entry").count(), { timeout: 30_000 }).toBe(2)
    expect(await person.getByTestId("ledger-entry").first().textContent()).toContain(
      "Second leak, from the laptop",
    )
    expect(await person.getByTestId("standing").textContent()).toContain("above “Personal”")

    // A "Leaders only" message to the group with Carol asks first; "send anyway" sends it.
    await openConversation(page, "Inner circle")
    await compose(page, "Recognition is on.", { label: "Leaders only" })
    const asked = page.getByTestId("confirm-dialog")
    await asked.waitFor()
    expect(await asked.getByRole("heading").textContent()).toContain(
      "“Leaders only” is above the standing of Carol Osei",
    )
    expect(await asked.getByTestId("person-card").textContent()).toContain("Recorded breaches2")
    violations.push(...(await photograph(page, "confirm-standing")))
    await asked.getByRole("button", { name: "Send anyway" }).click()
    await page.getByTestId("sent-bubble").filter({ hasText: "Recognition is on." }).waitFor()

    // Again, this time continuing in a new conversation without Carol.
    await compose(page, "The date is the ninth.", { label: "Leaders only" })
    await asked.getByRole("button", { name: "Continue in a new conversation without Carol Osei" }).click()
    await page.getByRole("heading", { level: 1, name: /Inner circle \(without carol\)/ }).waitFor()
    await page.getByTestId("sent-bubble").filter({ hasText: "The date is the ninth." }).waitFor()
    await openConversation(bob.page, /Inner circle \(without carol\)/)
    await waitForText(bob.page, "The date is the ninth.")
    await cliJson(["sync", "--profile", profile("carol")])
    const carolAll = await cliJson<Array<{ text?: string }>>([
      "messages",
      "--profile",
      profile("carol"),
      "--all",
    ])
    expect(carolAll.map((r) => plain(r.text ?? ""))).toContain("Recognition is on.")
    expect(carolAll.map((r) => plain(r.text ?? ""))).not.toContain("The date is the ninth.")

    expect(alice.errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([])
    expect(violations).toEqual([])
  })
})
