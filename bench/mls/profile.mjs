// Where a member's time goes while it processes MLS messages (update commits in a 200-member group, or
// application messages in a group of 10): samples the V8 CPU profiler over a run and attributes each
// sample to the first matching category, innermost frame first. In Node through node:inspector; in Chromium
// (browser.mjs) the page's profile comes over the DevTools protocol and is summarized here the same way.
import { Session } from "node:inspector/promises"

function categorizeNode(frames) {
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
  return categorizeTsMls(frames)
}

/**
 * For the page's bundle, built with one output file per source module (browser.mjs), so that a frame's URL
 * still names its package. WebCrypto's own work runs off the main thread and shows up as idle time there, which
 * is left out like everywhere else: what remains is what the page's thread spends.
 */
function categorizeChromium(frames) {
  for (const f of frames) {
    if (f.functionName === "(garbage collector)") return "garbage collection"
    if (f.url.includes("@noble/hashes"))
      return "SHA-256 and HMAC in JavaScript (@noble/hashes, via the provider)"
    if (f.url.includes("packages/mls-crypto"))
      return "provider code and WebCrypto calls (packages/mls-crypto)"
    if (f.url.includes("@hpke") || f.url.includes("@noble"))
      return "other crypto in JavaScript (@hpke, @noble)"
  }
  return categorizeTsMls(frames)
}

/** Frames of ts-mls' tree hashing and of its secret tree derivation (for the categories and inclusiveShare). */
export const inTreeHash = (f) => f.functionName === "treeHash" || f.functionName === "treeHashRoot"
export const inSecretTree = (f) => /\/secretTree[-.]/.test(f.url)

function categorizeTsMls(frames) {
  for (const f of frames) {
    if (inTreeHash(f)) return "ts-mls tree hashing (encoding)"
    if (inSecretTree(f)) return "ts-mls secret tree derivation (encoding, labels)"
    if (/\/parentHash[-.]/.test(f.url)) return "ts-mls parent hash verification (encoding)"
  }
  for (const f of frames) if (f.url.includes("ts-mls")) return "ts-mls other (decoding, validation, copies)"
  return "other (runtime, promises)"
}

/**
 * The stack (innermost frame first) of every sample that counts: samples are taken at a fixed interval, so
 * counting them measures time; the first and last samples (the profiler starting and stopping) and idle ticks
 * are left out.
 */
export function sampleStacks(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const stacks = []
  for (const id of profile.samples) {
    const frames = []
    for (let x = id; x !== undefined; x = parent.get(x)) frames.push(byId.get(x).callFrame)
    if (frames[0]?.functionName === "(idle)" || frames[0]?.functionName === "(program)") continue
    if (frames.some((f) => f.url === "node:inspector")) continue
    stacks.push(frames)
  }
  return stacks
}

/** Shares of a profile's samples (from sampleStacks) per category, largest first. */
export function summarizeStacks(stacks, where = "node") {
  const categorize = where === "chromium" ? categorizeChromium : categorizeNode
  const totals = new Map()
  for (const frames of stacks) {
    const category = categorize(frames)
    totals.set(category, (totals.get(category) ?? 0) + 1)
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([category, count]) => ({ category, share: count / stacks.length, samples: count }))
}

/** The share of samples with a frame anywhere on the stack that `match` accepts (time spent inside it). */
export function inclusiveShare(stacks, match) {
  return stacks.filter((frames) => frames.some(match)).length / stacks.length
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
  return summarizeStacks(sampleStacks(profile))
}
