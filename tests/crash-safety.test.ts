import { describe, expect, it } from "vitest"
import { runCrashScenario } from "../bench/crash/scenario.mjs"

// Load against a real server process on a real SQLite file, SIGKILLed at random moments 20 times and
// restarted on the same data: every message the server acknowledged reaches every other device, and no
// device shows a message twice although senders resend what was not acknowledged (bench/crash/ runs more).

describe("crash safety of the server under load", () => {
  it("loses no acknowledged message and shows no duplicate across 20 SIGKILLs", async () => {
    const report = await runCrashScenario({ kills: 20, senders: 3, receivers: 2 })
    expect(report.kills).toBe(20)
    // The load really ran across the kills: messages were acknowledged and some replies were lost.
    expect(report.acked).toBeGreaterThan(50)
    expect(report.lostReplies).toBeGreaterThan(0)
    expect(report.refused).toEqual([])
    expect(report.perDevice).toHaveLength(5)
    for (const device of report.perDevice) expect(device.shown).toBeGreaterThan(0)
    expect(report.lost).toBe(0)
    expect(report.duplicates).toBe(0)
    expect(report.pendingLeft).toBe(0)
    // Every message written ended up acknowledged (resent from the outbox until it was).
    expect(report.acked).toBe(report.written)
  }, 170_000)
})
