import {
  bytesEqual,
  credentialIdentity,
  fromUtf8,
  MlsWireError,
  ProtocolError,
  readMlsFraming,
  toB64,
} from "@backchannel/protocol"
import type {
  ClaimKeyPackagesRequest,
  ClaimResponse,
  KeyPackageStatus,
  UploadKeyPackagesRequest,
} from "@backchannel/protocol"
import type { Caller, ServiceContext } from "./context.js"
import { decodeField } from "./input.js"

/** MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 and MLS_256_XWING_AES256GCM_SHA512_Ed25519. */
export const allowedCipherSuites: ReadonlySet<number> = new Set([1, 83])

/**
 * A key package is accepted only if its framing says KeyPackage, its cipher suite is allowed, its
 * credential is a basic credential naming this very device (`handle/deviceId`), and its leaf signature
 * key is the key this device enrolled with. (Its signature is checked by the clients that use it.)
 */
export function checkKeyPackage(bytes: Uint8Array, caller: Caller, field: string): void {
  const invalid = (): ProtocolError => new ProtocolError("KEY_PACKAGE_INVALID", undefined, { field })
  let framing
  try {
    framing = readMlsFraming(bytes)
  } catch (err) {
    if (err instanceof MlsWireError) throw invalid()
    throw err
  }
  if (framing.wireFormat !== "keyPackage") throw invalid()
  if (!allowedCipherSuites.has(framing.cipherSuite)) throw invalid()
  if (framing.credentialType !== 1 || framing.identity === undefined) throw invalid()
  let identity: string
  try {
    identity = fromUtf8(framing.identity)
  } catch {
    throw invalid()
  }
  if (identity !== credentialIdentity(caller.handle, caller.deviceId)) throw invalid()
  if (!bytesEqual(framing.signatureKey, caller.signaturePublicKey)) throw invalid()
}

export async function upload(
  ctx: ServiceContext,
  caller: Caller,
  body: UploadKeyPackagesRequest,
): Promise<KeyPackageStatus> {
  const keyPackages = body.keyPackages.map((kp, i) => {
    const field = `keyPackages.${i}`
    const bytes = decodeField(kp, field)
    checkKeyPackage(bytes, caller, field)
    return bytes
  })
  let lastResort: Uint8Array | undefined
  if (body.lastResort !== undefined) {
    lastResort = decodeField(body.lastResort, "lastResort")
    checkKeyPackage(lastResort, caller, "lastResort")
  }
  return ctx.store.addKeyPackages(
    caller.deviceId,
    keyPackages,
    lastResort,
    ctx.config.maxKeyPackagesPerDevice,
  )
}

export function status(ctx: ServiceContext, caller: Caller): Promise<KeyPackageStatus> {
  return ctx.store.keyPackageCount(caller.deviceId)
}

export async function claim(
  ctx: ServiceContext,
  caller: Caller,
  body: ClaimKeyPackagesRequest,
): Promise<ClaimResponse> {
  const claimed = await ctx.store.claimKeyPackages({
    handles: body.handles ?? [],
    deviceIds: body.deviceIds ?? [],
    exclude: caller.deviceId,
  })
  return {
    keyPackages: claimed.map((c) => ({
      handle: c.handle,
      deviceId: c.deviceId,
      keyPackage: toB64(c.keyPackage),
      lastResort: c.lastResort,
    })),
  }
}
