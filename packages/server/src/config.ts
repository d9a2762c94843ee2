import { limits } from "@backchannel/protocol"

/** Time source; tests inject one to move time (invite expiry, queue TTL, auth window). */
export interface Clock {
  /** Unix time in milliseconds. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

export interface RateLimitConfig {
  /** Tokens added per second per device. */
  perSecond: number
  /** Bucket size: the largest burst a device may send at once. */
  burst: number
}

/** Everything the HTTP and WebSocket layers and the services need to know, with defaults. */
export interface ServerConfig {
  /** Queued items older than this are purged even if never acknowledged. */
  queueTtlMs: number
  /** How often the purge runs. */
  purgeIntervalMs: number
  /** How often queued copies of messages whose sender-set expiry has passed are deleted. */
  messageExpiryIntervalMs: number
  /** Lifetime of invites the operator issues and of device invites. */
  inviteTtlMs: number
  deviceInviteTtlMs: number
  /** Allowed distance between a signed time and the server's clock. */
  authWindowMs: number
  rateLimit: RateLimitConfig
  maxDevicesPerUser: number
  maxKeyPackagesPerDevice: number
  maxGroupDevices: number
  /** Message bytes one queue fetch (HTTP) or one backlog page (WebSocket) reads at most (one item always fits). */
  maxFetchBytes: number
  wsAuthTimeoutMs: number
  maxWsFrameBytes: number
  /** A WebSocket session stops pushing while more than this many bytes wait in its socket buffer... */
  wsHighWaterBytes: number
  /** ...and resumes (from the store) once it is below this. */
  wsLowWaterBytes: number
  /** Items read from the store per backlog page, and the largest `items` frame built from them. */
  wsPageItems: number
  wsFrameBudgetBytes: number
  /** How often live WebSocket sessions re-check that their device has not been revoked. */
  wsRevalidateMs: number
}

export const defaultConfig: ServerConfig = {
  queueTtlMs: 30 * 24 * 60 * 60 * 1000,
  purgeIntervalMs: 60 * 60 * 1000,
  messageExpiryIntervalMs: 5_000,
  inviteTtlMs: 7 * 24 * 60 * 60 * 1000,
  deviceInviteTtlMs: 7 * 24 * 60 * 60 * 1000,
  authWindowMs: limits.authWindowMs,
  rateLimit: { perSecond: 200, burst: 400 },
  maxDevicesPerUser: limits.maxDevicesPerUser,
  maxKeyPackagesPerDevice: limits.maxKeyPackagesPerDevice,
  maxGroupDevices: limits.maxGroupDevices,
  maxFetchBytes: 4 * 1024 * 1024,
  wsAuthTimeoutMs: limits.wsAuthTimeoutMs,
  maxWsFrameBytes: limits.maxWsFrameBytes,
  wsHighWaterBytes: 4 * 1024 * 1024,
  wsLowWaterBytes: 1024 * 1024,
  wsPageItems: 200,
  wsFrameBudgetBytes: 1024 * 1024,
  wsRevalidateMs: 30 * 1000,
}

export type ConfigOverrides = Partial<Omit<ServerConfig, "rateLimit">> & {
  rateLimit?: Partial<RateLimitConfig>
}

export function resolveConfig(overrides: ConfigOverrides = {}): ServerConfig {
  const { rateLimit, ...rest } = overrides
  const config: ServerConfig = {
    ...defaultConfig,
    ...stripUndefined(rest),
    rateLimit: { ...defaultConfig.rateLimit, ...stripUndefined(rateLimit ?? {}) },
  }
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "number" && !(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`config ${key} must be a positive number`)
    }
  }
  if (!(config.rateLimit.perSecond > 0 && config.rateLimit.burst >= 1)) {
    throw new RangeError("config rateLimit needs perSecond > 0 and burst >= 1")
  }
  if (config.wsLowWaterBytes > config.wsHighWaterBytes) {
    throw new RangeError("config wsLowWaterBytes must not exceed wsHighWaterBytes")
  }
  return config
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
