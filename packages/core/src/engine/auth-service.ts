import type { AuthenticationService, Credential } from "ts-mls"
import { fromUtf8, parseCredentialIdentity } from "@backchannel/protocol"
import { CoreError } from "../errors.js"
import type { Directory } from "./directory.js"

interface Claim {
  handle: string
  deviceId: string
  signaturePublicKey: Uint8Array
}

/**
 * Replaces ts-mls' default AuthenticationService (which accepts every credential): a leaf is accepted only
 * if its basic credential names `handle/deviceId` and the operator's directory lists exactly that
 * signature key for that active device of that handle.
 *
 * ts-mls asks about one leaf at a time; joining a 200-device group would cost 200 directory round trips.
 * So MLS operations run inside `deferDuring`: credentials are only recorded while ts-mls works, then all
 * of them are checked against the directory in one batched lookup before the caller gets the result. The
 * resulting group state is never stored or used unless that check passes, so nothing is accepted that an
 * immediate check would have refused. Malformed credentials are refused at once.
 */
export class DirectoryAuthenticationService implements AuthenticationService {
  private collected: Claim[] | undefined

  constructor(
    private readonly directory: Directory,
    private readonly onRejected: (reason: string) => void = () => undefined,
  ) {}

  async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
    const claim = this.parse(credential, signaturePublicKey)
    if (claim === undefined) return false
    if (this.collected !== undefined) {
      this.collected.push(claim)
      return true
    }
    return this.verify([claim])
  }

  /** Runs an MLS operation with credential checks batched at its end; throws if any check fails. */
  async deferDuring<T>(task: () => Promise<T>): Promise<T> {
    if (this.collected !== undefined) return task()
    this.collected = []
    let result: T
    let claims: Claim[]
    try {
      result = await task()
    } finally {
      claims = this.collected
      this.collected = undefined
    }
    if (!(await this.verify(claims))) {
      throw new CoreError("MLS_INVALID", "a member's credential does not match the directory")
    }
    return result
  }

  private parse(credential: Credential, signaturePublicKey: Uint8Array): Claim | undefined {
    if (credential.credentialType !== "basic") {
      this.onRejected("credential is not a basic credential")
      return undefined
    }
    let identity: { handle: string; deviceId: string } | undefined
    try {
      identity = parseCredentialIdentity(fromUtf8(credential.identity))
    } catch {
      identity = undefined
    }
    if (identity === undefined) {
      this.onRejected("credential identity is malformed")
      return undefined
    }
    return { ...identity, signaturePublicKey }
  }

  private async verify(claims: Claim[]): Promise<boolean> {
    if (claims.length === 0) return true
    const unique = new Map(claims.map((c) => [`${c.handle}/${c.deviceId}`, c]))
    const all = [...unique.values()]
    let failing = await this.failing(all, false)
    // What the cache cannot confirm is asked of the server once (a device may be newer than the cache).
    if (failing.length > 0) failing = await this.failing(failing, true)
    if (failing.length > 0) this.onRejected("credential does not match the directory")
    return failing.length === 0
  }

  private async failing(claims: Claim[], refresh: boolean): Promise<Claim[]> {
    if (refresh) await this.directory.refresh([...new Set(claims.map((c) => c.handle))])
    else await this.directory.entries([...new Set(claims.map((c) => c.handle))])
    const out: Claim[] = []
    for (const c of claims) {
      if (!(await this.directory.matchesCached(c.handle, c.deviceId, c.signaturePublicKey))) out.push(c)
    }
    return out
  }
}
