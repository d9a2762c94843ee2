import { ProtocolError } from "@backchannel/protocol"
import type { EntriesResponse, LookupRequest, MeResponse } from "@backchannel/protocol"
import type { Caller, ServiceContext } from "./context.js"
import { entryToWire } from "./wire.js"

export async function me(ctx: ServiceContext, caller: Caller): Promise<MeResponse> {
  const entry = await ctx.store.getEntry(caller.handle)
  if (entry === undefined) throw new ProtocolError("ENTRY_NOT_FOUND")
  return { deviceId: caller.deviceId, entry: entryToWire(entry), serverTime: ctx.clock.now() }
}

export async function search(
  ctx: ServiceContext,
  query: { q: string; limit: number },
): Promise<EntriesResponse> {
  const entries = await ctx.store.searchEntries(query.q.trim(), query.limit)
  return { entries: entries.map(entryToWire) }
}

export async function lookup(ctx: ServiceContext, body: LookupRequest): Promise<EntriesResponse> {
  const entries = await ctx.store.lookupEntries(body.handles ?? [], body.deviceIds ?? [])
  return { entries: entries.map(entryToWire) }
}
