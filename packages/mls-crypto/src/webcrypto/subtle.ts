/** The runtime's WebCrypto (browsers, Web Workers, Node >= 19), looked up when first used. */
export function subtle(): SubtleCrypto {
  const s = (globalThis.crypto as Crypto | undefined)?.subtle
  if (s === undefined) throw new Error("WebCrypto (globalThis.crypto.subtle) is not available")
  return s
}

/** WebCrypto takes `BufferSource`s backed by an `ArrayBuffer`; copies anything else. */
export function source(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
}
