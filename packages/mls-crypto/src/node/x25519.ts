import { createPublicKey, diffieHellman, type KeyObject } from "node:crypto"
import { Dhkem, KemId, LABEL_DKP_PRK, LABEL_SK, type DhkemPrimitives, type KdfInterface } from "@hpke/common"
import { asBytes, ownedArrayBuffer } from "./bytes.js"
import { NodeHkdfSha256 } from "./hkdf.js"
import { okpGenerate, okpPrivateKey, okpPublicBytes, okpPublicKey } from "./okp-jwk.js"

const empty = new Uint8Array(0)
const keyLength = 32

/**
 * An X25519 key as @hpke/core handles it: an opaque object with the shape of a WebCrypto `CryptoKey`,
 * holding the node:crypto `KeyObject` and the 32-byte encoding (RFC 7748 §5) that `SerializePublicKey`
 * and `SerializePrivateKey` return (RFC 9180 §7.1.1, §7.1.2).
 */
export class NodeX25519Key implements CryptoKey {
  readonly algorithm: KeyAlgorithm = { name: "X25519" }
  readonly extractable = true
  readonly usages: KeyUsage[]

  constructor(
    readonly type: "public" | "private",
    readonly keyObject: KeyObject,
    readonly encoded: Uint8Array,
  ) {
    this.usages = type === "private" ? ["deriveBits"] : []
  }
}

function asNodeKey(key: CryptoKey, type: "public" | "private"): NodeX25519Key {
  if (!(key instanceof NodeX25519Key) || key.type !== type)
    throw new TypeError(`expected an X25519 ${type} key`)
  return key
}

function privateFromRaw(raw: Uint8Array): NodeX25519Key {
  return new NodeX25519Key("private", okpPrivateKey("X25519", raw), raw.slice())
}

function publicFromRaw(raw: Uint8Array): NodeX25519Key {
  return new NodeX25519Key("public", okpPublicKey("X25519", raw), raw.slice())
}

function publicOf(privateKey: NodeX25519Key): NodeX25519Key {
  const keyObject = createPublicKey(privateKey.keyObject)
  return new NodeX25519Key("public", keyObject, okpPublicBytes(keyObject))
}

/**
 * The DH group operations of DHKEM(X25519, HKDF-SHA256) (RFC 9180 §4.1, §7.1) on node:crypto. The KEM
 * construction around them (Encap/Decap, ExtractAndExpand with the "eae_prk"/"shared_secret" labels and
 * the KEM suite_id) is @hpke/common's `Dhkem`.
 */
export class NodeX25519Primitives implements DhkemPrimitives {
  readonly #kdf: KdfInterface

  constructor(kdf: KdfInterface) {
    this.#kdf = kdf
  }

  async serializePublicKey(key: CryptoKey): Promise<ArrayBuffer> {
    return ownedArrayBuffer(asNodeKey(key, "public").encoded)
  }

  async deserializePublicKey(key: ArrayBufferLike | ArrayBufferView): Promise<CryptoKey> {
    return publicFromRaw(asBytes(key))
  }

  async serializePrivateKey(key: CryptoKey): Promise<ArrayBuffer> {
    return ownedArrayBuffer(asNodeKey(key, "private").encoded)
  }

  async deserializePrivateKey(key: ArrayBufferLike | ArrayBufferView): Promise<CryptoKey> {
    return privateFromRaw(asBytes(key))
  }

  async importKey(
    format: "raw" | "jwk",
    key: ArrayBuffer | JsonWebKey,
    isPublic: boolean,
  ): Promise<CryptoKey> {
    if (format !== "raw" || !(key instanceof ArrayBuffer))
      throw new TypeError("only raw X25519 keys are supported")
    const raw = new Uint8Array(key)
    return isPublic ? publicFromRaw(raw) : privateFromRaw(raw)
  }

  async generateKeyPair(): Promise<CryptoKeyPair> {
    const pair = okpGenerate("X25519")
    return {
      privateKey: new NodeX25519Key("private", pair.privateKey, pair.d),
      publicKey: new NodeX25519Key("public", okpPublicKey("X25519", pair.x), pair.x),
    }
  }

  /**
   * RFC 9180 §7.1.3 DeriveKeyPair for X25519:
   *   dkp_prk = LabeledExtract("", "dkp_prk", ikm)
   *   sk = LabeledExpand(dkp_prk, "sk", "", Nsk)
   * (the KEM's KDF carries suite_id = "KEM" || I2OSP(0x0020, 2)). The 32 bytes are used as the X25519
   * private key as they are; clamping happens inside X25519 (RFC 7748 §5).
   */
  async deriveKeyPair(ikm: ArrayBufferLike | ArrayBufferView): Promise<CryptoKeyPair> {
    const dkpPrk = await this.#kdf.labeledExtract(empty, LABEL_DKP_PRK, asBytes(ikm).slice())
    const sk = new Uint8Array(await this.#kdf.labeledExpand(dkpPrk, LABEL_SK, empty, keyLength))
    new Uint8Array(dkpPrk).fill(0)
    const privateKey = privateFromRaw(sk)
    sk.fill(0)
    return { privateKey, publicKey: publicOf(privateKey) }
  }

  async derivePublicKey(key: CryptoKey): Promise<CryptoKey> {
    return publicOf(asNodeKey(key, "private"))
  }

  /**
   * DH(skX, pkY) = X25519(skX, pkY) (RFC 7748 §6.1). RFC 9180 §7.1.4 requires aborting on an all-zero
   * output (a low-order peer key); OpenSSL already refuses it, and we check again.
   */
  async dh(sk: CryptoKey, pk: CryptoKey): Promise<ArrayBuffer> {
    const shared = diffieHellman({
      privateKey: asNodeKey(sk, "private").keyObject,
      publicKey: asNodeKey(pk, "public").keyObject,
    })
    if (shared.every((b) => b === 0)) throw new Error("X25519 produced the all-zero shared secret")
    const out = ownedArrayBuffer(shared)
    shared.fill(0)
    return out
  }
}

/** DHKEM(X25519, HKDF-SHA256), KEM id 0x0020 (RFC 9180 §7.1), with node:crypto underneath. */
export class NodeDhkemX25519HkdfSha256 extends Dhkem {
  override readonly secretSize = 32
  override readonly encSize = 32
  override readonly publicKeySize = 32
  override readonly privateKeySize = 32

  constructor() {
    const kdf = new NodeHkdfSha256()
    super(KemId.DhkemX25519HkdfSha256, new NodeX25519Primitives(kdf), kdf)
  }
}
