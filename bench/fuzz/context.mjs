// The fuzzer's view of a server: enrolled devices that sign real requests, and real MLS messages (ts-mls,
// suite 1) to mutate: application messages at the group's epoch and at a past one, a message of another
// group, a commit, a Welcome and key packages. Works against any HTTP target (a real process over fetch,
// or Fastify's inject in this process).
import { randomBytes, sign } from "node:crypto"
import {
  authHeaders,
  credentialIdentity,
  enrolmentSigningBytes,
  fromB64,
  normaliseInviteCode,
  requestSigningBytes,
  toB64,
  utf8,
  wsAuthSigningBytes,
} from "@backchannel/protocol"
import { createInvite } from "@backchannel/server"
import { okpGenerate } from "../../packages/mls-crypto/dist/node/okp-jwk.js"
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from "ts-mls"

let suitePromise
const suite = () =>
  (suitePromise ??= getCiphersuiteImpl(
    getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"),
  ))

/** An HTTP target over fetch (a real server process). */
export function fetchTarget(baseUrl) {
  return {
    baseUrl,
    async request({ method, path, headers, body }) {
      const res = await fetch(baseUrl + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      })
      return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() }
    },
  }
}

/** An HTTP target over Fastify's inject (the server's app in this process, no socket). */
export function injectTarget(app) {
  return {
    async request({ method, path, headers, body }) {
      const res = await app.inject({
        method,
        url: path,
        headers,
        ...(body === undefined ? {} : { payload: body }),
      })
      return { status: res.statusCode, headers: res.headers, text: res.body }
    },
  }
}

/** A device with its own Ed25519 key that signs requests and WebSocket challenges. */
export class FuzzDevice {
  constructor(target) {
    this.target = target
    // Not generateKeyPairSync: on Node 20 exporting its keys can deadlock (see okpGenerate).
    const { privateKey, d, x } = okpGenerate("Ed25519")
    this.privateKey = privateKey
    this.seed = d
    this.publicKey = x
    this.tracemarkPublicKey = new Uint8Array(randomBytes(32))
    this.deviceId = ""
    this.handle = ""
  }

  signBytes(bytes) {
    return new Uint8Array(sign(null, bytes, this.privateKey))
  }

  enrolBody(invite) {
    const code = normaliseInviteCode(invite) ?? invite
    return {
      invite,
      deviceName: "fuzz device",
      signaturePublicKey: toB64(this.publicKey),
      tracemarkPublicKey: toB64(this.tracemarkPublicKey),
      proof: toB64(this.signBytes(enrolmentSigningBytes(code, this.publicKey, this.tracemarkPublicKey))),
    }
  }

  /** The four auth headers for these exact bytes. */
  authHeaders(method, path, body, { time = Date.now(), nonce = toB64(randomBytes(16)) } = {}) {
    const signature = this.signBytes(
      requestSigningBytes({
        method,
        path,
        deviceId: this.deviceId,
        time,
        nonce,
        body: body ?? new Uint8Array(),
      }),
    )
    return {
      [authHeaders.device]: this.deviceId,
      [authHeaders.time]: String(time),
      [authHeaders.nonce]: nonce,
      [authHeaders.signature]: toB64(signature),
    }
  }

  wsAuthFrame(challenge, time = Date.now()) {
    return {
      t: "auth",
      deviceId: this.deviceId,
      time,
      signature: toB64(this.signBytes(wsAuthSigningBytes(challenge, this.deviceId, time))),
    }
  }

