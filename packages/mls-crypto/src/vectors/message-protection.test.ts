import { decodeMlsMessage, defaultCapabilities, type GroupContext, type RatchetTree } from "ts-mls"
import { decodeCommit, encodeCommit } from "ts-mls/commit.js"
import { defaultKeyRetentionConfig } from "ts-mls/keyRetentionConfig.js"
import { protectApplicationData, protectProposal, unprotectPrivateMessage } from "ts-mls/messageProtection.js"
import { protectProposalPublic, unprotectPublicMessage } from "ts-mls/messageProtectionPublic.js"
import { defaultPaddingConfig } from "ts-mls/paddingConfig.js"
import { decodeProposal, encodeProposal } from "ts-mls/proposal.js"
import { createSecretTree } from "ts-mls/secretTree.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, suiteName, toHex } from "../testing/vectors.js"

interface MessageProtection {
  cipher_suite: number
  group_id: string
  epoch: number
  tree_hash: string
  confirmed_transcript_hash: string
  signature_priv: string
  signature_pub: string
  encryption_secret: string
  sender_data_secret: string
  membership_key: string
  proposal: string
  proposal_priv: string
  proposal_pub: string
  commit: string
  commit_priv: string
  commit_pub: string
  application: string
  application_priv: string
}

const vectors = loadVectors<MessageProtection>("message-protection.json")

/** The vectors' sender is leaf 1; sender-data validation needs a non-blank leaf there. */
const treeWithLeaf1: RatchetTree = [
  undefined,
  undefined,
  {
    nodeType: "leaf",
    leaf: {
      leafNodeSource: "commit",
      hpkePublicKey: new Uint8Array(),
      signaturePublicKey: new Uint8Array(),
      capabilities: defaultCapabilities(),
      parentHash: new Uint8Array(),
      extensions: [],
      signature: new Uint8Array(),
      credential: { credentialType: "basic", identity: new Uint8Array() },
    },
  },
]

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 message-protection vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const context: GroupContext = {
        version: "mls10",
        cipherSuite: suiteName(v.cipher_suite),
        groupId: hex(v.group_id),
        epoch: BigInt(v.epoch),
        treeHash: hex(v.tree_hash),
        confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
        extensions: [],
      }
      const signPub = hex(v.signature_pub)
      const freshSecretTree = () => createSecretTree(2, hex(v.encryption_secret), impl.kdf)
      const openPrivate = async (bytes: Uint8Array) => {
        const message = decodeMlsMessage(bytes, 0)?.[0]
        if (message?.wireformat !== "mls_private_message") throw new Error("expected a PrivateMessage")
        const out = await unprotectPrivateMessage(
          hex(v.sender_data_secret),
          message.privateMessage,
          await freshSecretTree(),
          treeWithLeaf1,
          context,
          defaultKeyRetentionConfig,
          impl,
          signPub,
        )
        return out.content.content
      }
      const openPublic = async (bytes: Uint8Array) => {
        const message = decodeMlsMessage(bytes, 0)?.[0]
        if (message?.wireformat !== "mls_public_message") throw new Error("expected a PublicMessage")
        const out = await unprotectPublicMessage(
          hex(v.membership_key),
          context,
          [],
          message.publicMessage,
          impl,
          signPub,
        )
        return out.content
      }

      // Unprotect what the reference implementations protected.
      const application = await openPrivate(hex(v.application_priv))
      expect(application.contentType === "application" && toHex(application.applicationData)).toBe(
        v.application,
      )
      const proposal = await openPrivate(hex(v.proposal_priv))
      expect(proposal.contentType === "proposal" && toHex(encodeProposal(proposal.proposal))).toBe(v.proposal)
      const commit = await openPrivate(hex(v.commit_priv))
      expect(commit.contentType === "commit" && toHex(encodeCommit(commit.commit))).toBe(v.commit)
      const publicProposal = await openPublic(hex(v.proposal_pub))
      expect(
        publicProposal.contentType === "proposal" && toHex(encodeProposal(publicProposal.proposal)),
      ).toBe(v.proposal)
      const publicCommit = await openPublic(hex(v.commit_pub))
      expect(publicCommit.contentType === "commit" && toHex(encodeCommit(publicCommit.commit))).toBe(v.commit)
      expect(decodeCommit(hex(v.commit), 0)).toBeDefined()

      // A flipped ciphertext byte must be rejected (AEAD tag), as with the default provider.
      const tampered = hex(v.application_priv)
      const last = tampered.length - 1
      tampered[last] = (tampered[last] ?? 0) ^ 1
      await expect(openPrivate(tampered)).rejects.toThrow()

      // Protect with our provider, then unprotect.
      const appProtected = await protectApplicationData(
        hex(v.signature_priv),
        hex(v.sender_data_secret),
        hex(v.application),
        new Uint8Array(),
        context,
        await freshSecretTree(),
        1,
        defaultPaddingConfig,
        impl,
      )
      const decodedProposal = decodeProposal(hex(v.proposal), 0)?.[0]
      if (decodedProposal === undefined) throw new Error("undecodable proposal")
      const proposalProtected = await protectProposal(
        hex(v.signature_priv),
        hex(v.sender_data_secret),
        decodedProposal,
        new Uint8Array(),
        context,
        await freshSecretTree(),
        1,
        defaultPaddingConfig,
        impl,
      )
      for (const { privateMessage } of [appProtected, proposalProtected]) {
        const out = await unprotectPrivateMessage(
          hex(v.sender_data_secret),
          privateMessage,
          await freshSecretTree(),
          treeWithLeaf1,
          context,
          defaultKeyRetentionConfig,
          impl,
          signPub,
        )
        const content = out.content.content
        if (content.contentType === "application") expect(toHex(content.applicationData)).toBe(v.application)
        else if (content.contentType === "proposal")
          expect(toHex(encodeProposal(content.proposal))).toBe(v.proposal)
        else throw new Error("unexpected content type")
      }
      const publicProtected = await protectProposalPublic(
        hex(v.signature_priv),
        hex(v.membership_key),
        context,
        new Uint8Array(),
        decodedProposal,
        1,
        impl,
      )
      const reopened = await unprotectPublicMessage(
        hex(v.membership_key),
        context,
        [],
        publicProtected.publicMessage,
        impl,
        signPub,
      )
      expect(
        reopened.content.contentType === "proposal" && toHex(encodeProposal(reopened.content.proposal)),
      ).toBe(v.proposal)
    })
  })
}
