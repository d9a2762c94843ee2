import type { GroupContext, PrivateKeyPath } from "ts-mls"
import { applyUpdatePathSecret } from "ts-mls/createCommit.js"
import { deriveSecret } from "ts-mls/crypto/kdf.js"
import { getCommitSecret, type PathSecrets } from "ts-mls/pathSecrets.js"
import { toPrivateKeyPath } from "ts-mls/privateKeyPath.js"
import { decodeRatchetTree, getHpkePublicKey } from "ts-mls/ratchetTree.js"
import { treeHashRoot } from "ts-mls/treeHash.js"
import { leafToNodeIndex, toLeafIndex } from "ts-mls/treemath.js"
import { applyUpdatePath, createUpdatePath, decodeUpdatePath } from "ts-mls/updatePath.js"
import { describe, expect, it } from "vitest"
import { hpkeKeysMatch } from "../testing/key-match.js"
import { casesOf, hex, implFor, loadVectors, ourProviders, suiteName, toHex } from "../testing/vectors.js"

interface TreeKem {
  cipher_suite: number
  group_id: string
  epoch: number
  confirmed_transcript_hash: string
  ratchet_tree: string
  leaves_private: {
    index: number
    encryption_priv: string
    signature_priv: string
    path_secrets: { node: number; path_secret: string }[]
  }[]
  update_paths: {
    sender: number
    update_path: string
    path_secrets: (string | null)[]
    commit_secret: string
    tree_hash_after: string
  }[]
}

const vectors = loadVectors<TreeKem>("treekem.json")
const heavySuites = new Set([1, 2])

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 treekem vectors, ${name} provider`, () => {
    it.each(casesOf(vectors).filter(([, v]) => heavySuites.has(v.cipher_suite)))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const tree = decodeRatchetTree(hex(v.ratchet_tree), 0)?.[0]
      if (tree === undefined) throw new Error("undecodable tree")
      const context: GroupContext = {
        version: "mls10",
        cipherSuite: suiteName(v.cipher_suite),
        groupId: hex(v.group_id),
        epoch: BigInt(v.epoch),
        treeHash: await treeHashRoot(tree, impl.hash),
        confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
        extensions: [],
      }

      // Every private state of the vector: its leaf key matches the tree, and every path secret derives
      // (DeriveSecret(path_secret, "node") then DeriveKeyPair) the public key found at that node.
      const privatePaths: PrivateKeyPath[] = []
      for (const leaf of v.leaves_private) {
        const leafNode = tree[leafToNodeIndex(toLeafIndex(leaf.index))]
        if (leafNode?.nodeType !== "leaf") throw new Error("no leaf at the vector's index")
        expect(await hpkeKeysMatch(leafNode.leaf.hpkePublicKey, hex(leaf.encryption_priv), impl)).toBe(true)
        const secrets: PathSecrets = {}
        for (const { node, path_secret } of leaf.path_secrets) {
          secrets[node] = hex(path_secret)
          const pair = await impl.hpke.deriveKeyPair(await deriveSecret(hex(path_secret), "node", impl.kdf))
          const treeNode = tree[node]
          if (treeNode === undefined) throw new Error("blank node with a path secret")
          expect(toHex(await impl.hpke.exportPublicKey(pair.publicKey))).toBe(
            toHex(getHpkePublicKey(treeNode)),
          )
        }
        const path = await toPrivateKeyPath(secrets, leaf.index, impl)
        privatePaths.push({
          ...path,
          privateKeys: {
            ...path.privateKeys,
            [leafToNodeIndex(toLeafIndex(leaf.index))]: hex(leaf.encryption_priv),
          },
        })
      }

      for (const up of v.update_paths) {
        const sender = toLeafIndex(up.sender)
        const updatePath = decodeUpdatePath(hex(up.update_path), 0)?.[0]
        if (updatePath === undefined) throw new Error("undecodable UpdatePath")
        const updated = await applyUpdatePath(tree, sender, updatePath, impl.hash)
        const treeHash = await treeHashRoot(updated, impl.hash)
        expect(toHex(treeHash)).toBe(up.tree_hash_after)
        const updatedContext = { ...context, treeHash }

        // Our provider also creates an UpdatePath that every other member decrypts to the same commit secret.
        const senderState = v.leaves_private.find((l) => l.index === up.sender)
        if (senderState === undefined) throw new Error("no private state for the sender")
        const [newTree, newPath, newSecrets] = await createUpdatePath(
          updated,
          sender,
          updatedContext,
          hex(senderState.signature_priv),
          impl,
        )
        const root = newSecrets[newSecrets.length - 1]
        if (root === undefined) throw new Error("empty path")
        const newCommitSecret = await deriveSecret(root.secret, "path", impl.kdf)
        const newContext = {
          ...context,
          treeHash: await treeHashRoot(newTree, impl.hash),
          epoch: context.epoch + 1n,
        }

        for (const privatePath of privatePaths) {
          if (privatePath.leafIndex === up.sender) {
            expect(up.path_secrets[privatePath.leafIndex]).toBeNull()
            continue
          }
          const got = await applyUpdatePathSecret(
            tree,
            privatePath,
            sender,
            updatedContext,
            updatePath,
            [],
            impl,
          )
          expect(toHex(got.pathSecret)).toBe(up.path_secrets[privatePath.leafIndex])
          expect(toHex(await getCommitSecret(tree, got.nodeIndex, got.pathSecret, impl.kdf))).toBe(
            up.commit_secret,
          )

          const mine = await applyUpdatePathSecret(tree, privatePath, sender, newContext, newPath, [], impl)
          expect(toHex(await getCommitSecret(tree, mine.nodeIndex, mine.pathSecret, impl.kdf))).toBe(
            toHex(newCommitSecret),
          )
        }
      }
    })
  })
}
