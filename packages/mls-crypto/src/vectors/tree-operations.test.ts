import {
  addLeafNode,
  decodeRatchetTree,
  encodeRatchetTree,
  removeLeafNode,
  updateLeafNode,
} from "ts-mls/ratchetTree.js"
import { decodeProposal } from "ts-mls/proposal.js"
import { treeHashRoot } from "ts-mls/treeHash.js"
import { toLeafIndex } from "ts-mls/treemath.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface TreeOperations {
  cipher_suite: number
  tree_before: string
  proposal: string
  proposal_sender: number
  tree_hash_before: string
  tree_after: string
  tree_hash_after: string
}

const vectors = loadVectors<TreeOperations>("tree-operations.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 tree-operations vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const before = decodeRatchetTree(hex(v.tree_before), 0)?.[0]
      const proposal = decodeProposal(hex(v.proposal), 0)?.[0]
      if (before === undefined || proposal === undefined) throw new Error("undecodable vector")
      expect(toHex(await treeHashRoot(before, impl.hash))).toBe(v.tree_hash_before)
      let after
      if (proposal.proposalType === "add") after = addLeafNode(before, proposal.add.keyPackage.leafNode)[0]
      else if (proposal.proposalType === "update")
        after = updateLeafNode(before, proposal.update.leafNode, toLeafIndex(v.proposal_sender))
      else if (proposal.proposalType === "remove")
        after = removeLeafNode(before, toLeafIndex(proposal.remove.removed))
      else throw new Error(`unexpected proposal ${proposal.proposalType}`)
      expect(toHex(encodeRatchetTree(after))).toBe(v.tree_after)
      expect(toHex(await treeHashRoot(after, impl.hash))).toBe(v.tree_hash_after)
    })
  })
}
