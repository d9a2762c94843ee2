import type { AckResponse, QueueResponse } from "@backchannel/protocol"
import type { Caller, ServiceContext } from "./context.js"
import { itemToWire } from "./wire.js"

export async function fetchQueue(
  ctx: ServiceContext,
  caller: Caller,
  query: { after: number; limit: number },
): Promise<QueueResponse> {
  const page = await ctx.store.fetchQueue(caller.deviceId, query.after, query.limit, ctx.config.maxFetchBytes)
  return { items: page.items.map(itemToWire), more: page.more }
}

export async function ack(ctx: ServiceContext, caller: Caller, upTo: number): Promise<AckResponse> {
  return { removed: await ctx.store.ack(caller.deviceId, upTo) }
}
