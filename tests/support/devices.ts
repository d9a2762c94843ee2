import { randomBytes } from "node:crypto"
import {
  BackchannelClient,
  DeliveryUnavailableError,
  MemoryStore,
  NobleSealer,
  SealedStore,
} from "@backchannel/core"
import type { ClientPlatform, Delivery, KeyValueStore } from "@backchannel/core"
import { createNodeCryptoProvider } from "@backchannel/mls-crypto/node"
import { ProtocolError } from "@backchannel/protocol"
import { createInvite } from "@backchannel/server"
import { HttpDelivery } from "@backchannel/transport"
import type { MinimalWebSocket } from "@backchannel/transport"
import WebSocket from "ws"
import { plain } from "./text.js"

/**
 * Faults injected between a device and the real server: a lost reply (the server did the work, the device
 * never heard back), or no connection at all. Every server refusal the device sees is recorded.
 */
export class Faults {
  offline = false
  /** Method names whose next reply is lost after the server has handled the request. */
  readonly loseNextReply = new Set<keyof Delivery>()
  readonly refusals: string[] = []

  wrap(delivery: Delivery): Delivery {
    return new Proxy(delivery, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver)
        if (typeof value !== "function" || prop === "subscribe") return value
        const name = prop as keyof Delivery
        return async (...args: unknown[]) => {
          if (this.offline) throw new DeliveryUnavailableError("offline (test)")
          try {
            const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
            if (this.loseNextReply.delete(name)) throw new DeliveryUnavailableError("reply lost (test)")
            return result
          } catch (err) {
            if (err instanceof ProtocolError) this.refusals.push(`${name}:${err.code}`)
            throw err
          }
        }
      },
    })
  }
}

export interface TestDevice {
  client: BackchannelClient
  store: KeyValueStore
  faults: Faults
  platform: ClientPlatform
  /** Opens the same stored device again, as a restarted process would. */
  reopen(): Promise<BackchannelClient>
}

const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) }
const cryptoProvider = createNodeCryptoProvider()

function platformFor(store: KeyValueStore, faults: Faults): ClientPlatform {
  return {
    store,
    clock: { now: () => Date.now() },
    random,
    cryptoProvider,
    deliveryFor: (serverUrl, credentials) =>
      faults.wrap(
        new HttpDelivery({
          baseUrl: serverUrl,
          ...(credentials ? { credentials } : {}),
          randomBytes: (n) => random.bytes(n),
          webSocket: (url) => new WebSocket(url) as unknown as MinimalWebSocket,
        }),
      ),
  }
}

/** Enrols a device (in this process, sealed in-memory store) against a real server. */
export async function enrolDevice(
  serverUrl: string,
  invite: string,
  options: { keyPackageTarget?: number; deviceName?: string } = {},
): Promise<TestDevice> {
  const store = new SealedStore(new MemoryStore(), new NobleSealer(random.bytes(32), random))
  const faults = new Faults()
  const platform = platformFor(store, faults)
  const settings = { keyPackageTarget: options.keyPackageTarget ?? 10 }
  const client = await BackchannelClient.enrol(
    platform,
    { serverUrl, invite, deviceName: options.deviceName ?? "test device" },
    settings,
  )
  return { client, store, faults, platform, reopen: () => BackchannelClient.open(platform, settings) }
}

/** Creates a directory entry with the operator tool and enrols its first device. */
export async function person(
  dataDir: string,
  serverUrl: string,
  handle: string,
  options: { keyPackageTarget?: number; kind?: "member" | "guest" } = {},
): Promise<TestDevice> {
  const { invite } = await createInvite(dataDir, {
    handle,
    displayName: handle.toUpperCase(),
    kind: options.kind ?? "member",
  })
  return enrolDevice(serverUrl, invite, options)
}

export async function texts(device: TestDevice, conversationId: string): Promise<string[]> {
  return (await device.client.messages(conversationId))
    .filter((m) => m.kind === "text")
    .map((m) => plain(m.text ?? ""))
}
