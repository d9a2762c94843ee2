import {
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCapabilities,
  defaultCryptoProvider,
  defaultLifetime,
  emptyPskIndex,
  generateKeyPackage,
  getCiphersuiteFromName,
  joinGroup,
  makePskIndex,
  processPrivateMessage,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientState,
  type CreateCommitResult,
  type CryptoProvider,
  type KeyPackage,
  type PrivateKeyPackage,
} from "ts-mls"
import { describe, expect, it } from "vitest"
import { createNodeCryptoProvider } from "./node/index.js"
import { createWebCryptoProvider } from "./webcrypto/provider.js"

/**
 * A group of 10 whose members use three different providers (ours and ts-mls' default), going through
 * adds, an update, removes and a re-add, exchanging messages at every epoch. Any disagreement between
 * providers on a single byte of a derivation, signature, HPKE or AEAD result breaks the group: epoch
 * authenticators differ or messages fail to decrypt.
 */
interface Member {
  readonly name: string
  readonly impl: CiphersuiteImpl
  state: ClientState
}

const providers: [string, CryptoProvider][] = [
  ["node", createNodeCryptoProvider()],
  ["default", defaultCryptoProvider],
  ["webcrypto", createWebCryptoProvider()],
]

const encoder = new TextEncoder()

async function newKeyPackage(name: string, impl: CiphersuiteImpl) {
  const credential = { credentialType: "basic" as const, identity: encoder.encode(name) }
  return generateKeyPackage(credential, defaultCapabilities(), defaultLifetime, [], impl)
}

function privateMessageOf(result: CreateCommitResult) {
  if (result.commit.wireformat !== "mls_private_message") throw new Error("expected a PrivateMessage commit")
  return result.commit.privateMessage
}

async function applyCommit(committer: Member, result: CreateCommitResult, others: Member[]) {
  committer.state = result.newState
  for (const member of others) {
    const out = await processPrivateMessage(
      member.state,
      privateMessageOf(result),
      makePskIndex(member.state, {}),
      member.impl,
    )
    member.state = out.newState
  }
}

function expectSameEpoch(members: Member[]) {
  const [first, ...rest] = members
  if (first === undefined) throw new Error("empty group")
  for (const m of rest) {
    expect(m.state.groupContext.epoch).toBe(first.state.groupContext.epoch)
    expect(Buffer.from(m.state.keySchedule.epochAuthenticator).toString("hex")).toBe(
      Buffer.from(first.state.keySchedule.epochAuthenticator).toString("hex"),
    )
  }
}

async function everyoneMessagesEveryone(members: Member[], round: string) {
  for (const sender of members) {
    const text = encoder.encode(`${round}: from ${sender.name}`)
    const sent = await createApplicationMessage(sender.state, text, sender.impl)
    sender.state = sent.newState
    for (const receiver of members) {
      if (receiver === sender) continue
      const out = await processPrivateMessage(
        receiver.state,
        sent.privateMessage,
        makePskIndex(receiver.state, {}),
        receiver.impl,
      )
      if (out.kind !== "applicationMessage") throw new Error("expected an application message")
      expect(new TextDecoder().decode(out.message)).toBe(`${round}: from ${sender.name}`)
      receiver.state = out.newState
    }
  }
}

const suites: CiphersuiteName[] = [
  "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
]

