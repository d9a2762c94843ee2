// Where a member's time goes while it processes MLS messages (update commits in a 200-member group, or
// application messages in a group of 10): samples the V8 CPU profiler over a run and attributes each
// sample to the first matching category, innermost frame first.
import { Session } from "node:inspector/promises"

function categorize(frames) {
  // Ed25519 first: the signature checks are node:crypto's too, but worth telling apart from the rest.
  if (frames.some((f) => f.url.includes("mls-crypto/dist/node/signature.js")))
    return "Ed25519 signatures (provider, node:crypto)"
  for (const f of frames) {
    if (f.functionName === "(garbage collector)") return "garbage collection"
    if (
      f.url.includes("mls-crypto/dist") ||
      f.url.startsWith("node:crypto") ||
      f.url.includes("internal/crypto")
    )
      return "crypto primitives (provider, node:crypto)"
    if (f.url.includes("@hpke") || f.url.includes("@noble")) return "crypto primitives (@hpke, @noble)"
  }
  for (const f of frames) {
    if (f.functionName === "treeHash" || f.functionName === "treeHashRoot")
      return "ts-mls tree hashing (encoding)"
    if (f.url.endsWith("secretTree.js")) return "ts-mls secret tree derivation (encoding, labels)"
    if (f.url.endsWith("parentHash.js")) return "ts-mls parent hash verification (encoding)"
  }
  for (const f of frames) if (f.url.includes("ts-mls")) return "ts-mls other (decoding, validation, copies)"
  return "other (runtime, promises)"
}

export async function profileRun(run) {
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 200 })
  await session.post("Profiler.start")
  await run()
  const { profile } = await session.post("Profiler.stop")
  session.disconnect()

  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const totals = new Map()
  let all = 0
  // Samples are taken at a fixed interval, so counting them measures time; the first and last samples
  // (the profiler starting and stopping) and idle ticks are left out.
  for (const id of profile.samples) {
    const frames = []
    for (let x = id; x !== undefined; x = parent.get(x)) frames.push(byId.get(x).callFrame)
    if (frames[0]?.functionName === "(idle)" || frames[0]?.functionName === "(program)") continue
    if (frames.some((f) => f.url === "node:inspector")) continue
    const category = categorize(frames)
    totals.set(category, (totals.get(category) ?? 0) + 1)
    all++
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([category, count]) => ({ category, share: count / all, samples: count }))
}
