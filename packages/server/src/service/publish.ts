import type { QueueItem } from "@backchannel/protocol"
import type { QueueNotice } from "../bus/types.js"
import type { Delivery } from "../store/types.js"
import type { ServiceContext } from "./context.js"

/**
 * Tells the bus about items just committed: one notice per device, carrying the item so a live
 * WebSocket session can push it without reading the store. The item body (`data`) is the base64url
 * string the client sent, shared by every recipient rather than re-encoded per device.
 */
export function publishDeliveries(
  ctx: ServiceContext,
  deliveries: readonly Delivery[],
  item: Omit<QueueItem, "seq">,
): void {
  if (deliveries.length === 0) return
  const notices: QueueNotice[] = deliveries.map((d) => ({
    deviceId: d.deviceId,
    items: [{ seq: d.seq, ...item }],
  }))
  try {
    ctx.bus.publish(notices)
  } catch {
    // The items are durable; a subscriber that missed this notice finds them on its next read.
    ctx.log.warn("bus publish failed", { count: notices.length })
  }
}
