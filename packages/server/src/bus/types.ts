import type { QueueItem } from "@backchannel/protocol"

/**
 * "Device D has new queue items." Published after the items are committed to the store, so a
 * subscriber that reads the store on receipt always finds them.
 *
 * `items`, when given, are the new items in seq order, so an in-process subscriber can push them
 * without a store read; a bus that crosses processes may send `items: []`, which means "read the store".
 */
export interface QueueNotice {
  deviceId: string
  items: QueueItem[]
}

export type NoticeListener = (notice: QueueNotice) => void

/**
 * The bus port. The default is in-process (LocalBus); NATS or Redis pub/sub implementations let
 * several server processes share one store.
 */
export interface Bus {
  publish(notices: readonly QueueNotice[]): void
  /** Returns a function that ends the subscription. */
  subscribe(deviceId: string, listener: NoticeListener): () => void
  close(): Promise<void>
}
