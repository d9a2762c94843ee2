import type { AuthenticationService, Credential } from "ts-mls"
import { fromUtf8, parseCredentialIdentity } from "@backchannel/protocol"
import type { Directory } from "./directory.js"

/**
 * Replaces ts-mls' default AuthenticationService (which accepts every credential): a leaf is accepted only
 * if its basic credential names `handle/deviceId` and the operator's directory lists exactly that
 * signature key for that active device of that handle. Network failures propagate (the message is retried
 * later); a mismatch returns false and is reported.
 */
export class DirectoryAuthenticationService implements AuthenticationService {
  constructor(
    private readonly directory: Directory,
    private readonly onRejected: (reason: string) => void = () => undefined,
  ) {}

  async validateCredential(credential: Credential, signaturePublicKey: Uint8Array): Promise<boolean> {
    if (credential.credentialType !== "basic") {
      this.onRejected("credential is not a basic credential")
      return false
    }
    let identity: { handle: string; deviceId: string } | undefined
    try {
      identity = parseCredentialIdentity(fromUtf8(credential.identity))
    } catch {
      identity = undefined
    }
    if (identity === undefined) {
      this.onRejected("credential identity is malformed")
      return false
    }
    const ok = await this.directory.verifyDeviceKey(identity.handle, identity.deviceId, signaturePublicKey)
    if (!ok) this.onRejected("credential does not match the directory")
    return ok
  }
}
