import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cliJson, enrolProfile, operatorInvite, runCli, startCli } from "./support/cli.js"
import { plain } from "./support/text.js"
import { startServerProcess } from "./support/server-process.js"
import type { ServerProcess } from "./support/server-process.js"

interface Row {
  id: string
  conversation: string
  kind: string
  sender: string
  device: string
  text: string
  sentAt: number
  outgoing: boolean
}

const root = mkdtempSync(join(tmpdir(), "bc-e2e-"))
const dataDir = join(root, "server")
const profile = (name: string) => join(root, name)
/** Every plaintext this test sends; none may ever appear in the server's files or logs. */
const sent: string[] = []
let server: ServerProcess
const serverLogs: string[] = []

const invite = (handle: string, name: string, extra: string[] = []) =>
  operatorInvite(dataDir, handle, name, extra)
const enrol = (who: string, code: string, device = `${who} laptop`) =>
  enrolProfile(profile(who), server.url, code, device)

async function send(who: string, target: ["--to" | "--group", string], text: string): Promise<string> {
  sent.push(text)
  // --yes: these people are confirmed (first-contact confirmation is tested in tests/policy-cli.test.ts).
  const out = await cliJson<{ id: string }>(["send", "--profile", profile(who), ...target, "--yes", text])
  return out.id
}

async function messages(who: string, filter: string[] = []): Promise<Row[]> {
  return cliJson<Row[]>(["messages", "--profile", profile(who), ...filter])
}

/** What each row says, read past this device's tracemark typography (see support/text.ts). */
const texts = (rows: Row[]) => rows.map((r) => plain(r.text))

/** Reads every file under a directory (recursively) as bytes. */
function allBytes(dir: string): Buffer[] {
  const out: Buffer[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...allBytes(path))
    else out.push(readFileSync(path))
  }
  return out
}

beforeAll(async () => {
  server = await startServerProcess(dataDir)
})

afterAll(async () => {
  await server.stop()
  rmSync(root, { recursive: true, force: true })
})

