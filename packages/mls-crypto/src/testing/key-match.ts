import type { CiphersuiteImpl } from "ts-mls"

/** True when an HPKE private key opens what is sealed to the public key (RFC 9180 single-shot). */
export async function hpkeKeysMatch(publicKey: Uint8Array, privateKey: Uint8Array, impl: CiphersuiteImpl) {
  const probe = impl.rng.randomBytes(16)
  const info = new TextEncoder().encode("key match")
  const sealed = await impl.hpke.seal(await impl.hpke.importPublicKey(publicKey), probe, info)
  try {
    const opened = await impl.hpke.open(
      await impl.hpke.importPrivateKey(privateKey),
      sealed.enc,
      sealed.ct,
      info,
    )
    return opened.length === probe.length && opened.every((b, i) => b === probe[i])
  } catch {
    return false
  }
}

/** True when a signature made with the private key verifies with the public key. */
export async function signatureKeysMatch(publicKey: Uint8Array, signKey: Uint8Array, impl: CiphersuiteImpl) {
  const probe = impl.rng.randomBytes(16)
  return impl.signature.verify(publicKey, probe, await impl.signature.sign(signKey, probe))
}
