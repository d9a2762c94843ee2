import {
  ackRequestSchema,
  claimKeyPackagesSchema,
  commitRequestSchema,
  createGroupSchema,
  deviceInviteRequestSchema,
  enrolRequestSchema,
  fetchQueueQuerySchema,
  groupIdSchema,
  limits,
  lookupRequestSchema,
  PROTOCOL_VERSION,
  searchQuerySchema,
  sendMessageSchema,
  uploadKeyPackagesSchema,
} from "@backchannel/protocol"
import { z } from "zod"
import type { Caller, ServiceContext } from "../service/context.js"
import { lookup, me, search } from "../service/directory.js"
import { createDeviceInvite, enrol } from "../service/enrolment.js"
import { commit, createGroup, getGroup } from "../service/groups.js"
import { parseInput } from "../service/input.js"
import { claim, status, upload } from "../service/key-packages.js"
import { sendMessage } from "../service/messages.js"
import { ack, fetchQueue } from "../service/queue.js"
import { config } from "../service/settings.js"

/** What a route handler receives once the request is authenticated (if it must be) and parsed. */
export interface RouteInput {
  caller: Caller | undefined
  /** The parsed JSON body (routes with `body: true`), not yet validated. */
  json: unknown
  query: unknown
  params: unknown
}

export interface RouteSpec {
  method: "GET" | "POST"
  url: string
  auth: boolean
  body: boolean
  /** Largest body this endpoint reads (default limits.maxBodyBytes). */
  bodyLimit?: number
  handle: (ctx: ServiceContext, input: RouteInput) => Promise<unknown>
}

const groupParams = z.strictObject({ groupId: groupIdSchema })

function authed(input: RouteInput): Caller {
  if (input.caller === undefined) throw new Error("route declared auth but has no caller")
  return input.caller
}

/** Every endpoint of docs/PROTOCOL.md, and nothing else. */
export const routes: readonly RouteSpec[] = [
  {
    method: "GET",
    url: "/v1/health",
    auth: false,
    body: false,
    handle: (ctx) => Promise.resolve({ ok: true, protocol: PROTOCOL_VERSION, serverTime: ctx.clock.now() }),
  },
  {
    method: "POST",
    url: "/v1/enrol",
    auth: false,
    body: true,
    handle: (ctx, input) => enrol(ctx, parseInput(enrolRequestSchema, input.json)),
  },
  {
    method: "GET",
    url: "/v1/config",
    auth: true,
    body: false,
    handle: (ctx) => config(ctx.store),
  },
  {
    method: "GET",
    url: "/v1/me",
    auth: true,
    body: false,
    handle: (ctx, input) => me(ctx, authed(input)),
  },
  {
    method: "POST",
    url: "/v1/devices/invites",
    auth: true,
    body: true,
    handle: (ctx, input) => {
      parseInput(deviceInviteRequestSchema, input.json)
      return createDeviceInvite(ctx, authed(input))
    },
  },
  {
    method: "GET",
    url: "/v1/directory",
    auth: true,
    body: false,
    handle: (ctx, input) => search(ctx, parseInput(searchQuerySchema, input.query)),
  },
  {
    method: "POST",
    url: "/v1/directory/lookup",
    auth: true,
    body: true,
    handle: (ctx, input) => lookup(ctx, parseInput(lookupRequestSchema, input.json)),
  },
  {
    method: "POST",
    url: "/v1/key-packages",
    auth: true,
    body: true,
    handle: (ctx, input) => upload(ctx, authed(input), parseInput(uploadKeyPackagesSchema, input.json)),
  },
  {
    method: "GET",
    url: "/v1/key-packages/status",
    auth: true,
    body: false,
    handle: (ctx, input) => status(ctx, authed(input)),
  },
  {
    method: "POST",
    url: "/v1/key-packages/claim",
    auth: true,
    body: true,
    handle: (ctx, input) => claim(ctx, authed(input), parseInput(claimKeyPackagesSchema, input.json)),
  },
  {
    method: "POST",
    url: "/v1/groups",
    auth: true,
    body: true,
    handle: (ctx, input) =>
      createGroup(ctx, authed(input), parseInput(createGroupSchema, input.json).groupId),
  },
  {
    method: "GET",
    url: "/v1/groups/:groupId",
    auth: true,
    body: false,
    handle: (ctx, input) => getGroup(ctx, authed(input), parseInput(groupParams, input.params).groupId),
  },
  {
    method: "POST",
    url: "/v1/groups/:groupId/commits",
    auth: true,
    body: true,
    // A commit and its Welcome for a large post-quantum group can exceed the default limit.
    bodyLimit: limits.maxCommitRequestBytes,
    handle: (ctx, input) => {
      const { groupId } = parseInput(groupParams, input.params)
      return commit(ctx, authed(input), groupId, parseInput(commitRequestSchema, input.json))
    },
  },
  {
    method: "POST",
    url: "/v1/groups/:groupId/messages",
    auth: true,
    body: true,
    handle: (ctx, input) => {
      const { groupId } = parseInput(groupParams, input.params)
      const body = parseInput(sendMessageSchema, input.json)
      return sendMessage(ctx, authed(input), groupId, body.message, body.expiresAt)
    },
  },
  {
    method: "GET",
    url: "/v1/queue",
    auth: true,
    body: false,
    handle: (ctx, input) => fetchQueue(ctx, authed(input), parseInput(fetchQueueQuerySchema, input.query)),
  },
  {
    method: "POST",
    url: "/v1/queue/ack",
    auth: true,
    body: true,
    handle: (ctx, input) => ack(ctx, authed(input), parseInput(ackRequestSchema, input.json).upTo),
  },
]
