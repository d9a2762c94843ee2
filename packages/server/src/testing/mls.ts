import { credentialIdentity, fromB64, toB64 } from "@backchannel/protocol"
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  createProposal,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  processPrivateMessage,
} from "ts-mls"
import type { CiphersuiteImpl, ClientState, KeyPackage, PrivateKeyPackage, Proposal } from "ts-mls"

/**
 * Real MLS messages for server tests, built with ts-mls 1.6.4 over cipher suite 1. A TestMember is
 * one device's MLS view: its key packages (signed with the device's registered Ed25519 key and
 * naming `handle/deviceId`) and its group states.
 */

let suite: Promise<CiphersuiteImpl> | undefined

export function cipherSuite(): Promise<CiphersuiteImpl> {
  suite ??= getCiphersuiteImpl(getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"))
  return suite
}

export interface MlsIdentity {
  handle: string
  deviceId: string
  signatureSeed: Uint8Array
  signaturePublicKey: Uint8Array
}

export interface GeneratedKeyPackage {
  /** The encoded MLSMessage (wire format mls_key_package). */
  bytes: Uint8Array
  publicPackage: KeyPackage
  privatePackage: PrivateKeyPackage
}

export async function keyPackageFor(
  identity: MlsIdentity,
  overrides: { identityText?: string; signKey?: { signKey: Uint8Array; publicKey: Uint8Array } } = {},
): Promise<GeneratedKeyPackage> {
  const impl = await cipherSuite()
  const credential = {
    credentialType: "basic" as const,
    identity: new TextEncoder().encode(
      overrides.identityText ?? credentialIdentity(identity.handle, identity.deviceId),
    ),
  }
  const keys = overrides.signKey ?? {
    signKey: identity.signatureSeed,
    publicKey: identity.signaturePublicKey,
  }
  const kp = await generateKeyPackageWithKey(
    credential,
    defaultCapabilities(),
    defaultLifetime,
    [],
    keys,
    impl,
  )
  const bytes = encodeMlsMessage({
    keyPackage: kp.publicPackage,
    wireformat: "mls_key_package",
    version: "mls10",
  })
  return { bytes, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage }
}

export class TestMember {
  private readonly pending = new Map<string, GeneratedKeyPackage>()
  private readonly groups = new Map<string, ClientState>()

  constructor(readonly identity: MlsIdentity) {}

  /** A fresh key package to upload (kept so a Welcome to it can be joined). */
  async keyPackage(): Promise<string> {
    const kp = await keyPackageFor(this.identity)
    const b64 = toB64(kp.bytes)
    this.pending.set(b64, kp)
    return b64
  }

  async createGroup(groupId: string): Promise<void> {
    const impl = await cipherSuite()
    const kp = await keyPackageFor(this.identity)
    const state = await createGroup(fromB64(groupId), kp.publicPackage, kp.privatePackage, [], impl)
    this.groups.set(groupId, state)
  }

  epoch(groupId: string): bigint {
    return this.state(groupId).groupContext.epoch
  }

  /**
   * Commits adding these claimed key packages (base64url MLSMessages). Returns the commit and
   * Welcome as base64url; the new state is applied only when `apply()` is called (after the server
   * accepted the commit).
   */
  async commitAdd(
    groupId: string,
    keyPackages: string[],
  ): Promise<{ commit: string; welcome: string | undefined; apply: () => void }> {
    const impl = await cipherSuite()
    const proposals: Proposal[] = keyPackages.map((b64) => {
      const decoded = decodeMlsMessage(fromB64(b64), 0)?.[0]
      if (decoded?.wireformat !== "mls_key_package") throw new Error("not a key package")
      return { proposalType: "add", add: { keyPackage: decoded.keyPackage } }
    })
    const result = await createCommit(
      { state: this.state(groupId), cipherSuite: impl },
      { extraProposals: proposals, ratchetTreeExtension: true },
    )
    const welcome =
      result.welcome === undefined
        ? undefined
        : toB64(encodeMlsMessage({ welcome: result.welcome, wireformat: "mls_welcome", version: "mls10" }))
    return {
      commit: toB64(encodeMlsMessage(result.commit)),
      welcome,
      apply: () => {
        this.groups.set(groupId, result.newState)
      },
    }
  }

  /** An empty (update) commit, as a PublicMessage if asked. */
  async commitEmpty(groupId: string, publicMessage = false): Promise<{ commit: string; apply: () => void }> {
    const impl = await cipherSuite()
    const result = await createCommit(
      { state: this.state(groupId), cipherSuite: impl },
      { wireAsPublicMessage: publicMessage },
    )
    return {
      commit: toB64(encodeMlsMessage(result.commit)),
      apply: () => {
        this.groups.set(groupId, result.newState)
      },
    }
  }

  async join(groupId: string, welcomeB64: string): Promise<void> {
    const impl = await cipherSuite()
    const decoded = decodeMlsMessage(fromB64(welcomeB64), 0)?.[0]
    if (decoded?.wireformat !== "mls_welcome") throw new Error("not a welcome")
    for (const kp of this.pending.values()) {
      try {
        const state = await joinGroup(
          decoded.welcome,
          kp.publicPackage,
          kp.privatePackage,
          emptyPskIndex,
          impl,
        )
        this.groups.set(groupId, state)
        return
      } catch {
        // not for this key package; try the next
      }
    }
    throw new Error("no key package matches the Welcome")
  }

  /** Encrypts an application message (advances the sender's ratchet). */
  async message(groupId: string, text: string): Promise<string> {
    const impl = await cipherSuite()
    const result = await createApplicationMessage(this.state(groupId), new TextEncoder().encode(text), impl)
    this.groups.set(groupId, result.newState)
    return toB64(
      encodeMlsMessage({
        privateMessage: result.privateMessage,
        wireformat: "mls_private_message",
        version: "mls10",
      }),
    )
  }

  /** A proposal message (content type proposal), for testing that it is refused as an application message. */
  async proposal(groupId: string): Promise<string> {
    const impl = await cipherSuite()
    const kp = await keyPackageFor(this.identity)
    const result = await createProposal(
      this.state(groupId),
      false,
      { proposalType: "add", add: { keyPackage: kp.publicPackage } },
      impl,
    )
    return toB64(encodeMlsMessage(result.message))
  }

  /** Decrypts an application message received from the server. */
  async read(groupId: string, dataB64: string): Promise<string> {
    const impl = await cipherSuite()
    const decoded = decodeMlsMessage(fromB64(dataB64), 0)?.[0]
    if (decoded?.wireformat !== "mls_private_message") throw new Error("not a private message")
    const result = await processPrivateMessage(
      this.state(groupId),
      decoded.privateMessage,
      emptyPskIndex,
      impl,
    )
    this.groups.set(groupId, result.newState)
    if (result.kind !== "applicationMessage") throw new Error("not an application message")
    return new TextDecoder().decode(result.message)
  }

  private state(groupId: string): ClientState {
    const state = this.groups.get(groupId)
    if (state === undefined) throw new Error("no such group")
    return state
  }
}
