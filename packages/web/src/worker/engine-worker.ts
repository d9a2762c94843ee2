import type { EngineMethod, RequestMessage, ResponseMessage } from "../rpc/engine-api.js"
import { EngineHost, toFailure, WebError } from "./engine-host.js"

/** The worker's global scope, typed as far as this file uses it (the DOM lib types `self` as a Window). */
interface WorkerScope {
  postMessage(message: ResponseMessage): void
  addEventListener(type: "message", listener: (event: MessageEvent<RequestMessage>) => void): void
}

const scope = self as unknown as WorkerScope
const host = new EngineHost((message) => {
  scope.postMessage(message)
})

function isMethod(name: string): name is EngineMethod {
  return Object.prototype.hasOwnProperty.call(host.api, name)
}

scope.addEventListener("message", (event) => {
  const { id, method, args } = event.data
  void (async () => {
    try {
      if (!isMethod(method)) throw new WebError("WEB_UNKNOWN_METHOD", "no such engine method")
      const fn = host.api[method] as (...a: unknown[]) => Promise<unknown>
      const value = await fn(...args)
      scope.postMessage({ kind: "result", id, value })
    } catch (err) {
      scope.postMessage({ kind: "error", id, error: toFailure(err) })
    }
  })()
})
