// Minimal clients for the load generator, one per server, with the same surface:
//   await client.connect()      authenticated, subscribed / bound with available presence
//   client.send(target, bytes)  one 1:1 or group message (returns nothing; ours reports acks via onAck)
//   client.onMessage(encoded)   set by the generator; `encoded` is the message bytes as text
//   client.close()
import { createPrivateKey, sign } from "node:crypto"
import net from "node:net"
import WebSocket from "ws"
import { wsAuthSigningBytes } from "../../packages/protocol/dist/index.js"

/** Our server: the WebSocket protocol of docs/PROTOCOL.md (challenge/auth/ready, sub, send/res, ack). */
export class OursClient {
  constructor(wsUrl, device, localAddress) {
    this.wsUrl = wsUrl
    this.deviceId = device.deviceId
    this.key = createPrivateKey({
      key: { kty: "OKP", crv: "Ed25519", d: device.key, x: "" },
      format: "jwk",
    })
    this.localAddress = localAddress
    this.lastSeq = 0
    this.ackedSeq = 0
    this.nextId = 0
    this.pendingAcks = new Map()
    this.onMessage = () => {}
    this.onAck = () => {}
    this.onError = () => {}
    this.ws = undefined
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.wsUrl, {
        perMessageDeflate: false,
        maxPayload: 8 * 1024 * 1024,
        ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }),
      })
      this.ws = ws
      let ready = false
      ws.on("error", (err) => {
        if (!ready) reject(err)
        else this.onError(err)
      })
      ws.on("close", (code) => {
        if (!ready) reject(new Error(`closed ${code} before ready`))
      })
      ws.on("message", (raw) => {
        const frame = JSON.parse(raw.toString())
        switch (frame.t) {
          case "items":
            for (const item of frame.items) {
              if (item.seq > this.lastSeq) this.lastSeq = item.seq
              if (item.kind === "message") this.onMessage(item.data)
            }
            break
          case "res": {
            const scheduled = this.pendingAcks.get(frame.id)
            this.pendingAcks.delete(frame.id)
            this.onAck(frame.ok, scheduled, frame.ok ? undefined : frame.error.code)
            break
          }
          case "challenge": {
            const time = Date.now()
            const signature = sign(null, wsAuthSigningBytes(frame.challenge, this.deviceId, time), this.key)
            ws.send(
              JSON.stringify({
                t: "auth",
                deviceId: this.deviceId,
                time,
                signature: signature.toString("base64url"),
              }),
            )
            break
          }
          case "ready":
            ready = true
            ws.send(JSON.stringify({ t: "sub", after: 0 }))
            resolve()
            break
          case "error":
            if (!ready) reject(new Error(frame.error.code))
            else this.onError(new Error(frame.error.code))
            break
          default:
            break
        }
      })
    })
  }

  /** Sends an application message to a group; `scheduled` comes back through onAck. */
  send(groupId, bytes, scheduled) {
    const id = this.nextId++
    this.pendingAcks.set(id, scheduled)
    this.ws.send(`{"t":"send","id":${id},"groupId":"${groupId}","message":"${bytes.toString("base64url")}"}`)
  }

  /** Acknowledges everything received so far (called periodically by the generator). */
  flushAck() {
    if (this.lastSeq > this.ackedSeq && this.ws.readyState === WebSocket.OPEN) {
      this.ackedSeq = this.lastSeq
      this.ws.send(`{"t":"ack","upTo":${this.lastSeq}}`)
    }
  }

  close() {
    this.ws?.terminate()
  }
}

/** The Multi-User Chat (XEP-0045) service that bench/server/install-prosody.sh configures. */
export const MUC_HOST = "conference.localhost"

/**
 * XMPP over raw TCP (RFC 6120/6121), just what the bench needs: stream, SASL PLAIN, resource binding,
 * initial presence, <message type="chat"> (or type="groupchat" to a room of MUC_HOST) with the base64
 * ciphertext as body. Incoming stanzas are not parsed as XML: the client cuts the stream into
 * <message> elements and extracts their <body> contents, which are base64 (no markup inside).
 */
