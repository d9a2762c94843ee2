import { verifyLeafNodeSignature } from "ts-mls/leafNode.js"
import { verifyParentHashes } from "ts-mls/parentHash.js"
import { decodeRatchetTree } from "ts-mls/ratchetTree.js"
import { treeHash } from "ts-mls/treeHash.js"
import { nodeToLeafIndex, toNodeIndex } from "ts-mls/treemath.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface TreeValidation {
  cipher_suite: number
  tree: string
  group_id: string
  tree_hashes: string[]
}

const vectors = loadVectors<TreeValidation>("tree-validation.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 tree-validation vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const tree = decodeRatchetTree(hex(v.tree), 0)?.[0]
      if (tree === undefined) throw new Error("undecodable tree")
      for (const [i, expected] of v.tree_hashes.entries()) {
        expect(toHex(await treeHash(tree, toNodeIndex(i), impl.hash))).toBe(expected)
      }
      expect(await verifyParentHashes(tree, impl.hash)).toBe(true)
      let leaves = 0
      for (const [i, node] of tree.entries()) {
        if (node?.nodeType !== "leaf") continue
        leaves++
        const index = nodeToLeafIndex(toNodeIndex(i))
        expect(await verifyLeafNodeSignature(node.leaf, hex(v.group_id), index, impl.signature)).toBe(true)
        // The same leaf claimed at another position must not verify (the TBS binds the leaf index).
        expect(await verifyLeafNodeSignature(node.leaf, hex(v.group_id), index + 1, impl.signature)).toBe(
          node.leaf.leafNodeSource === "key_package",
        )
      }
      expect(leaves).toBeGreaterThan(0)
    })
  })
}
