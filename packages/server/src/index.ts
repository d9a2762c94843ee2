export { hostPort, serverLockFileName, startServer, StartupError } from "./start-server.js"
export type { RunningServer, StartServerOptions, StartupFailure } from "./start-server.js"
export { tryExclusiveLock } from "./file-lock.js"
export {
  createInvite,
  databaseFileName,
  databasePath,
  getLabels,
  listEntries,
  revokeDevice,
  setLabels,
} from "./admin.js"
export type { CreateInviteOptions, CreatedInvite, RevokedDevice } from "./admin.js"
export { createApp } from "./http/app.js"
export type { AppControl, AppOptions } from "./http/app.js"
export { defaultConfig, resolveConfig, systemClock } from "./config.js"
export type { Clock, ConfigOverrides, RateLimitConfig, ServerConfig } from "./config.js"
export { createLogger, isLogLevel, logLevels, silentLogger } from "./log.js"
export type { LogFields, Logger, LogLevel, LogSink } from "./log.js"
export { MemoryStore } from "./store/memory-store.js"
export { SqliteStore } from "./store/sqlite-store.js"
export type { SqliteStoreOptions } from "./store/sqlite-store.js"
export type * from "./store/types.js"
export { LocalBus } from "./bus/local-bus.js"
export type { Bus, NoticeListener, QueueNotice } from "./bus/types.js"
