import type { FuzzTarget } from "./engine.mjs"

export interface FuzzServer {
  dataDir: string
  target: FuzzTarget
  wsUrl: string
  port: number
  alive: () => boolean
  rss: () => number
  /** What the server logged (stderr of the process). */
  output(): string
  close(): Promise<unknown>
}

export declare function processServer(): Promise<FuzzServer>
export declare function inProcessServer(): Promise<FuzzServer>