for (const suiteName of suites) {
  describe(`a group of 10 mixing our providers with ts-mls' default provider, ${suiteName}`, () => {
    it("agrees on every epoch through adds, an update, removes and a re-add, and every message decrypts", async () => {
      const cs = getCiphersuiteFromName(suiteName)
      const impls = await Promise.all(
        providers.map(async ([name, p]) => [name, await p.getCiphersuiteImpl(cs)] as const),
      )
      const implOf = (i: number) => {
        const entry = impls[i % impls.length]
        if (entry === undefined) throw new Error("no provider")
        return entry
      }

      const packages: {
        name: string
        impl: CiphersuiteImpl
        publicPackage: KeyPackage
        privatePackage: PrivateKeyPackage
      }[] = []
      for (let i = 0; i < 10; i++) {
        const [providerName, impl] = implOf(i)
        const name = `member-${i}-${providerName}`
        packages.push({ name, impl, ...(await newKeyPackage(name, impl)) })
      }
      const [creatorPackage, ...joinerPackages] = packages
      if (creatorPackage === undefined) throw new Error("no creator")
      const creator: Member = {
        name: creatorPackage.name,
        impl: creatorPackage.impl,
        state: await createGroup(
          creatorPackage.impl.rng.randomBytes(32),
          creatorPackage.publicPackage,
          creatorPackage.privatePackage,
          [],
          creatorPackage.impl,
        ),
      }

      // Epoch 1: the creator (node provider) adds nine members who use all three providers.
      const added = await createCommit(
        { state: creator.state, cipherSuite: creator.impl },
        {
          extraProposals: joinerPackages.map((p) => ({
            proposalType: "add" as const,
            add: { keyPackage: p.publicPackage },
          })),
        },
      )
      creator.state = added.newState
      if (added.welcome === undefined) throw new Error("no Welcome")
      const members: Member[] = [creator]
      for (const p of joinerPackages) {
        const state = await joinGroup(
          added.welcome,
          p.publicPackage,
          p.privatePackage,
          emptyPskIndex,
          p.impl,
          creator.state.ratchetTree,
        )
        members.push({ name: p.name, impl: p.impl, state })
      }
      expect(members).toHaveLength(10)
      expectSameEpoch(members)
      await everyoneMessagesEveryone(members, "after adds")

      // Epoch 2: a default-provider member commits a full-path update; a webcrypto one next.
      for (const index of [1, 2]) {
        const committer = members[index]
        if (committer === undefined) throw new Error("missing member")
        const update = await createCommit({ state: committer.state, cipherSuite: committer.impl }, {})
        await applyCommit(
          committer,
          update,
          members.filter((m) => m !== committer),
        )
        expectSameEpoch(members)
      }

      // Epoch 4: a webcrypto member removes a node-provider member and a default-provider member.
      const remover = members[5]
      const removedA = members[6]
      const removedB = members[7]
      if (remover === undefined || removedA === undefined || removedB === undefined)
        throw new Error("missing member")
      const removal = await createCommit(
        { state: remover.state, cipherSuite: remover.impl },
        {
          extraProposals: [removedA, removedB].map((m) => ({
            proposalType: "remove" as const,
            remove: { removed: m.state.privatePath.leafIndex },
          })),
        },
      )
      const stayed = members.filter((m) => m !== removedA && m !== removedB)
      await applyCommit(
        remover,
        removal,
        stayed.filter((m) => m !== remover),
      )
      expectSameEpoch(stayed)
      expect(stayed).toHaveLength(8)

      // The removed members cannot read what is sent in the new epoch.
      const afterRemoval = await createApplicationMessage(
        creator.state,
        encoder.encode("secret"),
        creator.impl,
      )
      creator.state = afterRemoval.newState
      for (const gone of [removedA, removedB]) {
        await expect(
          processPrivateMessage(
            gone.state,
            afterRemoval.privateMessage,
            makePskIndex(gone.state, {}),
            gone.impl,
          ),
        ).rejects.toThrow()
      }
      for (const m of stayed.filter((s) => s !== creator)) {
        const out = await processPrivateMessage(
          m.state,
          afterRemoval.privateMessage,
          makePskIndex(m.state, {}),
          m.impl,
        )
        m.state = out.newState
      }

      // Epoch 5: a default-provider member re-adds someone who uses the node provider.
      const [, newcomerImpl] = implOf(0)
      const newcomerPackage = await newKeyPackage("newcomer-node", newcomerImpl)
      const adder = stayed[1]
      if (adder === undefined) throw new Error("missing member")
      const readd = await createCommit(
        { state: adder.state, cipherSuite: adder.impl },
        { extraProposals: [{ proposalType: "add", add: { keyPackage: newcomerPackage.publicPackage } }] },
      )
      await applyCommit(
        adder,
        readd,
        stayed.filter((m) => m !== adder),
      )
      if (readd.welcome === undefined) throw new Error("no Welcome")
      const newcomer: Member = {
        name: "newcomer-node",
        impl: newcomerImpl,
        state: await joinGroup(
          readd.welcome,
          newcomerPackage.publicPackage,
          newcomerPackage.privatePackage,
          emptyPskIndex,
          newcomerImpl,
          adder.state.ratchetTree,
        ),
      }
      const finalMembers = [...stayed, newcomer]
      expectSameEpoch(finalMembers)
      expect(finalMembers).toHaveLength(9)
      await everyoneMessagesEveryone(finalMembers, "after re-add")
    }, 120_000)
  })
}
