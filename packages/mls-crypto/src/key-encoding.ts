/**
 * Fixed ASN.1 DER wrappers for 32-byte Ed25519 and X25519 keys (RFC 8410 §7 and §4): a PKCS#8
 * OneAsymmetricKey v1 holding the 32-byte private key, and a SubjectPublicKeyInfo holding the 32-byte
 * public key. WebCrypto and node:crypto import private keys for these curves only in these forms.
 * These are encodings, not cryptography.
 */

/** SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } } */
const ed25519Pkcs8Prefix = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
)
/** SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32) } */
const ed25519SpkiPrefix = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
)
/** Same shapes with OID 1.3.101.110 (X25519). */
const x25519Pkcs8Prefix = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
)
const x25519SpkiPrefix = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00)

function wrap(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length)
  out.set(prefix, 0)
  out.set(key, prefix.length)
  return out
}

function unwrap(prefix: Uint8Array, der: Uint8Array): Uint8Array {
  if (der.length !== prefix.length + 32 || prefix.some((b, i) => der[i] !== b)) {
    throw new Error("unexpected key encoding")
  }
  return der.slice(prefix.length)
}

/**
 * ts-mls signature keys are either the 32-byte RFC 8032 private key (what the RFC 9420 test vectors
 * and noble use) or a PKCS#8 document (what ts-mls' default provider generates). Returns PKCS#8 DER,
 * accepting both exactly as the default provider does.
 */
export function ed25519SignKeyToPkcs8(signKey: Uint8Array): Uint8Array {
  return signKey.length === 32 ? wrap(ed25519Pkcs8Prefix, signKey) : signKey
}

export function ed25519PublicKeyToSpki(publicKey: Uint8Array): Uint8Array {
  return wrap(ed25519SpkiPrefix, publicKey)
}

export function ed25519SeedFromPkcs8(der: Uint8Array): Uint8Array {
  return unwrap(ed25519Pkcs8Prefix, der)
}

export function ed25519PublicKeyFromSpki(der: Uint8Array): Uint8Array {
  return unwrap(ed25519SpkiPrefix, der)
}

export function x25519PrivateKeyToPkcs8(privateKey: Uint8Array): Uint8Array {
  return wrap(x25519Pkcs8Prefix, privateKey)
}

export function x25519PublicKeyToSpki(publicKey: Uint8Array): Uint8Array {
  return wrap(x25519SpkiPrefix, publicKey)
}

export function x25519PrivateKeyFromPkcs8(der: Uint8Array): Uint8Array {
  return unwrap(x25519Pkcs8Prefix, der)
}

export function x25519PublicKeyFromSpki(der: Uint8Array): Uint8Array {
  return unwrap(x25519SpkiPrefix, der)
}
