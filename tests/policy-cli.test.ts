import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fromB64, toB64 } from "@backchannel/protocol"
import type { AuthenticationService } from "ts-mls"
import { MlsEngine } from "../packages/core/src/mls/mls-engine.js"
import { loadSuite } from "../packages/core/src/mls/suite.js"
import type { SuiteName } from "../packages/core/src/mls/suite.js"
import { openProfile } from "../packages/cli/src/profile/profile.js"
import { cliJson, enrolProfile, operatorInvite, runCli, testPassphrase } from "./support/cli.js"
import { startServerProcess } from "./support/server-process.js"
import type { ServerProcess } from "./support/server-process.js"
import { plain } from "./support/text.js"

// Issue 5 through the CLI against a real server process: confidentiality terms, outsiders and
// verified-only conversations, first-contact confirmation, and the trust ledger shared across devices.

interface Row {
  id: string
  conversation: string
  kind: string
  sender: string
  text: string
  terms?: { label?: string; level?: number; noForward?: boolean; expiresAt?: number; viewOnce?: boolean }
  removed?: string
  hidden?: boolean
}

const root = mkdtempSync(join(tmpdir(), "bc-policy-"))
const dataDir = join(root, "server")
const profile = (who: string) => join(root, who)
let server: ServerProcess

const invite = (handle: string, name: string, extra: string[] = []) =>
  operatorInvite(dataDir, handle, name, extra)
const enrol = (who: string, code: string) => enrolProfile(profile(who), server.url, code)

async function rows(who: string, args: string[]): Promise<Row[]> {
  return cliJson<Row[]>(["messages", "--profile", profile(who), "--all", ...args])
}

/** Every value of a profile's store, opened with its key: what "the decrypted local store" holds. */
async function decryptedStore(who: string): Promise<string> {
  process.env.BACKCHANNEL_PASSPHRASE = testPassphrase
  const opened = await openProfile(profile(who), { askPassphrase: () => Promise.resolve(testPassphrase) })
  try {
    const records = await opened.platform.store.list("")
    return records.map((r) => Buffer.from(r.value).toString("utf8")).join("\n")
  } finally {
    await opened.release()
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  server = await startServerProcess(dataDir)
  await enrol(
    "alice",
    await invite("alice", "Alice Ambassador", ["--title", "Ambassador", "--org", "Foreign Ministry"]),
  )
  await enrol("bob", await invite("bob", "Bob Bureau", ["--title", "Chief of Staff"]))
  await enrol("carol", await invite("carol", "Carol Counsel"))
  await enrol(
    "jg",
    await invite("jg", "Jeffrey Goldberg", ["--title", "Editor", "--org", "The Atlantic", "--guest"]),
  )
})

afterAll(async () => {
  await server.stop()
  rmSync(root, { recursive: true, force: true })
})

