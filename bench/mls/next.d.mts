import type { Ciphersuite, CiphersuiteImpl } from "ts-mls"
import type { MlsCryptoProvider } from "@backchannel/mls-crypto"

/** The ts-mls release candidate that bench:mls measures beside 1.6.4 (installed as `ts-mls-next`). */
export declare const nextVersion: string

/**
 * Suite implementations for ts-mls 2.0: its default provider's, and our node provider's with the suite id
 * 2.0 expects. Typed with 1.6.4's `CiphersuiteImpl`, which 2.0's extends by `id`.
 */
export declare function nextImpls(
  nodeProvider: MlsCryptoProvider,
  suite: Ciphersuite,
): Promise<{ default: CiphersuiteImpl; node: CiphersuiteImpl }>

/**
 * A group of `size` on ts-mls 2.0, then `rounds` update commits by the member who joined first, processed
 * by the last member added (using `receiverImpl`, by default `impl`), as scenario.mjs does on 1.6.4; throws
 * unless that member ends in the sender's epoch with the same epoch authenticator and decrypts an
 * application message. Median times in ms.
 */
export declare function nextUpdateCommits(
  impl: CiphersuiteImpl,
  setupImpl: CiphersuiteImpl,
  size: number,
  rounds: number,
  receiverImpl?: CiphersuiteImpl,
): Promise<{ sendMs: number; receiveMs: number }>
