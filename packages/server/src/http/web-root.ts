import { readdirSync, readFileSync, statSync } from "node:fs"
import { extname, join, relative, sep } from "node:path"
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify"

/**
 * Serves the built web app (packages/web/dist) from memory: every file is read once at start-up, so a
 * request path can only ever name one of those files (no path is joined onto the file system per request).
 * Unknown paths outside /v1/ that look like app routes (no file extension) get index.html; /v1/* never does.
 */

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
}

/** The page may load and connect only to its own origin; no inline script, no framing, no referrer. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ")

export const webSecurityHeaders: Record<string, string> = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

interface WebFile {
  body: Buffer
  type: string
  immutable: boolean
}

function collect(root: string, dir: string, files: Map<string, WebFile>): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      collect(root, path, files)
      continue
    }
    const urlPath = "/" + relative(root, path).split(sep).join("/")
    files.set(urlPath, {
      body: readFileSync(path),
      type: contentTypes[extname(name).toLowerCase()] ?? "application/octet-stream",
      // Vite names built assets by content hash: they never change under the same name.
      immutable: urlPath.startsWith("/assets/"),
    })
  }
}

export interface WebRoot {
  /** Answers the request if it is for the web app; false when it is not (the API's 404 applies). */
  serve(request: FastifyRequest, reply: FastifyReply): boolean
}

export function loadWebRoot(root: string): WebRoot {
  const files = new Map<string, WebFile>()
  collect(root, root, files)
  const index = files.get("/index.html")
  if (index === undefined) throw new Error("the web root has no index.html")
  return {
    serve(request, reply) {
      if (request.method !== "GET" && request.method !== "HEAD") return false
      const path = (request.url.split("?")[0] ?? "/").split("#")[0] ?? "/"
      if (path === "/v1" || path.startsWith("/v1/")) return false
      let file = path === "/" ? index : files.get(path)
      if (file === undefined) {
        const last = path.slice(path.lastIndexOf("/") + 1)
        if (last.includes(".")) return false
        file = index
      }
      void reply
        .code(200)
        .headers(webSecurityHeaders)
        .header("content-type", file.type)
        .header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache")
        .send(request.method === "HEAD" ? undefined : file.body)
      return true
    },
  }
}

/** Hooks the web root into an app's not-found path, so API routes always win. */
export function attachWebRoot(
  app: FastifyInstance,
  webRoot: WebRoot,
  notFound: (reply: FastifyReply) => void,
): void {
  app.setNotFoundHandler((request, reply) => {
    if (!webRoot.serve(request, reply)) notFound(reply)
  })
}
