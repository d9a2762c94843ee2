import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from "node:crypto"

/**
 * Raw 32-byte Ed25519/X25519 keys in and out of node:crypto `KeyObject`s through JWK (RFC 8037 §2:
 * `kty: "OKP"`, `d` private, `x` public, base64url). node:crypto imports a JWK straight from the raw
 * bytes, about ten times faster than parsing the equivalent PKCS#8/SPKI DER with OpenSSL 3's decoders
 * (≈30 µs against ≈340 µs for a private key on this machine), which matters for TreeKEM's per-node
 * key derivation.
 */
export type OkpCurve = "Ed25519" | "X25519"

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url")
}

function fromB64url(text: unknown): Uint8Array {
  if (typeof text !== "string") throw new TypeError("JWK member is missing")
  return new Uint8Array(Buffer.from(text, "base64url"))
}

export function okpPrivateKey(crv: OkpCurve, d: Uint8Array): KeyObject {
  if (d.length !== 32) throw new RangeError(`${crv} private keys are 32 bytes`)
  // Node derives the public key from `d` itself and reads `x` only as a string for private keys, so
  // an empty `x` stands in for the public key that we do not know yet. (If a future Node checked `x`,
  // every import would fail loudly: the RFC 9420 vector tests exercise this path.)
  return createPrivateKey({ key: { kty: "OKP", crv, d: b64url(d), x: "" }, format: "jwk" })
}

export function okpPublicKey(crv: OkpCurve, x: Uint8Array): KeyObject {
  if (x.length !== 32) throw new RangeError(`${crv} public keys are 32 bytes`)
  return createPublicKey({ key: { kty: "OKP", crv, x: b64url(x) }, format: "jwk" })
}

/** The 32-byte private key `d` of a private KeyObject. */
export function okpPrivateBytes(key: KeyObject): Uint8Array {
  return fromB64url(key.export({ format: "jwk" }).d)
}

/** The 32-byte public key `x` of a public or private KeyObject. */
export function okpPublicBytes(key: KeyObject): Uint8Array {
  return fromB64url(key.export({ format: "jwk" }).x)
}

/**
 * A new key pair: 32 bytes from the CSPRNG as the private key (RFC 8032 §5.1.5 for Ed25519; RFC 7748 §5 /
 * RFC 9180 §7.1.3 for X25519, where any 32 bytes are a private key and clamping happens inside X25519),
 * imported into a KeyObject, the public key derived by node:crypto.
 *
 * Not `generateKeyPairSync`: on Node 20, exporting a key made by it can deadlock the process when a
 * garbage collection inside the export finalises the key-generation job, which then waits on the lock the
 * export holds (seen here: a loop of generate-and-export hangs every time within 300,000 keys).
 */
export function okpGenerate(crv: OkpCurve): { privateKey: KeyObject; d: Uint8Array; x: Uint8Array } {
  const d = new Uint8Array(randomBytes(32))
  const privateKey = okpPrivateKey(crv, d)
  return { privateKey, d, x: okpPublicBytes(privateKey) }
}
