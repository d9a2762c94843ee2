import { fromB64, toB64 } from "@backchannel/protocol"
import type { KeyPackage, PrivateKeyPackage } from "ts-mls"
import type { WriteOp } from "../ports/store.js"
import type { GeneratedKeyPackage } from "../mls/mls-engine.js"
import type { Engine } from "./context.js"
import { getJson, keys, putJson } from "./records.js"
import type { KeyPackageRecord } from "./records.js"

/** Generates a key package for this device and the record that keeps its private part. */
export async function generateKeyPackage(
  e: Engine,
  lastResort: boolean,
): Promise<{ generated: GeneratedKeyPackage; op: WriteOp }> {
  const generated = await e.mls.generateKeyPackage(e.identity.handle, e.identity.deviceId, e.signatureKeys)
  const record: KeyPackageRecord = {
    v: 1,
    ref: generated.ref,
    publicPackage: toB64(generated.encoded),
    initPrivateKey: toB64(generated.privatePackage.initPrivateKey),
    hpkePrivateKey: toB64(generated.privatePackage.hpkePrivateKey),
    lastResort,
    createdAt: e.clock.now(),
  }
  return { generated, op: putJson(keys.keyPackage(generated.ref), record) }
}

/**
 * Keeps `keyPackageTarget` one-time key packages and one last-resort key package on the server. Private
 * parts are stored before the public parts are uploaded, so a Welcome can never name a key package this
 * device has lost.
 */
export async function replenishKeyPackages(e: Engine): Promise<void> {
  const status = await e.delivery.keyPackageStatus()
  const wanted =
    status.available < e.settings.keyPackageTarget / 2 ? e.settings.keyPackageTarget - status.available : 0
  if (wanted === 0 && status.lastResort) return
  const ops: WriteOp[] = []
  const fresh: Uint8Array[] = []
  for (let i = 0; i < wanted; i++) {
    const { generated, op } = await generateKeyPackage(e, false)
    fresh.push(generated.encoded)
    ops.push(op)
  }
  let lastResort: Uint8Array | undefined
  if (!status.lastResort) {
    const { generated, op } = await generateKeyPackage(e, true)
    lastResort = generated.encoded
    ops.push(op)
  }
  await e.store.batch(ops)
  const chunks: Uint8Array[][] = []
  for (let i = 0; i < fresh.length; i += 200) chunks.push(fresh.slice(i, i + 200))
  if (chunks.length === 0) chunks.push([])
  for (const [i, chunk] of chunks.entries()) {
    await e.delivery.uploadKeyPackages(chunk, i === 0 ? lastResort : undefined)
  }
}

export interface OwnKeyPackage {
  record: KeyPackageRecord
  publicPackage: KeyPackage
  privatePackage: PrivateKeyPackage
}

export async function findOwnKeyPackage(e: Engine, ref: string): Promise<OwnKeyPackage | undefined> {
  const record = await getJson<KeyPackageRecord>(e.store, keys.keyPackage(ref))
  if (record === undefined) return undefined
  return {
    record,
    publicPackage: e.mls.decodeKeyPackage(fromB64(record.publicPackage)),
    privatePackage: {
      initPrivateKey: fromB64(record.initPrivateKey),
      hpkePrivateKey: fromB64(record.hpkePrivateKey),
      signaturePrivateKey: e.signatureKeys.signKey,
    },
  }
}
