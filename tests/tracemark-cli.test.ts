import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BackchannelClient } from "@backchannel/core"
import { resampleRgba } from "@backchannel/tracemark"
import { decodeImageFile, encodeJpeg } from "@backchannel/tracemark/node"
import { launchBubbleRenderer } from "../bench/tracemark/chromium-bubble.mjs"
import { openProfile } from "../packages/cli/src/profile/profile.js"
import { cliJson, enrolProfile, operatorInvite, testPassphrase } from "./support/cli.js"
import { startServerProcess } from "./support/server-process.js"
import type { ServerProcess } from "./support/server-process.js"
import { plain } from "./support/text.js"

interface Row {
  id: string
  conversation: string
  kind: string
  sender: string
  device: string
  text: string
}
interface TraceJson {
  message: string
  messages: string[]
  stripped: boolean
  source: string
  candidates: Array<{
    handle: string
    device: string
    agreements: number
    readable: number
    pValue: number
    adjustedP: number
    band: "conclusive" | "attributable" | "inconclusive"
  }>
}

const root = mkdtempSync(join(tmpdir(), "bc-trace-"))
const dataDir = join(root, "server")
const profile = (who: string) => join(root, who)
const recipients = ["bob", "carol", "dave", "erin"]
const message =
  "Thank you for tonight's call. We can accept the revised wording on the monitors if Ankara does the same — " +
  "but not before the ministers meet on Friday... Please keep this within your office."
const decoy = "Dinner moves to Thursday; the ambassador sends her regards and hopes you can still come."
let server: ServerProcess
let group = ""
let messageId = ""
const devices = new Map<string, string>()
const copies = new Map<string, string>()

async function trace(leaks: string[], extra: string[] = []): Promise<TraceJson> {
  return cliJson<TraceJson>([
    "trace",
    "--profile",
    profile("alice"),
    ...leaks.flatMap((l) => ["--leak", l]),
    ...extra,
  ])
}

function leakFile(name: string, content: string | Uint8Array): string {
  const path = join(root, name)
  writeFileSync(path, content)
  return path
}

beforeAll(async () => {
  server = await startServerProcess(dataDir)
  for (const who of ["alice", ...recipients]) {
    const me = await enrolProfile(profile(who), server.url, await operatorInvite(dataDir, who, who))
    devices.set(who, me.device)
  }
  group = (
    await cliJson<{ group: string }>([
      "group",
      "create",
      "--profile",
      profile("alice"),
      "--name",
      "Monitors",
      "--members",
      recipients.join(","),
      "--yes",
    ])
  ).group
  messageId = (
    await cliJson<{ id: string }>(["send", "--profile", profile("alice"), "--group", group, message])
  ).id
  await cliJson(["send", "--profile", profile("alice"), "--group", group, decoy])
  for (const who of recipients) {
    const rows = await cliJson<Row[]>(["messages", "--profile", profile(who), "--group", group])
    const row = rows.find((r) => r.id === messageId)
    if (!row) throw new Error(`${who} did not receive the message`)
    copies.set(who, row.text)
  }
})

afterAll(async () => {
  await server.stop()
  rmSync(root, { recursive: true, force: true })
})

