import { hash } from "node:crypto"

/**
 * A fresh node:crypto output as a plain `Uint8Array` that owns its memory. ts-mls wipes consumed
 * secrets in place and some code reads `.buffer`; a `Buffer` may be a view into a shared pool, and its
 * `slice()` aliases instead of copying. node:crypto's digests, MACs, signatures and cipher output come
 * back in an `ArrayBuffer` of their own (offset 0, exact length): those are re-wrapped without a copy.
 * Anything else (a pool slice, a view into a larger buffer) is copied. Only for outputs that nothing
 * else refers to.
 */
export function ownedBytes(fresh: Uint8Array): Uint8Array {
  const buffer = fresh.buffer
  if (fresh.byteOffset === 0 && buffer.byteLength === fresh.byteLength && buffer instanceof ArrayBuffer)
    return new Uint8Array(buffer)
  return new Uint8Array(fresh)
}

/** An `ArrayBuffer` holding a copy of exactly these bytes (what @hpke/* plug-ins return). */
export function ownedArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer
}

/** Accepts every form @hpke/* passes bytes in. */
export function asBytes(input: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  return new Uint8Array(input)
}

/**
 * Cache index for key bytes: SHA-256 of the bytes (collisions are out of reach, and the index reveals
 * nothing about a private key). The bytes themselves never become a map key.
 */
export function fingerprint(bytes: Uint8Array): string {
  return hash("sha256", bytes, "base64")
}
