import { decodeAuthenticatedContent } from "ts-mls/authenticatedContent.js"
import { createConfirmedHash, createInterimHash } from "ts-mls/transcriptHash.js"
import { describe, expect, it } from "vitest"
import { casesOf, hex, implFor, loadVectors, ourProviders, toHex } from "../testing/vectors.js"

interface TranscriptHashes {
  cipher_suite: number
  confirmation_key: string
  authenticated_content: string
  interim_transcript_hash_before: string
  confirmed_transcript_hash_after: string
  interim_transcript_hash_after: string
}

const vectors = loadVectors<TranscriptHashes>("transcript-hashes.json")

for (const { name, provider } of ourProviders()) {
  describe(`RFC 9420 transcript-hashes vectors, ${name} provider`, () => {
    it.each(casesOf(vectors))("%s", async (_label, v) => {
      const impl = await implFor(provider, v.cipher_suite)
      const decoded = decodeAuthenticatedContent(hex(v.authenticated_content), 0)
      if (decoded === undefined) throw new Error("undecodable AuthenticatedContent")
      const [content] = decoded
      if (content.auth.contentType !== "commit" || content.content.contentType !== "commit") {
        throw new Error("expected a commit")
      }
      const tag = content.auth.confirmationTag

      // confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash) (RFC 9420 §8.1)
      const confirmed = hex(v.confirmed_transcript_hash_after)
      expect(await impl.hash.verifyMac(hex(v.confirmation_key), tag, confirmed)).toBe(true)
      expect(toHex(await impl.hash.mac(hex(v.confirmation_key), confirmed))).toBe(toHex(tag))
      const wrongTag = tag.slice()
      wrongTag[0] = (wrongTag[0] ?? 0) ^ 1
      expect(await impl.hash.verifyMac(hex(v.confirmation_key), wrongTag, confirmed)).toBe(false)

      const input = {
        wireformat: content.wireformat,
        content: content.content,
        signature: content.auth.signature,
      }
      const computed = await createConfirmedHash(hex(v.interim_transcript_hash_before), input, impl.hash)
      expect(toHex(computed)).toBe(v.confirmed_transcript_hash_after)
      expect(toHex(await createInterimHash(confirmed, tag, impl.hash))).toBe(v.interim_transcript_hash_after)
    })
  })
}
