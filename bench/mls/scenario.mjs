// The MLS operations the benchmark times, written against ts-mls' public API. Each function returns
// plain numbers; run.mjs alternates providers and aggregates.
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeGroupState,
  generateKeyPackage,
  joinGroup,
  makePskIndex,
  processPrivateMessage,
} from "ts-mls"
import { median } from "./format.mjs"

const encoder = new TextEncoder()
const now = () => performance.now()

export function credential(name) {
  return { credentialType: "basic", identity: encoder.encode(name) }
}

export async function keyPackage(name, impl) {
  return generateKeyPackage(credential(name), defaultCapabilities(), defaultLifetime, [], impl)
}

/** Key packages generated per second (generation includes two HPKE key pairs, an Ed25519 key pair and two signatures). */
export async function keyPackagesPerSecond(impl, count) {
  const start = now()
  for (let i = 0; i < count; i++) await keyPackage(`kp-${i}`, impl)
  return count / ((now() - start) / 1000)
}

function commitPrivateMessage(result) {
  if (result.commit.wireformat !== "mls_private_message") throw new Error("expected a PrivateMessage commit")
  return result.commit.privateMessage
}

/**
 * A two-member group (creator + one existing member), then one commit adding `count` members.
 * Times the adder's createCommit, the existing member's processing of that commit, and one joiner's
 * joinGroup (ratchet tree passed out of band). Joiners' key packages are made beforehand, untimed.
 */
export async function addMembers(impl, count, setupImpl) {
  const alice = await keyPackage("alice", setupImpl)
  const bob = await keyPackage("bob", setupImpl)
  const joiners = []
  for (let i = 0; i < count; i++) joiners.push(await keyPackage(`joiner-${i}`, setupImpl))

  let aliceState = await createGroup(
    impl.rng.randomBytes(32),
    alice.publicPackage,
    alice.privatePackage,
    [],
    impl,
  )
  const addBob = await createCommit(
    { state: aliceState, cipherSuite: impl },
    { extraProposals: [{ proposalType: "add", add: { keyPackage: bob.publicPackage } }] },
  )
  aliceState = addBob.newState
  let bobState = await joinGroup(
    addBob.welcome,
    bob.publicPackage,
    bob.privatePackage,
    emptyPskIndex,
    impl,
    aliceState.ratchetTree,
  )

  const proposals = joiners.map((j) => ({ proposalType: "add", add: { keyPackage: j.publicPackage } }))
  let start = now()
  const added = await createCommit({ state: aliceState, cipherSuite: impl }, { extraProposals: proposals })
  const adderMs = now() - start
  aliceState = added.newState

  start = now()
  const processed = await processPrivateMessage(
    bobState,
    commitPrivateMessage(added),
    makePskIndex(bobState, {}),
    impl,
  )
  const memberMs = now() - start
  bobState = processed.newState

  const joiner = joiners[joiners.length - 1]
  start = now()
  const joinerState = await joinGroup(
    added.welcome,
    joiner.publicPackage,
    joiner.privatePackage,
    emptyPskIndex,
    impl,
    aliceState.ratchetTree,
  )
  const joinerMs = now() - start
  return { adderMs, memberMs, joinerMs, states: { alice: aliceState, bob: bobState, joiner: joinerState } }
}

/** Update commits (full path, no proposals) by one member of a group, processed by another. */
export async function updateCommits(impl, sender, receiver, rounds) {
  const sendMs = []
  const receiveMs = []
  for (let i = 0; i < rounds; i++) {
    let start = now()
    const result = await createCommit({ state: sender, cipherSuite: impl }, {})
    sendMs.push(now() - start)
    sender = result.newState
    start = now()
    const processed = await processPrivateMessage(
      receiver,
      commitPrivateMessage(result),
      makePskIndex(receiver, {}),
      impl,
    )
    receiveMs.push(now() - start)
    receiver = processed.newState
  }
  return { sendMs: median(sendMs), receiveMs: median(receiveMs), sender, receiver }
}

/** `count` application messages of 200 bytes from `sender`, in order; with the seconds it took. */
export async function sealMessages(impl, sender, count) {
  const payload = new Uint8Array(200).fill(0x61)
  const sealed = []
  const start = now()
  for (let i = 0; i < count; i++) {
    const out = await createApplicationMessage(sender, payload, impl)
    sender = out.newState
    sealed.push(out.privateMessage)
  }
  return { sealed, seconds: (now() - start) / 1000 }
}

/** Decrypts `sealed` in order at `receiver`, checking each; returns the seconds it took. */
export async function openMessages(impl, receiver, sealed) {
  const start = now()
  for (const message of sealed) {
    const out = await processPrivateMessage(receiver, message, makePskIndex(receiver, {}), impl)
    if (out.kind !== "applicationMessage" || out.message.length !== 200)
      throw new Error("message did not decrypt")
    receiver = out.newState
  }
  return (now() - start) / 1000
}

/** 200-byte application messages: encrypt `count`, then decrypt them in order at another member. */
export async function messages(impl, sender, receiver, count) {
  const { sealed, seconds: encryptS } = await sealMessages(impl, sender, count)
  const decryptS = await openMessages(impl, receiver, sealed)
  return {
    encryptPerS: count / encryptS,
    decryptPerS: count / decryptS,
    bothPerS: count / (encryptS + decryptS),
  }
}

/** Update commits made in advance by `sender`, for a receiver-only measurement (the profile). */
export async function prepareUpdateCommits(impl, sender, rounds) {
  const commits = []
  for (let i = 0; i < rounds; i++) {
    const result = await createCommit({ state: sender, cipherSuite: impl }, {})
    sender = result.newState
    commits.push(commitPrivateMessage(result))
  }
  return commits
}

export async function receiveCommits(impl, receiver, commits) {
  for (const commit of commits) {
    receiver = (await processPrivateMessage(receiver, commit, makePskIndex(receiver, {}), impl)).newState
  }
  return receiver
}

export function stateBytes(state) {
  return encodeGroupState(state).length
}
