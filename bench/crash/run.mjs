#!/usr/bin/env node
// Crash-safety benchmark: SIGKILLs a real `backchannel serve` process at random moments while senders
// write messages through real client engines, and counts lost and duplicated messages (see scenario.mjs).
//   node bench/crash/run.mjs [--kills 100] [--senders 3] [--receivers 2]     (run `npx tsc -b` first)
import { machine, table, updateSummary, writeJson, writeSection } from "../lib/results.mjs"
import { runCrashScenario } from "./scenario.mjs"

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at >= 0 ? Number(args[at + 1]) : fallback
}
const kills = option("kills", 100)
const senders = option("senders", 3)
const receivers = option("receivers", 2)
const gapMs = [option("min-gap", 200), option("max-gap", 2500)]

const report = await runCrashScenario({
  kills,
  senders,
  receivers,
  gapMs,
  log: (line) => console.log(line),
})

const rows = [
  ["server kills (SIGKILL)", report.kills],
  ["messages written", report.written],
  ["messages acknowledged by the server", report.acked],
  ["sends whose reply was lost (resent from the outbox)", report.lostReplies],
  ["acknowledged messages lost (device × message)", report.lost],
  ["duplicates shown (device × message)", report.duplicates],
  ["messages still pending at the end", report.pendingLeft],
  ["sends refused", report.refused.length],
  ["median restart time (ms)", report.restartMs],
  ["run time (s)", report.seconds.toFixed(1)],
]
const rendered = table(["measure", "value"], rows)
console.log(rendered.text)
const m = machine()
writeJson("crash", { kills, senders, receivers, gapMs, report })
writeSection(
  "Crash safety",
  `Run ${new Date().toISOString().slice(0, 10)} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), Node ${m.node};
\`npm run bench:crash\` (= \`node bench/crash/run.mjs --kills ${kills}\`, after \`npx tsc -b\`).
${senders} senders and ${receivers} receivers in one group, each a real client engine (BackchannelClient) over
the CLI's sealed SQLite profile; the server is \`backchannel serve\` on SQLite (WAL, every commit fdatasync'd before it is acknowledged),
killed with SIGKILL every ${gapMs[0]}–${gapMs[1]} ms (uniformly random) and restarted on the same data and port.
Receivers listen over WebSocket; senders resend from their outbox whatever the server did not acknowledge.
At the end every device syncs and its messages are read back with \`backchannel messages --json\`: an
acknowledged message missing on any other device counts as lost, a message id shown twice as a duplicate.

${rendered.md}
${report.refused.length > 0 ? `\nRefusals: ${[...new Set(report.refused)].join(", ")}\n` : ""}`,
)
updateSummary({
  crash_kills: report.kills,
  crash_lost: report.lost,
  crash_duplicates: report.duplicates,
  crash_acked_messages: report.acked,
})
if (report.lost > 0 || report.duplicates > 0 || report.pendingLeft > 0) process.exitCode = 1
