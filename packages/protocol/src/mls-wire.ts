/**
 * Reads the unencrypted framing of MLS messages (RFC 9420 §6) so that the delivery service can check
 * that a message is what the request says it is: the right wire format, group and epoch. It never
 * decrypts anything and keeps no state. Key packages are read up to their credential so the server
 * can check that the signature key in them is the uploading device's registered key.
 */

export const wireFormats = {
  publicMessage: 1,
  privateMessage: 2,
  welcome: 3,
  groupInfo: 4,
  keyPackage: 5,
} as const

export const contentTypes = { application: 1, proposal: 2, commit: 3 } as const

export type WireFormatName = keyof typeof wireFormats
export type ContentTypeName = keyof typeof contentTypes

export class MlsWireError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "MlsWireError"
  }
}

/** A cursor over TLS presentation-language bytes with MLS variable-length vectors (RFC 9420 §2.1.2). */
class Reader {
  private offset = 0
  constructor(private readonly bytes: Uint8Array) {}

  u8(): number {
    const value = this.bytes[this.offset]
    if (value === undefined) throw new MlsWireError("truncated")
    this.offset += 1
    return value
  }

  u16(): number {
    return (this.u8() << 8) | this.u8()
  }

  u32(): number {
    return ((this.u16() << 16) >>> 0) + this.u16()
  }

  u64(): bigint {
    const hi = BigInt(this.u32())
    const lo = BigInt(this.u32())
    return (hi << 32n) | lo
  }

  /** A variable-length integer: 1, 2 or 4 bytes, minimally encoded. */
  varint(): number {
    const first = this.u8()
    const prefix = first >> 6
    if (prefix === 0) return first & 0x3f
    if (prefix === 1) {
      const value = ((first & 0x3f) << 8) | this.u8()
      if (value < 64) throw new MlsWireError("non-minimal length")
      return value
    }
    if (prefix === 2) {
      const value = (((first & 0x3f) << 24) >>> 0) + ((this.u8() << 16) | (this.u8() << 8) | this.u8())
      if (value < 16384) throw new MlsWireError("non-minimal length")
      return value
    }
    throw new MlsWireError("invalid length prefix")
  }

  vector(): Uint8Array {
    const length = this.varint()
    if (this.offset + length > this.bytes.length) throw new MlsWireError("truncated vector")
    const out = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return out
  }

  get remaining(): number {
    return this.bytes.length - this.offset
  }
}

export type MlsFraming =
  | {
      wireFormat: "publicMessage" | "privateMessage"
      groupId: Uint8Array
      epoch: bigint
      contentType: ContentTypeName
    }
  | { wireFormat: "welcome"; cipherSuite: number }
  | { wireFormat: "groupInfo" }
  | {
      wireFormat: "keyPackage"
      cipherSuite: number
      signatureKey: Uint8Array
      credentialType: number
      /** Present for basic credentials (type 1). */
      identity: Uint8Array | undefined
    }

function contentTypeName(value: number): ContentTypeName {
  if (value === 1) return "application"
  if (value === 2) return "proposal"
  if (value === 3) return "commit"
  throw new MlsWireError("unknown content type")
}

/** Parses the header of an encoded MLSMessage. Throws MlsWireError on anything malformed. */
export function readMlsFraming(bytes: Uint8Array): MlsFraming {
  const r = new Reader(bytes)
  const version = r.u16()
  if (version !== 1) throw new MlsWireError("unsupported protocol version")
  const wireFormat = r.u16()
  switch (wireFormat) {
    case wireFormats.publicMessage: {
      const groupId = r.vector()
      const epoch = r.u64()
      const senderType = r.u8()
      if (senderType === 1 || senderType === 2) r.u32()
      else if (senderType !== 3 && senderType !== 4) throw new MlsWireError("unknown sender type")
      r.vector() // authenticated_data
      const contentType = contentTypeName(r.u8())
      return { wireFormat: "publicMessage", groupId, epoch, contentType }
    }
    case wireFormats.privateMessage: {
      const groupId = r.vector()
      const epoch = r.u64()
      const contentType = contentTypeName(r.u8())
      r.vector() // authenticated_data
      r.vector() // encrypted_sender_data
      r.vector() // ciphertext
      if (r.remaining !== 0) throw new MlsWireError("trailing bytes")
      return { wireFormat: "privateMessage", groupId, epoch, contentType }
    }
    case wireFormats.welcome: {
      const cipherSuite = r.u16()
      r.vector() // secrets
      r.vector() // encrypted_group_info
      if (r.remaining !== 0) throw new MlsWireError("trailing bytes")
      return { wireFormat: "welcome", cipherSuite }
    }
    case wireFormats.groupInfo:
      return { wireFormat: "groupInfo" }
    case wireFormats.keyPackage: {
      const kpVersion = r.u16()
      if (kpVersion !== 1) throw new MlsWireError("unsupported key package version")
      const cipherSuite = r.u16()
      r.vector() // init_key
      r.vector() // leaf_node.encryption_key
      const signatureKey = r.vector()
      const credentialType = r.u16()
      const identity = credentialType === 1 ? r.vector() : undefined
      return { wireFormat: "keyPackage", cipherSuite, signatureKey, credentialType, identity }
    }
    default:
      throw new MlsWireError("unknown wire format")
  }
}
