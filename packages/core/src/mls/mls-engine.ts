import {
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeGroupState,
  decodeMlsMessage,
  defaultCapabilities,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetime,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  joinGroupWithExtensions,
  makePskIndex,
  processPrivateMessage,
  processPublicMessage,
  zeroOutUint8Array,
} from "ts-mls"
import type {
  AuthenticationService,
  CiphersuiteImpl,
  ClientConfig,
  ClientState,
  IncomingMessageCallback,
  KeyPackage,
  PrivateKeyPackage,
  PrivateMessage,
  Proposal,
} from "ts-mls"
import { makeKeyPackageRef } from "ts-mls/keyPackage.js"
import { unprotectPrivateMessage } from "ts-mls/messageProtection.js"
import { credentialIdentity, fromUtf8, parseCredentialIdentity, toHex, utf8 } from "@backchannel/protocol"
import { CoreError } from "../errors.js"

/** A member device as the MLS tree sees it (authenticated by the AuthenticationService on entry). */
export interface MlsMember {
  leafIndex: number
  handle: string
  deviceId: string
  signaturePublicKey: Uint8Array
}

export interface GeneratedKeyPackage {
  /** The MLSMessage(KeyPackage) to upload. */
  encoded: Uint8Array
  /** KeyPackageRef, hex: how a Welcome names the key package it is for. */
  ref: string
  publicPackage: KeyPackage
  privatePackage: PrivateKeyPackage
}

export type ProcessedMessage =
  | { kind: "application"; plaintext: Uint8Array; sender: MlsMember; newState: ClientState; epoch: bigint }
  | {
      kind: "commit"
      newState: ClientState
      committer: MlsMember | undefined
      added: MlsMember[]
      removed: MlsMember[]
      removedSelf: boolean
      epoch: bigint
    }

/** Custom GroupInfo extension carrying conversation metadata to new members (private-use range). */
export const groupMetaExtensionType = 0xf0b1

/** An AuthenticationService that can batch its checks over one MLS operation (see auth-service.ts). */
export interface DeferringAuthenticationService extends AuthenticationService {
  deferDuring<T>(task: () => Promise<T>): Promise<T>
}

export interface SignatureKeyPair {
  signKey: Uint8Array
  publicKey: Uint8Array
}

/**
 * Backchannel's adapter over ts-mls. Everything MLS goes through here, so the library can be replaced
 * and its quirks stay in one place. Group states are immutable values: every operation returns a new
 * state and the caller decides when to persist it (after the server accepted a commit, for example).
 */
export class MlsEngine {
  readonly config: ClientConfig

  constructor(
    readonly suite: CiphersuiteImpl,
    private readonly auth: DeferringAuthenticationService,
  ) {
    this.config = {
      keyRetentionConfig: defaultKeyRetentionConfig,
      lifetimeConfig: defaultLifetimeConfig,
      keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
      paddingConfig: defaultPaddingConfig,
      authService: auth,
    }
  }

