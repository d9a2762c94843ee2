import { SealedStore } from "@backchannel/core"
import type { ClientPlatform, KeyValueStore, Random } from "@backchannel/core"
import { createWebCryptoProvider } from "@backchannel/mls-crypto"
import { HttpDelivery } from "@backchannel/transport"
import type { MinimalWebSocket } from "@backchannel/transport"
import { WebCryptoSealer } from "../storage/webcrypto-sealer.js"

/** getRandomValues fills at most 65,536 bytes per call. */
export const browserRandom: Random = {
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let offset = 0; offset < length; offset += 65_536) {
      crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)))
    }
    return out
  },
}

/** The browser's platform for the engine: IndexedDB sealed with the state key, fetch and WebSocket. */
export function browserPlatform(store: KeyValueStore, stateKey: CryptoKey): ClientPlatform {
  return {
    store: new SealedStore(store, new WebCryptoSealer(stateKey)),
    clock: { now: () => Date.now() },
    random: browserRandom,
    cryptoProvider: createWebCryptoProvider(),
    deliveryFor: (serverUrl, credentials) =>
      new HttpDelivery({
        baseUrl: serverUrl,
        ...(credentials ? { credentials } : {}),
        randomBytes: (n) => browserRandom.bytes(n),
        webSocket: (url) => new WebSocket(url) as unknown as MinimalWebSocket,
      }),
  }
}