describe("tracemark through the client and the CLI", () => {
  it("shows every recipient its own copy: the same words, different marks", () => {
    const shown = recipients.map((who) => copies.get(who) ?? "")
    for (const text of shown) expect(plain(text)).toBe(plain(message))
    expect(new Set(shown).size).toBe(recipients.length)
    // The marks include zero-width code points (copy-paste leaks) and typographic choices.
    for (const text of shown) expect(text).toMatch(/\u200b|\u200c|\u200d|\u2060/)
  })

  it("lets the sender preview exactly the copy each recipient device shows", async () => {
    const rows = await cliJson<Array<{ handle: string; device: string; text: string }>>([
      "preview",
      "--profile",
      profile("alice"),
      "--message",
      messageId,
    ])
    expect(rows.map((r) => r.handle).sort()).toEqual(recipients)
    for (const row of rows) {
      expect(row.device).toBe(devices.get(row.handle))
      expect(row.text).toBe(copies.get(row.handle))
    }
  })

  it("traces a pasted copy to the device it was shown on, conclusively", async () => {
    const result = await trace([leakFile("pasted.txt", copies.get("carol") ?? "")])
    expect(result.message).toBe(messageId)
    expect(result.source).toBe("text")
    expect(result.stripped).toBe(false)
    expect(result.candidates).toHaveLength(4)
    expect(result.candidates[0]).toMatchObject({
      handle: "carol",
      device: devices.get("carol"),
      band: "conclusive",
    })
    expect(result.candidates[0]?.agreements).toBe(result.candidates[0]?.readable)
    for (const innocent of result.candidates.slice(1)) expect(innocent.band).toBe("inconclusive")
  })

  it("says when the invisible marks were stripped, and accuses no innocent device", async () => {
    const stripped = (copies.get("dave") ?? "").normalize("NFKC").replace(/\u200b|\u200c|\u200d|\u2060/g, "")
    const result = await trace([leakFile("stripped.txt", stripped)])
    expect(result.message).toBe(messageId)
    expect(result.stripped).toBe(true)
    for (const c of result.candidates.filter((c) => c.handle !== "dave")) expect(c.band).toBe("inconclusive")
  })

  it("traces a halved, JPEG-70 screenshot of a recipient's bubble taken in Chromium", async () => {
    // Erin's device renders her own copy from the plan it stored; the test screenshots that bubble.
    process.env.BACKCHANNEL_PASSPHRASE = testPassphrase
    const erinProfile = await openProfile(profile("erin"), {
      askPassphrase: () => Promise.resolve(testPassphrase),
    })
    let plan
    try {
      const erin = await BackchannelClient.open(erinProfile.platform)
      plan = (await erin.message(messageId))?.plan
    } finally {
      await erinProfile.release()
    }
    expect(plan).toBeDefined()
    if (plan === undefined) return
    const renderer = await launchBubbleRenderer()
    try {
      const tab = await renderer.open(2)
      const shot = await tab.screenshot(plan)
      await tab.close()
      const degraded = encodeJpeg(resampleRgba(shot, 0.5), 70)
      expect(decodeImageFile(degraded).width).toBeLessThan(shot.width)
      const result = await trace([leakFile("screenshot.jpg", degraded)])
      expect(result.message).toBe(messageId)
      expect(result.source).toBe("image")
      expect(result.candidates[0]).toMatchObject({ handle: "erin", device: devices.get("erin") })
      expect(result.candidates[0]?.adjustedP).toBeLessThanOrEqual(1e-6)
      for (const innocent of result.candidates.slice(1)) expect(innocent.band).toBe("inconclusive")
      expect(renderer.blocked).toEqual([])
    } finally {
      await renderer.close()
    }
  })

  it("sums the evidence of several leaked messages", async () => {
    const rows = await cliJson<Row[]>(["messages", "--profile", profile("bob"), "--group", group])
    const decoyCopy = rows.find((r) => plain(r.text) === plain(decoy))?.text ?? ""
    const result = await trace([leakFile("one.txt", copies.get("bob") ?? ""), leakFile("two.txt", decoyCopy)])
    expect(result.messages).toHaveLength(2)
    expect(result.messages[0]).toBe(messageId)
    const bob = result.candidates[0]
    expect(bob).toMatchObject({ handle: "bob", band: "conclusive" })
    // Two messages' slots are counted together.
    const single = await trace([leakFile("one-again.txt", copies.get("bob") ?? "")])
    expect(bob?.readable ?? 0).toBeGreaterThan(single.candidates[0]?.readable ?? 0)
  })

  it("refuses a leak that matches nothing it sent", async () => {
    const path = leakFile(
      "unrelated.txt",
      "The weather in Geneva is mild for the season and the lake is calm.",
    )
    const result = await cliJson<TraceJson>(["trace", "--profile", profile("alice"), "--leak", path]).catch(
      (e: unknown) => e,
    )
    expect(String(result)).toMatch(/does not match any message you sent/)
  })
})
