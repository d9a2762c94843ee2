import { createHmac } from "node:crypto"
import { HkdfSha256Native, HkdfSha512Native } from "@hpke/common"
import type { Kdf } from "ts-mls"
import { asBytes, ownedArrayBuffer, ownedBytes } from "./bytes.js"
import type { NodeHashName } from "./hash.js"

const hashLength: Record<NodeHashName, number> = { sha256: 32, sha512: 64 }

/** RFC 5869 §2.2 HKDF-Extract: PRK = HMAC-Hash(salt, IKM). An empty salt acts as HashLen zero bytes,
 * which is what HMAC does with an empty key (it pads keys with zeros to the block size). */
export function hkdfExtract(name: NodeHashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return ownedBytes(createHmac(name, salt).update(ikm).digest())
}

/**
 * RFC 5869 §2.3 HKDF-Expand: T(0) = empty, T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L
 * octets of T(1) | T(2) | ...; L <= 255 * HashLen. (node:crypto's hkdfSync always extracts first, and
 * MLS needs Expand on its own: RFC 9420 §8 ExpandWithLabel.)
 */
export function hkdfExpand(
  name: NodeHashName,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const size = hashLength[name]
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * size) {
    throw new RangeError("HKDF-Expand: invalid output length")
  }
  const counter = new Uint8Array(1)
  if (length <= size) {
    // N = 1, the case of nearly every MLS derivation: OKM = first L octets of HMAC(PRK, info | 0x01).
    counter[0] = 1
    const t = createHmac(name, prk).update(info).update(counter).digest()
    // The full block (every ExpandWithLabel of a secret) is handed over as it is; shorter outputs (keys,
    // nonces) are copied and the block wiped.
    if (length === size) return ownedBytes(t)
    const okm = new Uint8Array(t.subarray(0, length))
    t.fill(0)
    return okm
  }
  const okm = new Uint8Array(length)
  let previous = new Uint8Array(0)
  for (let i = 1, filled = 0; filled < length; i++) {
    counter[0] = i
    const next = createHmac(name, prk).update(previous).update(info).update(counter).digest()
    previous.fill(0)
    previous = next
    okm.set(previous.subarray(0, Math.min(size, length - filled)), filled)
    filled += size
  }
  previous.fill(0)
  return okm
}

/** ts-mls' `Kdf` port (RFC 9420 §5.1 KDF.Extract/KDF.Expand). */
export function makeNodeKdf(name: NodeHashName): Kdf {
  return {
    async extract(salt, ikm) {
      return hkdfExtract(name, salt, ikm)
    },
    async expand(prk, info, length) {
      return hkdfExpand(name, prk, info, length)
    },
    size: hashLength[name],
  }
}

/**
 * @hpke/core KDF plug-ins: RFC 9180 §4 LabeledExtract/LabeledExpand (the "HPKE-v1" || suite_id ||
 * label framing) stay in @hpke/common's HkdfNative; only the HMAC-based Extract and Expand underneath
 * run on node:crypto instead of asynchronous WebCrypto.
 */
export class NodeHkdfSha256 extends HkdfSha256Native {
  override async extract(salt: ArrayBufferLike | ArrayBufferView, ikm: ArrayBufferLike | ArrayBufferView) {
    return ownedArrayBuffer(hkdfExtract("sha256", asBytes(salt), asBytes(ikm)))
  }
  override async expand(
    prk: ArrayBufferLike | ArrayBufferView,
    info: ArrayBufferLike | ArrayBufferView,
    len: number,
  ) {
    return ownedArrayBuffer(hkdfExpand("sha256", asBytes(prk), asBytes(info), len))
  }
  override async extractAndExpand(
    salt: ArrayBufferLike | ArrayBufferView,
    ikm: ArrayBufferLike | ArrayBufferView,
    info: ArrayBufferLike | ArrayBufferView,
    len: number,
  ) {
    const prk = hkdfExtract("sha256", asBytes(salt), asBytes(ikm))
    return ownedArrayBuffer(hkdfExpand("sha256", prk, asBytes(info), len))
  }
}

export class NodeHkdfSha512 extends HkdfSha512Native {
  override async extract(salt: ArrayBufferLike | ArrayBufferView, ikm: ArrayBufferLike | ArrayBufferView) {
    return ownedArrayBuffer(hkdfExtract("sha512", asBytes(salt), asBytes(ikm)))
  }
  override async expand(
    prk: ArrayBufferLike | ArrayBufferView,
    info: ArrayBufferLike | ArrayBufferView,
    len: number,
  ) {
    return ownedArrayBuffer(hkdfExpand("sha512", asBytes(prk), asBytes(info), len))
  }
  override async extractAndExpand(
    salt: ArrayBufferLike | ArrayBufferView,
    ikm: ArrayBufferLike | ArrayBufferView,
    info: ArrayBufferLike | ArrayBufferView,
    len: number,
  ) {
    const prk = hkdfExtract("sha512", asBytes(salt), asBytes(ikm))
    return ownedArrayBuffer(hkdfExpand("sha512", prk, asBytes(info), len))
  }
}
