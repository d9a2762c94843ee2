// The MLS benchmark's page in Chromium (bundled by browser.mjs with vite): the same scenarios as in Node
// (scenario.mjs), with ts-mls' default provider and ours on WebCrypto, as the web app runs them.
import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { createWebCryptoProvider } from "../../packages/mls-crypto/dist/index.js"
import { defaultCryptoProvider, getCiphersuiteFromName } from "ts-mls"
import {
  addMembers,
  keyPackagesPerSecond,
  messages,
  prepareUpdateCommits,
  receiveCommits,
  updateCommits,
} from "./scenario.mjs"

const suite = getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519")
const providers = { default: defaultCryptoProvider, webcrypto: createWebCryptoProvider() }

async function run(name, counts) {
  const impl = await providers[name].getCiphersuiteImpl(suite)
  // Joiners' key packages are setup, not measured: made with our provider to keep runs short.
  const setupImpl = await providers.webcrypto.getCiphersuiteImpl(suite)
  const out = { key_packages_per_s: await keyPackagesPerSecond(impl, counts.keyPackages) }
  const big = await addMembers(impl, counts.members, setupImpl)
  out[`add_${counts.members}_adder_ms`] = big.adderMs
  out[`add_${counts.members}_member_ms`] = big.memberMs
  out[`add_${counts.members}_joiner_ms`] = big.joinerMs
  const updates = await updateCommits(impl, big.states.bob, big.states.joiner, counts.updates)
  if (updates.receiver.groupContext.epoch !== updates.sender.groupContext.epoch) {
    throw new Error("the receiver did not reach the sender's epoch")
  }
  out.update_sender_ms = updates.sendMs
  out.update_receiver_ms = updates.receiveMs
  const group10 = (await addMembers(impl, 8, setupImpl)).states
  const m = await messages(impl, group10.bob, group10.alice, counts.messages)
  out.group10_encrypt_per_s = m.encryptPerS
  out.group10_decrypt_per_s = m.decryptPerS
  out.group10_both_per_s = m.bothPerS
  return out
}

/**
 * Microseconds per call, on 40-byte inputs like most of a commit's: an HMAC with its key import and a SHA-256
 * digest through WebCrypto (awaited, one at a time, as ts-mls calls them), and the same with @noble/hashes.
 */
async function callCosts(count) {
  const key = crypto.getRandomValues(new Uint8Array(32))
  const data = crypto.getRandomValues(new Uint8Array(40))
  const time = async (f) => {
    const start = performance.now()
    for (let i = 0; i < count; i++) await f()
    return ((performance.now() - start) * 1000) / count
  }
  return {
    webcrypto_hmac_us: await time(async () => {
      const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      return crypto.subtle.sign("HMAC", k, data)
    }),
    webcrypto_digest_us: await time(() => crypto.subtle.digest("SHA-256", data)),
    noble_hmac_us: await time(async () => hmac(sha256, key, data)),
    noble_digest_us: await time(async () => sha256(data)),
  }
}

/**
 * For the profile (browser.mjs starts the profiler between the two): a group of `members + 2` built with our
 * provider and `rounds` update commits made in advance by one member; `receive` then has another member
 * process them and returns its milliseconds per commit.
 */
let pending
async function prepareReceiver(members, rounds) {
  const impl = await providers.webcrypto.getCiphersuiteImpl(suite)
  const { states } = await addMembers(impl, members, impl)
  pending = { impl, receiver: states.joiner, commits: await prepareUpdateCommits(impl, states.bob, rounds) }
}
async function receive() {
  const { impl, receiver, commits } = pending
  const start = performance.now()
  await receiveCommits(impl, receiver, commits)
  return (performance.now() - start) / commits.length
}

globalThis.mlsBench = { run, callCosts, prepareReceiver, receive, ready: true }