describe("backchannel CLI against a real server process", () => {
  let group = ""
  const devices = new Map<string, string>()

  it("enrols four people from operator invites", async () => {
    const people = [
      ["alice", "Alice Ambassador", "--title", "Ambassador", "--org", "Ministry of Foreign Affairs"],
      ["bob", "Bob Bureau", "--title", "Chief of Staff"],
      ["carol", "Carol Counsel"],
      ["dave", "Dave Deputy"],
    ] as const
    for (const [handle, name, ...extra] of people) {
      const me = await enrol(handle, await invite(handle, name, [...extra]))
      expect(me.handle).toBe(handle)
      expect(me.device).toMatch(/^[A-Za-z0-9_-]{22}$/)
      devices.set(handle, me.device)
    }
  })

  it("lists the directory for the operator with each device's id, name and state", async () => {
    const listed = await runCli(["admin", "list", "--data", dataDir])
    expect(listed.code, listed.stderr).toBe(0)
    const lines = listed.stdout.split("\n")
    const alice = lines.findIndex((l) => l.startsWith("alice  "))
    expect(lines[alice]).toBe(
      "alice  Alice Ambassador — Ambassador, Ministry of Foreign Affairs  (member; 1 active device(s))",
    )
    // The device id `admin revoke --device` takes, under its owner.
    expect(lines[alice + 1]).toMatch(
      new RegExp(
        `^    ${devices.get("alice") ?? "?"}  "alice laptop"  enrolled \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`,
      ),
    )
    expect(lines.filter((l) => /^ {4}[A-Za-z0-9_-]{22} /.test(l))).toHaveLength(4)
    expect(listed.stdout).not.toContain("REVOKED")

    // A mistyped --data is refused, and no database appears there.
    const typo = join(root, "no-such-data")
    for (const args of [["list"], ["revoke", "--device", devices.get("bob") ?? "?"], ["labels"]]) {
      const refused = await runCli(["admin", ...args, "--data", typo])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("(NO_DATA)")
    }
    expect(() => statSync(typo)).toThrow()
  })

  it("exchanges one-to-one messages both ways", async () => {
    const first = await send("alice", ["--to", "bob"], "Bob, can we speak before the summit opens?")
    const bobSees = await messages("bob", ["--with", "alice"])
    expect(texts(bobSees)).toEqual(["Bob, can we speak before the summit opens?"])
    expect(bobSees[0]?.id).toBe(first)
    expect(bobSees[0]?.sender).toBe("alice")
    expect(bobSees[0]?.outgoing).toBe(false)

    await send("bob", ["--to", "alice"], "Yes — 07:30 in the delegation office.")
    expect(texts(await messages("alice", ["--with", "bob"]))).toEqual([
      "Bob, can we speak before the summit opens?",
      plain("Yes — 07:30 in the delegation office."),
    ])
    // Both sides used the same conversation, created on the first message.
    const aliceRows = await messages("alice", ["--with", "bob"])
    expect(new Set(aliceRows.map((r) => r.conversation)).size).toBe(1)
    expect(aliceRows[0]?.conversation).toBe(bobSees[0]?.conversation)
  })

  it("runs a group of three", async () => {
    const created = await cliJson<{ group: string; members: string[] }>([
      "group",
      "create",
      "--profile",
      profile("alice"),
      "--name",
      "Summit prep",
      "--members",
      "bob,carol",
      "--yes",
    ])
    group = created.group
    expect(created.members.sort()).toEqual(["alice", "bob", "carol"])
    await send("alice", ["--group", group], "Draft communiqué attached in our next call.")
    await send("carol", ["--group", group], "Paragraph 4 needs the softer wording.")
    for (const who of ["alice", "bob", "carol"]) {
      expect(texts(await messages(who, ["--group", group]))).toEqual([
        "Draft communiqué attached in our next call.",
        "Paragraph 4 needs the softer wording.",
      ])
    }
  })

  it("does not let a member added later read what was sent before", async () => {
    await cliJson([
      "group",
      "add",
      "--profile",
      profile("bob"),
      "--group",
      group,
      "--members",
      "dave",
      "--yes",
    ])
    const daveBefore = await messages("dave", ["--group", group])
    expect(texts(daveBefore)).toEqual([])
    const all = await cliJson<Row[]>(["messages", "--profile", profile("dave"), "--all"])
    expect(
      all.some((r) => plain(r.text).includes("communiqué") || plain(r.text).includes("Paragraph 4")),
    ).toBe(false)
    await send("alice", ["--group", group], "Welcome Dave: the vote is on Thursday.")
    expect(texts(await messages("dave", ["--group", group]))).toEqual([
      "Welcome Dave: the vote is on Thursday.",
    ])
  })

  it("does not let a removed member read what is sent after removal", async () => {
    const after = await cliJson<{ members: string[] }>([
      "group",
      "remove",
      "--profile",
      profile("alice"),
      "--group",
      group,
      "--members",
      "carol",
    ])
    expect(after.members.sort()).toEqual(["alice", "bob", "dave"])
    await send("alice", ["--group", group], "Carol has left; keep the position paper between us.")
    const carolRows = await cliJson<Row[]>([
      "messages",
      "--profile",
      profile("carol"),
      "--group",
      group,
      "--all",
    ])
    expect(carolRows.some((r) => plain(r.text).includes("position paper"))).toBe(false)
    expect(carolRows.at(-1)?.text).toMatch(/removed you/)
    for (const who of ["bob", "dave"]) {
      expect(texts(await messages(who, ["--group", group])).at(-1)).toBe(
        "Carol has left; keep the position paper between us.",
      )
    }
    // The removal shows in the conversation for the members who stay.
    const bobAll = await cliJson<Row[]>(["messages", "--profile", profile("bob"), "--group", group, "--all"])
    expect(bobAll.some((r) => r.kind === "event" && /removed .*carol/i.test(r.text))).toBe(true)
  })

  it("brings a user's second device into existing conversations", async () => {
    const { invite: code } = await cliJson<{ invite: string }>([
      "device",
      "invite",
      "--profile",
      profile("bob"),
    ])
    const second = await enrol("bob-phone", code, "bob phone")
    expect(second.handle).toBe("bob")
    // Bob's first device learns of the new device and adds it to his conversations.
    await cliJson(["sync", "--profile", profile("bob")])
    await send("alice", ["--to", "bob"], "Bob, this should reach your phone too.")
    await send("dave", ["--group", group], "Dave here, confirming Thursday.")
    const phone = await messages("bob-phone")
    expect(texts(phone)).toContain("Bob, this should reach your phone too.")
    expect(texts(phone)).toContain("Dave here, confirming Thursday.")
    expect(texts(phone)).not.toContain("Bob, can we speak before the summit opens?")
    // What Bob sends from one device shows on his other device, as his own.
    await send("bob", ["--to", "alice"], "Sent from the laptop.")
    const mine = (await messages("bob-phone", ["--with", "alice"])).find(
      (r) => plain(r.text) === "Sent from the laptop.",
    )
    expect(mine?.outgoing).toBe(true)
    expect(mine?.sender).toBe("bob")
    expect(texts(await messages("alice", ["--with", "bob"])).at(-1)).toBe("Sent from the laptop.")
  })

  it("prints messages as they arrive while listening, and stops cleanly", async () => {
    const listener = startCli(["listen", "--profile", profile("carol"), "--json"])
    try {
      // Once the push session is open, a message sent now arrives by push, not by a later sync.
      await listener.waitForStderr('{"connection":"open"}')
      await send("bob", ["--to", "carol"], "Carol, a quick word on the draft?")
      const line = await listener.waitForLine((l) => plain(l).includes("a quick word"))
      const pushed = JSON.parse(line) as Row
      expect(pushed).toMatchObject({ kind: "text", sender: "bob" })
      expect(plain(pushed.text)).toBe("Carol, a quick word on the draft?")
    } finally {
      // Stopped even when an assertion fails: a live child process would keep the test run open.
      expect(await listener.stop()).toBe(0)
    }
    // The listener stored what it printed: it is there without another sync.
    const stored = await cliJson<Row[]>([
      "messages",
      "--profile",
      profile("carol"),
      "--with",
      "bob",
      "--no-sync",
    ])
    expect(texts(stored)).toEqual(["Carol, a quick word on the draft?"])
  })

  it("delivers messages queued for an offline device across a server crash and restart", async () => {
    await send("alice", ["--to", "dave"], "Dave, read this when you are back online.")
    await send("bob", ["--group", group], "Queued while Dave was away.")
    serverLogs.push(server.output())
    expect(await server.stop("SIGKILL")).toBeNull()
    server = await startServerProcess(dataDir, { port: server.port })
    expect(texts(await messages("dave", ["--with", "alice"]))).toEqual([
      "Dave, read this when you are back online.",
    ])
    expect(texts(await messages("dave", ["--group", group])).at(-1)).toBe("Queued while Dave was away.")
  })

  it("never lets a plaintext reach the server's database files or logs", async () => {
    serverLogs.push(server.output())
    expect(sent.length).toBeGreaterThan(10)
    const serverFiles = allBytes(dataDir)
    expect(serverFiles.length).toBeGreaterThan(0)
    const logs = Buffer.from(serverLogs.join("\n"))
    for (const text of sent) {
      const needle = Buffer.from(text, "utf8")
      for (const file of serverFiles)
        expect(file.includes(needle), `server file contains "${text}"`).toBe(false)
      expect(logs.includes(needle), `server log contains "${text}"`).toBe(false)
    }
    // Handles are never logged either.
    for (const handle of ["alice", "bob", "carol", "dave"])
      expect(logs.includes(Buffer.from(handle))).toBe(false)
  })

  it("keeps each device's own copy encrypted at rest", () => {
    for (const who of ["alice", "bob", "bob-phone", "carol", "dave"]) {
      const files = allBytes(profile(who))
      for (const text of sent) {
        const needle = Buffer.from(text, "utf8")
        for (const file of files)
          expect(file.includes(needle), `${who}'s profile stores "${text}" in clear`).toBe(false)
      }
    }
  })

  it("refuses a wrong passphrase and explains errors without a stack trace", async () => {
    const wrong = await runCli(["messages", "--profile", profile("alice")], {
      env: { BACKCHANNEL_PASSPHRASE: "not the passphrase" },
    })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/wrong passphrase or key file for this profile \(WRONG_SECRET\)/)
    const unknown = await runCli(["send", "--profile", profile("alice"), "--to", "nobody-here", "hello?"])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/UNKNOWN_PERSON/)
    expect(unknown.stderr).not.toMatch(/\bat .*\.js:\d+/)
    const usage = await runCli(["send", "--profile", profile("alice"), "--to", "bob", "--group", group, "x"])
    expect(usage.code).toBe(2)
    const used = await runCli([
      "enroll",
      "--profile",
      profile("again"),
      "--server",
      server.url,
      "--invite",
      "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
    ])
    expect(used.code).toBe(1)
    expect(used.stderr).toMatch(/INVITE_INVALID/)
  })
})