describe("the right people in the room", () => {
  it("asks before the first message to someone never written to, showing their full directory entry", async () => {
    const refused = await runCli(["send", "--profile", profile("alice"), "--to", "jg", "Lunch on Friday?"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/CONFIRMATION_REQUIRED/)
    expect(refused.stderr).toContain(
      "Jeffrey Goldberg (jg) — Editor, The Atlantic — OUTSIDER (not verified by your operator)",
    )
    expect(refused.stderr).toMatch(/--yes/)
    // Nothing was created or sent.
    expect(await cliJson<unknown[]>(["conversations", "--profile", profile("alice")])).toEqual([])
    const sent = await cliJson<{ status: string }>([
      "send",
      "--profile",
      profile("alice"),
      "--to",
      "jg",
      "--yes",
      "Lunch on Friday?",
    ])
    expect(sent.status).toBe("sent")
    // From now on Jeffrey is known: no confirmation.
    expect((await runCli(["send", "--profile", profile("alice"), "--to", "jg", "Noon works."])).code).toBe(0)
  })

  it("labels an outsider everywhere the name appears", async () => {
    const found = await runCli(["directory", "--profile", profile("bob"), "Goldberg"])
    expect(found.stdout).toMatch(/jg\s+Jeffrey Goldberg — Editor, The Atlantic\s+\[outsider\]/)
    const shown = await runCli(["messages", "--profile", profile("jg")])
    expect(shown.stdout).toContain("Alice Ambassador (alice)")
    const aliceSees = await runCli(["messages", "--profile", profile("alice"), "--with", "jg"])
    expect(aliceSees.stdout).toContain("Jeffrey Goldberg (jg) [outsider]")
  })

  it("refuses to add an outsider to a verified-only group, and every member rejects a crafted commit that does", async () => {
    const { group } = await cliJson<{ group: string }>([
      "group",
      "create",
      "--profile",
      profile("alice"),
      "--name",
      "Strike planning",
      "--members",
      "bob,carol",
      "--verified-only",
      "--yes",
    ])
    const refused = await runCli([
      "group",
      "add",
      "--profile",
      profile("alice"),
      "--group",
      group,
      "--members",
      "jg",
      "--yes",
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /verified members only.*Jeffrey Goldberg \(jg\) is an outsider.*POLICY_REFUSED/,
    )
    await cliJson(["sync", "--profile", profile("bob")])
    await cliJson(["sync", "--profile", profile("carol")])

    // Bob's device is compromised: it builds and sends the commit itself, skipping Bob's client's check.
    process.env.BACKCHANNEL_PASSPHRASE = testPassphrase
    const bob = await openProfile(profile("bob"), { askPassphrase: () => Promise.resolve(testPassphrase) })
    try {
      const store = bob.platform.store
      const identity = JSON.parse(Buffer.from((await store.get("identity")) ?? []).toString("utf8")) as {
        deviceId: string
        suite: SuiteName
        signaturePrivateKey: string
        signaturePublicKey: string
      }
      const suite = await loadSuite(identity.suite)
      const acceptAll: AuthenticationService & { deferDuring<T>(t: () => Promise<T>): Promise<T> } = {
        validateCredential: () => Promise.resolve(true),
        deferDuring: (task) => task(),
      }
      const mls = new MlsEngine(suite, acceptAll)
      const state = mls.decodeState((await store.get(`group/${group}`)) ?? new Uint8Array())
      const seed = fromB64(identity.signaturePrivateKey)
      const delivery = bob.platform.deliveryFor(server.url, {
        deviceId: identity.deviceId,
        sign: (bytes) => suite.signature.sign(seed, bytes),
      })
      const [claimed] = await delivery.claimKeyPackages({ handles: ["jg"] })
      if (claimed === undefined) throw new Error("no key package for jg")
      const crafted = await mls.commitAdd(
        state,
        [mls.decodeKeyPackage(fromB64(claimed.keyPackage))],
        new TextEncoder().encode("{}"),
      )
      const accepted = await delivery.commit(group, {
        epoch: mls.epoch(state).toString(),
        commit: toB64(crafted.commit),
        welcome: toB64(crafted.welcome),
        add: [claimed.deviceId],
        remove: [],
      })
      expect(accepted.duplicate).toBe(false)
    } finally {
      await bob.release()
    }

    for (const who of ["alice", "carol"]) {
      const all = await rows(who, ["--group", group])
      expect(all.at(-1)?.kind).toBe("event")
      expect(all.at(-1)?.text).toMatch(
        /conversation frozen: bob added Jeffrey Goldberg \(jg\), not verified by the operator/,
      )
      const blocked = await runCli(["send", "--profile", profile(who), "--group", group, "still there?"])
      expect(blocked.code).toBe(1)
      expect(blocked.stderr).toMatch(/frozen.*POLICY_REFUSED/)
      const review = await runCli(["members", "--profile", profile(who), "--group", group])
      expect(review.stdout).toMatch(/verified members only/)
      expect(review.stdout).toMatch(/FROZEN/)
      // The member rows (after the header) do not include the outsider: the change was refused.
      const memberRows = review.stdout.split("\n").slice(1).join("\n")
      expect(memberRows).toMatch(/Bob Bureau \(bob\)/)
      expect(memberRows).not.toMatch(/\(jg\)/)
    }
  })

  it("lists who is in a conversation, since when, verified or outsider", async () => {
    const { group } = await cliJson<{ group: string }>([
      "group",
      "create",
      "--profile",
      profile("alice"),
      "--name",
      "Mixed",
      "--members",
      "bob,jg",
      "--yes",
    ])
    const review = await cliJson<
      Array<{ handle: string; verified: boolean; outsider: boolean; since: number; title: string | null }>
    >(["members", "--profile", profile("bob"), "--group", group])
    const byHandle = new Map(review.map((r) => [r.handle, r]))
    expect(byHandle.get("jg")).toMatchObject({ verified: false, outsider: true, title: "Editor" })
    expect(byHandle.get("alice")).toMatchObject({ verified: true, outsider: false, title: "Ambassador" })
    for (const r of review) expect(r.since).toBeGreaterThan(Date.now() - 10 * 60 * 1000)
  })
})

describe("confidentiality terms", () => {
  it("shows the terms before the text and refuses to forward a no-forward message", async () => {
    await cliJson([
      "send",
      "--profile",
      profile("alice"),
      "--to",
      "bob",
      "--yes",
      "--label",
      "Leaders only",
      "--no-forward",
      "The envoy lands at six.",
    ])
    const bobRows = await rows("bob", ["--with", "alice"])
    const received = bobRows.find((r) => plain(r.text) === "The envoy lands at six.")
    expect(received?.terms).toMatchObject({ label: "Leaders only", level: 3, noForward: true })
    const human = await runCli(["messages", "--profile", profile("bob"), "--with", "alice"])
    expect(plain(human.stdout)).toContain("alice): [Leaders only · no forwarding] The envoy lands at six.")
    const forwarded = await runCli([
      "forward",
      "--profile",
      profile("bob"),
      "--message",
      received?.id ?? "",
      "--to",
      "carol",
      "--yes",
    ])
    expect(forwarded.code).toBe(1)
    expect(forwarded.stderr).toMatch(/not to be forwarded.*POLICY_REFUSED/)
    const wrongLabel = await runCli([
      "send",
      "--profile",
      profile("alice"),
      "--to",
      "bob",
      "--label",
      "Top secret",
      "x",
    ])
    expect(wrongLabel.stderr).toMatch(
      /not one of the operator's labels: Leaders only, Not for publication, Personal/,
    )
  })

  it("uses the operator's own labels", async () => {
    const labels = await cliJson<Array<{ name: string; level: number }>>([
      "admin",
      "labels",
      "--data",
      dataDir,
      "--set",
      "Eyes only, Leaders only, Not for publication, Personal",
    ])
    expect(labels).toEqual([
      { name: "Eyes only", level: 4 },
      { name: "Leaders only", level: 3 },
      { name: "Not for publication", level: 2 },
      { name: "Personal", level: 1 },
    ])
    const sent = await cliJson<{ terms: { label: string; level: number } }>([
      "send",
      "--profile",
      profile("alice"),
      "--to",
      "bob",
      "--label",
      "eyes only",
      "Only for you.",
    ])
    expect(sent.terms).toMatchObject({ label: "Eyes only", level: 4 })
  })

  it("deletes an expired message from the recipient's decrypted store", async () => {
    const text = "This line self-destructs in fifteen seconds."
    // Long enough to read it first even on a loaded machine; then wait until it is due.
    const sent = await cliJson<{ terms: { expiresAt: number } }>([
      "send",
      "--profile",
      profile("alice"),
      "--to",
      "bob",
      "--expires",
      "15s",
      text,
    ])
    const before = await rows("bob", ["--with", "alice"])
    expect(before.some((r) => plain(r.text) === text && r.terms?.expiresAt === sent.terms.expiresAt)).toBe(
      true,
    )
    await sleep(Math.max(0, sent.terms.expiresAt - Date.now()) + 500)
    const after = await rows("bob", ["--with", "alice"])
    const gone = after.find((r) => r.id === before.find((b) => plain(b.text) === text)?.id)
    expect(gone?.removed).toBe("expired")
    expect(gone?.text).toMatch(/expired and was deleted/)
    expect(plain(await decryptedStore("bob"))).not.toContain(text)
    // The sender's own copy goes too, the next time the sender's device runs (here: a sync).
    expect(plain(await decryptedStore("alice"))).toContain(text)
    await cliJson(["sync", "--profile", profile("alice")])
    expect(plain(await decryptedStore("alice"))).not.toContain(text)
  })

  it("deletes every queued copy of an expired message from the server", async () => {
    const text = "Carol, read this within fifteen seconds or never."
    const sent = await cliJson<{ id: string; terms: { expiresAt: number } }>([
      "send",
      "--profile",
      profile("alice"),
      "--to",
      "carol",
      "--yes",
      "--expires",
      "15s",
      text,
    ])
    expect(sent.id).toBeDefined()
    const db = new Database(join(dataDir, "backchannel.db"), { readonly: true })
    try {
      const expiring = () =>
        (db.prepare("SELECT COUNT(*) AS n FROM bodies WHERE expires_at IS NOT NULL").get() as { n: number }).n
      expect(expiring()).toBe(1)
      // The server deletes expired copies every 5 seconds.
      await sleep(Math.max(0, sent.terms.expiresAt - Date.now()) + 6000)
      expect(expiring()).toBe(0)
    } finally {
      db.close()
    }
    // Carol, offline all this time, never receives it.
    expect((await rows("carol", ["--with", "alice"])).some((r) => plain(r.text) === text)).toBe(false)
  })

  it("lets a view-once message be read exactly once", async () => {
    const text = "The meeting point is the north gate."
    await cliJson(["send", "--profile", profile("alice"), "--to", "bob", "--view-once", text])
    const listed = (await rows("bob", ["--with", "alice"])).find((r) => r.hidden === true)
    expect(listed).toBeDefined()
    expect(listed?.text).toMatch(/view-once message: open it once/)
    expect(plain(await decryptedStore("bob"))).toContain(text)
    const opened = await cliJson<{ text: string }>([
      "view",
      "--profile",
      profile("bob"),
      "--message",
      listed?.id ?? "",
    ])
    expect(plain(opened.text)).toBe(text)
    const again = await runCli(["view", "--profile", profile("bob"), "--message", listed?.id ?? ""])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already viewed/)
    expect(plain(await decryptedStore("bob"))).not.toContain(text)
  })

  it("sets a conversation's default terms, shown to every member, applied to later messages", async () => {
    const { group } = await cliJson<{ group: string }>([
      "group",
      "create",
      "--profile",
      profile("alice"),
      "--name",
      "Communiqué",
      "--members",
      "bob,carol",
    ])
    const set = await cliJson<{ defaultTerms: { label: string } }>([
      "group",
      "terms",
      "--profile",
      profile("alice"),
      "--group",
      group,
      "--label",
      "Not for publication",
    ])
    expect(set.defaultTerms.label).toBe("Not for publication")
    const bobSees = await rows("bob", ["--group", group])
    expect(
      bobSees.some(
        (r) =>
          r.kind === "event" &&
          /Alice Ambassador \(alice\) set the default terms: Not for publication/.test(r.text),
      ),
    ).toBe(true)
    await cliJson(["send", "--profile", profile("bob"), "--group", group, "Draft two is attached."])
    const carolSees = (await rows("carol", ["--group", group])).find(
      (r) => plain(r.text) === "Draft two is attached.",
    )
    expect(carolSees?.terms).toMatchObject({ label: "Not for publication", level: 2 })
  })
})

describe("trust ledger", () => {
  it("records a breach from a trace verdict, shares it with the user's other device, and asks before labelled sends", async () => {
    const { invite: code } = await cliJson<{ invite: string }>([
      "device",
      "invite",
      "--profile",
      profile("alice"),
    ])
    await enrol("alice-phone", code)
    await cliJson(["sync", "--profile", profile("alice")])
    const { group } = await cliJson<{ group: string }>([
      "group",
      "create",
      "--profile",
      profile("alice"),
      "--name",
      "Inner circle",
      "--members",
      "bob,carol",
    ])
    const { id } = await cliJson<{ id: string }>([
      "send",
      "--profile",
      profile("alice"),
      "--group",
      group,
      "--label",
      "Not for publication",
      "We will recognise the new government on Monday, not before the summit closes.",
    ])
    const leaked = (await rows("bob", ["--group", group])).find((r) => r.id === id)
    const leakFile = join(root, "leak.txt")
    writeFileSync(leakFile, leaked?.text ?? "")
    const premature = await runCli([
      "trust",
      "record",
      "--profile",
      profile("alice"),
      "--handle",
      "bob",
      "--message",
      id,
    ])
    expect(premature.code).toBe(1)
    expect(premature.stderr).toMatch(/run a leak check \(trace\) first/)
    const verdict = await cliJson<{ candidates: Array<{ handle: string; band: string }> }>([
      "trace",
      "--profile",
      profile("alice"),
      "--leak",
      leakFile,
    ])
    expect(verdict.candidates[0]).toMatchObject({ handle: "bob", band: "conclusive" })
    const innocent = await runCli([
      "trust",
      "record",
      "--profile",
      profile("alice"),
      "--handle",
      "carol",
      "--message",
      id,
    ])
    expect(innocent.stderr).toMatch(/no leak check of that message attributed it to that person/)
    const entry = await cliJson<{ band: string; standing: number; label: string }>([
      "trust",
      "record",
      "--profile",
      profile("alice"),
      "--handle",
      "bob",
      "--message",
      id,
      "--note",
      "Posted to a newspaper",
    ])
    expect(entry).toMatchObject({ band: "conclusive", label: "Not for publication", standing: 3 })

    // The ledger reaches Alice's phone, sealed like the rest of its state.
    const phoneLedger = await cliJson<
      Array<{ handle: string; standing: number; breaches: Array<{ messageId: string; note?: string }> }>
    >(["trust", "list", "--profile", profile("alice-phone")])
    expect(phoneLedger).toHaveLength(1)
    expect(phoneLedger[0]).toMatchObject({ handle: "bob", standing: 3 })
    expect(phoneLedger[0]?.breaches[0]).toMatchObject({ messageId: id, note: "Posted to a newspaper" })

    // From the phone: an "Eyes only" (level 4) message to a group with Bob asks first.
    const asked = await runCli([
      "send",
      "--profile",
      profile("alice-phone"),
      "--group",
      group,
      "--label",
      "Eyes only",
      "Recognition is on.",
    ])
    expect(asked.code).toBe(1)
    expect(asked.stderr).toMatch(/CONFIRMATION_REQUIRED/)
    expect(asked.stderr).toMatch(/Bob Bureau \(bob\).*1 recorded breach\(es\), standing 3/)
    // A lower label goes through without asking.
    expect(
      (
        await runCli([
          "send",
          "--profile",
          profile("alice-phone"),
          "--group",
          group,
          "--label",
          "Personal",
          "Lunch?",
        ])
      ).code,
    ).toBe(0)
    // Continue without Bob: a new conversation with everyone else.
    const moved = await cliJson<{ conversation: string }>([
      "send",
      "--profile",
      profile("alice-phone"),
      "--group",
      group,
      "--label",
      "Eyes only",
      "--without-breached",
      "Recognition is on.",
    ])
    expect(moved.conversation).not.toBe(group)
    expect(
      (await rows("carol", ["--group", moved.conversation])).some(
        (r) => plain(r.text) === "Recognition is on.",
      ),
    ).toBe(true)
    expect((await rows("bob", [])).some((r) => plain(r.text) === "Recognition is on.")).toBe(false)
  })
})
