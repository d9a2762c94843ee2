// The update-commit measurement of scenario.mjs on ts-mls 2.0.0-rc.10, the release candidate of ts-mls'
// next major version (installed as the devDependency `ts-mls-next`; Backchannel itself runs on 1.6.4).
// 2.0 changes the API (one parameter object per call, numeric enums) and derives the secret tree lazily,
// which is why it is measured here: it tells what upgrading would buy before the upgrade is made.
//
// Our node provider is built against 1.6.4's types; for suite 1 it implements every primitive itself, so
// it plugs into 2.0 unchanged but for the suite `id` that 2.0's CiphersuiteImpl carries. The rounds end with
// checks that the receiver followed the sender (same epoch, same epoch authenticator, an application
// message that decrypts), so a provider that broke under 2.0 fails the benchmark instead of timing it.
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCredentialTypes,
  defaultCryptoProvider,
  defaultProposalTypes,
  generateKeyPackage,
  getCiphersuiteImpl,
  joinGroup,
  processPrivateMessage,
  unsafeTestingAuthenticationService,
} from "ts-mls-next"
import { bytesEqual } from "../../packages/protocol/dist/index.js"
import { median } from "./format.mjs"

export const nextVersion = "2.0.0-rc.10"
const suiteId = 1
const encoder = new TextEncoder()
const now = () => performance.now()

/** ts-mls 2.0's default implementation of suite 1, and our node provider's (made for 1.6.4) with its id. */
export async function nextImpls(nodeProvider, suite) {
  return {
    default: await getCiphersuiteImpl(suite.name, defaultCryptoProvider),
    node: { ...(await nodeProvider.getCiphersuiteImpl(suite)), id: suiteId },
  }
}

const context = (impl) => ({ cipherSuite: impl, authService: unsafeTestingAuthenticationService })
const keyPackage = (name, impl) =>
  generateKeyPackage({
    credential: { credentialType: defaultCredentialTypes.basic, identity: encoder.encode(name) },
    cipherSuite: impl,
  })
const add = (kp) => ({ proposalType: defaultProposalTypes.add, add: { keyPackage: kp.publicPackage } })

/**
 * As scenario.mjs does on 1.6.4: a group of `size` made by a creator with `impl` (one member who joins first,
 * then size - 2 added in one commit); then `rounds` update commits (full path, no proposals) by the member
 * who joined first, each processed by the last member added, who joined from the Welcome and uses
 * `receiverImpl` (by default `impl`). Setup key packages come from `setupImpl`. Returns the median sender and
 * receiver times in ms.
 */
export async function nextUpdateCommits(impl, setupImpl, size, rounds, receiverImpl = impl) {
  const ctx = context(impl)
  const receiverCtx = context(receiverImpl)
  const alice = await keyPackage("alice", setupImpl)
  const bob = await keyPackage("bob", setupImpl)
  const joiners = []
  for (let i = 0; i < size - 2; i++) joiners.push(await keyPackage(`joiner-${i}`, setupImpl))
  const last = joiners[joiners.length - 1]

  let creator = await createGroup({
    context: ctx,
    groupId: impl.rng.randomBytes(32),
    keyPackage: alice.publicPackage,
    privateKeyPackage: alice.privatePackage,
  })
  const addBob = await createCommit({ context: ctx, state: creator, extraProposals: [add(bob)] })
  creator = addBob.newState
  const bobJoined = await joinGroup({
    context: ctx,
    welcome: addBob.welcome.welcome,
    keyPackage: bob.publicPackage,
    privateKeys: bob.privatePackage,
    ratchetTree: creator.ratchetTree,
  })
  const addAll = await createCommit({ context: ctx, state: creator, extraProposals: joiners.map(add) })
  creator = addAll.newState
  let sender = (
    await processPrivateMessage({
      context: ctx,
      state: bobJoined,
      privateMessage: addAll.commit.privateMessage,
    })
  ).newState
  let receiver = await joinGroup({
    context: receiverCtx,
    welcome: addAll.welcome.welcome,
    keyPackage: last.publicPackage,
    privateKeys: last.privatePackage,
    ratchetTree: creator.ratchetTree,
  })

  const sendMs = []
  const receiveMs = []
  for (let i = 0; i < rounds; i++) {
    let start = now()
    const commit = await createCommit({ context: ctx, state: sender })
    sendMs.push(now() - start)
    sender = commit.newState
    start = now()
    const processed = await processPrivateMessage({
      context: receiverCtx,
      state: receiver,
      privateMessage: commit.commit.privateMessage,
    })
    receiveMs.push(now() - start)
    receiver = processed.newState
  }

  if (
    receiver.groupContext.epoch !== sender.groupContext.epoch ||
    !bytesEqual(receiver.keySchedule.epochAuthenticator, sender.keySchedule.epochAuthenticator)
  )
    throw new Error(`ts-mls ${nextVersion}: the receiver did not reach the sender's epoch`)
  const text = encoder.encode("after the update commits")
  const sealed = await createApplicationMessage({ context: ctx, state: sender, message: text })
  const opened = await processPrivateMessage({
    context: receiverCtx,
    state: receiver,
    privateMessage: sealed.message.privateMessage,
  })
  if (opened.kind !== "applicationMessage" || !bytesEqual(opened.message, text))
    throw new Error(`ts-mls ${nextVersion}: an application message did not decrypt after the commits`)

  return { sendMs: median(sendMs), receiveMs: median(receiveMs) }
}