export class XmppClient {
  constructor(port, user, password, localAddress) {
    this.port = port
    this.user = user
    this.password = password
    this.localAddress = localAddress
    this.onMessage = () => {}
    this.onAck = () => {}
    this.onError = () => {}
    this.socket = undefined
    this.buffer = ""
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        port: this.port,
        host: "127.0.0.1",
        ...(this.localAddress === undefined ? {} : { localAddress: this.localAddress }),
      })
      socket.setNoDelay(true)
      socket.setEncoding("utf8")
      this.socket = socket
      let state = "features1"
      const open = () =>
        socket.write(
          "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
        )
      socket.on("connect", open)
      socket.on("error", (err) => {
        if (state !== "ready") reject(err)
        else this.onError(err)
      })
      socket.on("close", () => {
        if (state !== "ready") reject(new Error(`xmpp closed in ${state}`))
      })
      socket.on("data", (chunk) => {
        this.buffer += chunk
        if (state === "ready") {
          this.drain()
          return
        }
        const b = this.buffer
        if (state === "features1" && b.includes("</stream:features>")) {
          if (!b.includes("<mechanism>PLAIN</mechanism>")) {
            reject(new Error("server does not offer PLAIN"))
            return
          }
          this.buffer = ""
          state = "auth"
          const creds = Buffer.from(`\0${this.user}\0${this.password}`).toString("base64")
          socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`)
        } else if (state === "auth" && (b.includes("<success") || b.includes("<failure"))) {
          if (b.includes("<failure")) {
            reject(new Error(`xmpp auth failed for ${this.user}`))
            return
          }
          this.buffer = ""
          state = "features2"
          open()
        } else if (state === "features2" && b.includes("</stream:features>")) {
          this.buffer = ""
          state = "bind"
          socket.write(
            "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>",
          )
        } else if (state === "bind" && b.includes("</iq>")) {
          if (!b.includes("type='result'") && !b.includes('type="result"')) {
            reject(new Error("bind failed"))
            return
          }
          this.buffer = ""
          state = "ready"
          socket.write("<presence/>")
          resolve()
        }
      })
    })
  }

  /** Resolves when the server answers an XMPP ping, i.e. has processed everything sent before it. */
  ping() {
    this.pings = this.pings ?? new Map()
    this.pingId = (this.pingId ?? 0) + 1
    const id = `bench-ping-${this.pingId}`
    this.socket.write(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
    return new Promise((resolve) => this.pings.set(id, resolve))
  }

  /**
   * Joins a MUC room as occupant `nick`, asking for no history (XEP-0045 §7.2.14), so that the room's
   * replay of earlier messages never reaches the generator. The room must not be locked (see
   * install-prosody.sh); the join is complete once a later ping() is answered.
   */
  joinRoom(room, nick) {
    this.socket.write(
      `<presence to='${room}@${MUC_HOST}/${nick}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`,
    )
  }

  drain() {
    const b = this.buffer
    if (this.pings !== undefined && this.pings.size > 0) {
      for (const [id, resolve] of this.pings) {
        if (b.includes(`'${id}'`) || b.includes(`"${id}"`)) {
          this.pings.delete(id)
          resolve()
        }
      }
    }
    let pos = 0
    for (;;) {
      const start = b.indexOf("<message", pos)
      if (start < 0) break
      const tagEnd = b.indexOf(">", start)
      if (tagEnd < 0) {
        pos = start
        break
      }
      const openTag = b.slice(start, tagEnd + 1)
      if (openTag.endsWith("/>")) {
        pos = tagEnd + 1
        continue
      }
      const end = b.indexOf("</message>", tagEnd)
      if (end < 0) {
        pos = start
        break
      }
      pos = end + 10
      // A bounced message (e.g. a groupchat from a non-occupant): a send error, never a delivery.
      if (/type=['"]error['"]/.test(openTag)) {
        this.onAck(
          false,
          undefined,
          /<([a-z-]+) xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas/.exec(b.slice(tagEnd, end))?.[1] ??
            "error",
        )
        continue
      }
      const body = b.indexOf("<body>", tagEnd)
      if (body >= 0 && body < end) this.onMessage(b.slice(body + 6, b.indexOf("</body>", body)))
    }
    // Keep an unfinished <message> for the next chunk; else only a tail that may start one (or a ping id).
    const rest = b.slice(pos)
    this.buffer = rest.startsWith("<message") ? rest : rest.slice(-64)
  }

  /** One message: type groupchat to a room of MUC_HOST, type chat to a user (both as bare JIDs). */
  send(to, bytes) {
    const type = to.endsWith(`@${MUC_HOST}`) ? "groupchat" : "chat"
    this.socket.write(`<message to='${to}' type='${type}'><body>${bytes.toString("base64")}</body></message>`)
  }

  flushAck() {}

  close() {
    this.socket?.destroy()
  }
}