  async call(method, path, json) {
    const body = json === undefined ? undefined : Buffer.from(utf8(JSON.stringify(json)))
    const headers = { ...this.authHeaders(method, path, body) }
    if (body !== undefined) headers["content-type"] = "application/json"
    const res = await this.target.request({ method, path, headers, body })
    const parsed = res.text === "" ? undefined : JSON.parse(res.text)
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`)
    return parsed
  }

  async keyPackage() {
    const impl = await suite()
    const credential = {
      credentialType: "basic",
      identity: new TextEncoder().encode(credentialIdentity(this.handle, this.deviceId)),
    }
    const kp = await generateKeyPackageWithKey(
      credential,
      defaultCapabilities(),
      defaultLifetime,
      [],
      {
        signKey: this.seed,
        publicKey: this.publicKey,
      },
      impl,
    )
    const bytes = encodeMlsMessage({
      keyPackage: kp.publicPackage,
      wireformat: "mls_key_package",
      version: "mls10",
    })
    return { bytes, kp }
  }
}

/** Enrols a device through a real `POST /v1/enrol` with an operator invite written to the data directory. */
export async function enrolFuzzDevice(target, dataDir, handle) {
  const device = new FuzzDevice(target)
  const { invite } = await createInvite(dataDir, { handle, displayName: handle })
  const body = Buffer.from(JSON.stringify(device.enrolBody(invite)))
  const res = await target.request({
    method: "POST",
    path: "/v1/enrol",
    headers: { "content-type": "application/json" },
    body,
  })
  if (res.status !== 200) throw new Error(`enrol failed: ${res.status} ${res.text}`)
  const parsed = JSON.parse(res.text)
  device.deviceId = parsed.deviceId
  device.handle = parsed.entry.handle
  return device
}

const privateMessage = (result) =>
  encodeMlsMessage({
    privateMessage: result.privateMessage,
    wireformat: "mls_private_message",
    version: "mls10",
  })

/**
 * A group of `owner` and `member` (added by a real commit with a Welcome, so messages fan out), and the
 * MLS messages the fuzzer mutates. Call again to start over when fuzzed commits moved the epoch on.
 */
export async function buildGroup(owner, member) {
  const impl = await suite()
  const groupId = toB64(randomBytes(32))
  const own = await owner.keyPackage()
  let state = await createGroup(fromB64(groupId), own.kp.publicPackage, own.kp.privatePackage, [], impl)
  await owner.call("POST", "/v1/groups", { groupId })
  const epoch0 = await createApplicationMessage(state, utf8("epoch 0"), impl)
  state = epoch0.newState
  const memberKp = await member.keyPackage()
  await member.call("POST", "/v1/key-packages", { keyPackages: [toB64(memberKp.bytes)] })
  const claimed = await owner.call("POST", "/v1/key-packages/claim", { deviceIds: [member.deviceId] })
  const decoded = decodeMlsMessage(fromB64(claimed.keyPackages[0].keyPackage), 0)[0]
  const add = await createCommit(
    { state, cipherSuite: impl },
    {
      extraProposals: [{ proposalType: "add", add: { keyPackage: decoded.keyPackage } }],
      ratchetTreeExtension: true,
    },
  )
  const welcome = encodeMlsMessage({ welcome: add.welcome, wireformat: "mls_welcome", version: "mls10" })
  await owner.call("POST", `/v1/groups/${groupId}/commits`, {
    epoch: "0",
    commit: toB64(encodeMlsMessage(add.commit)),
    welcome: toB64(welcome),
    add: [member.deviceId],
    remove: [],
  })
  state = add.newState
  const messages = []
  for (let i = 0; i < 4; i++) {
    const result = await createApplicationMessage(state, utf8(`fuzz message ${i}`), impl)
    state = result.newState
    messages.push(privateMessage(result))
  }
  // A commit for the current epoch, never sent by us: the fuzzer sends it (mutated or not).
  const next = await createCommit({ state, cipherSuite: impl }, {})
  // A message of another group, to post under this group's id.
  const otherId = toB64(randomBytes(32))
  const other = await owner.keyPackage()
  const otherState = await createGroup(
    fromB64(otherId),
    other.kp.publicPackage,
    other.kp.privatePackage,
    [],
    impl,
  )
  const otherMessage = privateMessage(await createApplicationMessage(otherState, utf8("other group"), impl))
  const keyPackages = []
  for (let i = 0; i < 3; i++) keyPackages.push((await owner.keyPackage()).bytes)
  return {
    groupId,
    epoch: "1",
    messages,
    staleMessage: privateMessage(epoch0),
    otherGroupMessage: otherMessage,
    commit: encodeMlsMessage(next.commit),
    welcome,
    keyPackages,
    memberKeyPackage: memberKp.bytes,
  }
}