  async generateKeyPackage(
    handle: string,
    deviceId: string,
    keys: SignatureKeyPair,
  ): Promise<GeneratedKeyPackage> {
    const credential = {
      credentialType: "basic" as const,
      identity: utf8(credentialIdentity(handle, deviceId)),
    }
    const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
      credential,
      defaultCapabilities(),
      defaultLifetime,
      [],
      keys,
      this.suite,
    )
    const encoded = encodeMlsMessage({
      keyPackage: publicPackage,
      wireformat: "mls_key_package",
      version: "mls10",
    })
    const ref = toHex(await makeKeyPackageRef(publicPackage, this.suite.hash))
    return { encoded, ref, publicPackage, privatePackage }
  }

  decodeKeyPackage(encoded: Uint8Array): KeyPackage {
    const decoded = decodeMlsMessage(encoded, 0)?.[0]
    if (decoded?.wireformat !== "mls_key_package") throw new CoreError("MLS_INVALID", "not a key package")
    return decoded.keyPackage
  }

  createGroup(groupId: Uint8Array, own: GeneratedKeyPackage): Promise<ClientState> {
    return this.auth.deferDuring(() =>
      createGroup(groupId, own.publicPackage, own.privatePackage, [], this.suite, this.config),
    )
  }

  /** A commit that adds these key packages; the Welcome carries the tree and the metadata extension. */
  commitAdd(
    state: ClientState,
    keyPackages: KeyPackage[],
    meta: Uint8Array,
  ): Promise<{ commit: Uint8Array; welcome: Uint8Array; newState: ClientState }> {
    return this.auth.deferDuring(() => this.buildAdd(state, keyPackages, meta))
  }

  private async buildAdd(
    state: ClientState,
    keyPackages: KeyPackage[],
    meta: Uint8Array,
  ): Promise<{ commit: Uint8Array; welcome: Uint8Array; newState: ClientState }> {
    const proposals: Proposal[] = keyPackages.map((keyPackage) => ({
      proposalType: "add",
      add: { keyPackage },
    }))
    const result = await createCommit(
      { state, cipherSuite: this.suite },
      {
        extraProposals: proposals,
        ratchetTreeExtension: true,
        groupInfoExtensions: [{ extensionType: groupMetaExtensionType, extensionData: meta }],
      },
    )
    result.consumed.forEach(zeroOutUint8Array)
    if (result.welcome === undefined) throw new CoreError("MLS_INVALID", "an add commit produced no Welcome")
    return {
      commit: encodeMlsMessage(result.commit),
      welcome: encodeMlsMessage({ welcome: result.welcome, wireformat: "mls_welcome", version: "mls10" }),
      newState: result.newState,
    }
  }

  async commitRemove(
    state: ClientState,
    leafIndexes: number[],
  ): Promise<{ commit: Uint8Array; newState: ClientState }> {
    const proposals: Proposal[] = leafIndexes.map((removed) => ({
      proposalType: "remove",
      remove: { removed },
    }))
    const result = await createCommit({ state, cipherSuite: this.suite }, { extraProposals: proposals })
    result.consumed.forEach(zeroOutUint8Array)
    return { commit: encodeMlsMessage(result.commit), newState: result.newState }
  }

  /** An empty commit with a path: rotates this member's keys (post-compromise security). */
  async commitUpdate(state: ClientState): Promise<{ commit: Uint8Array; newState: ClientState }> {
    const result = await createCommit({ state, cipherSuite: this.suite }, {})
    result.consumed.forEach(zeroOutUint8Array)
    return { commit: encodeMlsMessage(result.commit), newState: result.newState }
  }

  async encrypt(
    state: ClientState,
    plaintext: Uint8Array,
  ): Promise<{ message: Uint8Array; newState: ClientState }> {
    const result = await createApplicationMessage(state, plaintext, this.suite)
    result.consumed.forEach(zeroOutUint8Array)
    const message = encodeMlsMessage({
      privateMessage: result.privateMessage,
      wireformat: "mls_private_message",
      version: "mls10",
    })
    return { message, newState: result.newState }
  }

  /** Processes an application message or a commit received for this group. */
  process(state: ClientState, bytes: Uint8Array): Promise<ProcessedMessage> {
    return this.auth.deferDuring(() => this.processNow(state, bytes))
  }

  private async processNow(state: ClientState, bytes: Uint8Array): Promise<ProcessedMessage> {
    const decoded = decodeMlsMessage(bytes, 0)?.[0]
    if (decoded === undefined) throw new CoreError("MLS_INVALID", "undecodable MLS message")
    const before = this.members(state)
    let committerLeaf: number | undefined
    const callback: IncomingMessageCallback = (incoming) => {
      if (incoming.kind === "commit") {
        committerLeaf = incoming.senderLeafIndex
        return "accept"
      }
      // Standalone proposals are not part of Backchannel's protocol: every change is a full commit.
      return "reject"
    }
    if (decoded.wireformat === "mls_private_message") {
      const pm = decoded.privateMessage
      if (pm.contentType === "application") return this.decryptApplication(state, pm)
      if (pm.contentType !== "commit")
        throw new CoreError("MLS_INVALID", "standalone proposals are not accepted")
      const result = await processPrivateMessage(state, pm, makePskIndex(state, {}), this.suite, callback)
      result.consumed.forEach(zeroOutUint8Array)
      if (result.kind !== "newState") throw new CoreError("MLS_INVALID", "expected a commit")
      return this.commitOutcome(before, result.newState, committerLeaf)
    }
    if (decoded.wireformat === "mls_public_message") {
      const result = await processPublicMessage(
        state,
        decoded.publicMessage,
        makePskIndex(state, {}),
        this.suite,
        callback,
      )
      result.consumed.forEach(zeroOutUint8Array)
      return this.commitOutcome(before, result.newState, committerLeaf)
    }
    throw new CoreError("MLS_INVALID", "not a group message")
  }

  private commitOutcome(
    before: MlsMember[],
    newState: ClientState,
    committerLeaf: number | undefined,
  ): ProcessedMessage {
    const removedSelf = newState.groupActiveState.kind === "removedFromGroup"
    const after = removedSelf ? [] : this.members(newState)
    const key = (m: MlsMember) => `${m.leafIndex}/${m.deviceId}`
    const beforeKeys = new Set(before.map(key))
    const afterKeys = new Set(after.map(key))
    return {
      kind: "commit",
      newState,
      committer: before.find((m) => m.leafIndex === committerLeaf),
      added: after.filter((m) => !beforeKeys.has(key(m))),
      removed: removedSelf ? before : before.filter((m) => !afterKeys.has(key(m))),
      removedSelf,
      epoch: newState.groupContext.epoch,
    }
  }

  /**
   * ts-mls 1.6 does not report who sent an application message, so this reads the (authenticated)
   * sender leaf from the unprotected content, mirroring processPrivateMessage's epoch handling: the
   * current epoch's secrets, or the retained secrets of a recent past epoch.
   */
  private async decryptApplication(state: ClientState, pm: PrivateMessage): Promise<ProcessedMessage> {
    const current = state.groupContext.epoch
    if (pm.epoch > current) throw new CoreError("MLS_INVALID", "message from a future epoch")
    const past = pm.epoch < current ? state.historicalReceiverData.get(pm.epoch) : undefined
    if (pm.epoch < current && past === undefined)
      throw new CoreError("MLS_INVALID", "message from an expired epoch")
    const senderDataSecret = past?.senderDataSecret ?? state.keySchedule.senderDataSecret
    const secretTree = past?.secretTree ?? state.secretTree
    const ratchetTree = past?.ratchetTree ?? state.ratchetTree
    const groupContext = past?.groupContext ?? state.groupContext
    const result = await unprotectPrivateMessage(
      senderDataSecret,
      pm,
      secretTree,
      ratchetTree,
      groupContext,
      state.clientConfig.keyRetentionConfig,
      this.suite,
    )
    result.consumed.forEach(zeroOutUint8Array)
    const content = result.content.content
    if (content.contentType !== "application") throw new CoreError("MLS_INVALID", "expected application data")
    if (content.sender.senderType !== "member")
      throw new CoreError("MLS_INVALID", "application data from a non-member")
    const sender = memberAt(ratchetTree, content.sender.leafIndex)
    if (sender === undefined) throw new CoreError("MLS_INVALID", "sender leaf is empty")
    let newState: ClientState
    if (past === undefined) {
      newState = { ...state, secretTree: result.tree }
    } else {
      const historical = new Map(state.historicalReceiverData)
      historical.set(pm.epoch, { ...past, secretTree: result.tree })
      newState = { ...state, historicalReceiverData: historical }
    }
    return { kind: "application", plaintext: content.applicationData, sender, newState, epoch: pm.epoch }
  }

  /** Decodes a Welcome and returns the KeyPackageRefs (hex) it carries secrets for. */
  welcomeRefs(bytes: Uint8Array): string[] {
    const decoded = decodeMlsMessage(bytes, 0)?.[0]
    if (decoded?.wireformat !== "mls_welcome") throw new CoreError("MLS_INVALID", "not a Welcome")
    return decoded.welcome.secrets.map((s) => toHex(s.newMember))
  }

  join(
    bytes: Uint8Array,
    keyPackage: { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage },
  ): Promise<{ state: ClientState; meta: Uint8Array | undefined }> {
    return this.auth.deferDuring(() => this.joinNow(bytes, keyPackage))
  }

  private async joinNow(
    bytes: Uint8Array,
    keyPackage: { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage },
  ): Promise<{ state: ClientState; meta: Uint8Array | undefined }> {
    const decoded = decodeMlsMessage(bytes, 0)?.[0]
    if (decoded?.wireformat !== "mls_welcome") throw new CoreError("MLS_INVALID", "not a Welcome")
    const [state, extensions] = await joinGroupWithExtensions(
      decoded.welcome,
      keyPackage.publicPackage,
      keyPackage.privatePackage,
      emptyPskIndex,
      this.suite,
      undefined,
      undefined,
      this.config,
    )
    const meta = extensions.find((e) => e.extensionType === groupMetaExtensionType)?.extensionData
    return { state, meta }
  }

  members(state: ClientState): MlsMember[] {
    const out: MlsMember[] = []
    for (let leaf = 0; leaf * 2 < state.ratchetTree.length; leaf++) {
      const member = memberAt(state.ratchetTree, leaf)
      if (member) out.push(member)
    }
    return out
  }

  ownLeafIndex(state: ClientState): number {
    return state.privatePath.leafIndex
  }

  epoch(state: ClientState): bigint {
    return state.groupContext.epoch
  }

  groupId(state: ClientState): Uint8Array {
    return state.groupContext.groupId
  }

  encodeState(state: ClientState): Uint8Array {
    return encodeGroupState(state)
  }

  decodeState(bytes: Uint8Array): ClientState {
    const decoded = decodeGroupState(bytes, 0)
    if (decoded === undefined) throw new CoreError("STORE_CORRUPT", "group state does not decode")
    return { ...decoded[0], clientConfig: this.config }
  }
}

function memberAt(tree: ClientState["ratchetTree"], leafIndex: number): MlsMember | undefined {
  const node = tree[leafIndex * 2]
  if (node?.nodeType !== "leaf") return undefined
  const credential = node.leaf.credential
  if (credential.credentialType !== "basic") return undefined
  let parsed: { handle: string; deviceId: string } | undefined
  try {
    parsed = parseCredentialIdentity(fromUtf8(credential.identity))
  } catch {
    parsed = undefined
  }
  if (parsed === undefined) return undefined
  return { leafIndex, ...parsed, signaturePublicKey: node.leaf.signaturePublicKey }
}
