import type { Bus } from "../bus/types.js"
import type { Clock, ServerConfig } from "../config.js"
import type { Ed25519Verifier } from "../crypto/ed25519.js"
import type { Logger } from "../log.js"
import type { DeviceRecord, ServerStore } from "../store/types.js"

/** What every domain operation needs; built once per app. Services are plain functions over it. */
export interface ServiceContext {
  store: ServerStore
  bus: Bus
  clock: Clock
  config: ServerConfig
  log: Logger
  verifier: Ed25519Verifier
  /** Cryptographically secure random bytes. */
  random: (length: number) => Uint8Array
}

/** The authenticated device a request or WebSocket session acts for. */
export type Caller = Pick<DeviceRecord, "deviceId" | "handle" | "signaturePublicKey">
