export interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string | string[]>
  body?: Uint8Array
}

export interface FuzzTarget {
  request(request: FuzzRequest): Promise<{ status: number; headers: unknown; text: string }>
}

export interface FuzzContext {
  target: FuzzTarget
  rebuilds: number
}

export interface FuzzFailure {
  kind: string
  problem: string
  [detail: string]: unknown
}

export interface FuzzResult {
  inputs: number
  httpInputs: number
  wsInputs: number
  rawInputs: number
  clientErrors: number
  crashes: number
  failures: FuzzFailure[]
  statuses: Record<string, number>
  codes: Record<string, number>
  rssSamples: { inputs: number; rss: number }[]
  rebuilds: number
}

export interface FuzzOptions {
  inputs: number
  seed: number
  wsUrl?: string
  wsShare?: number
  /** Port for raw-socket HTTP inputs (what Node's parser sees); none without it. */
  rawPort?: number
  rawShare?: number
  batchSize?: number
  concurrency?: number
  alive?: () => boolean
  rss?: () => number
  onBatch?: (result: FuzzResult) => void
}

export declare function prepareContext(
  target: FuzzTarget,
  dataDir: string,
  tag?: string,
): Promise<FuzzContext>
export declare function fuzz(ctx: FuzzContext, options: FuzzOptions): Promise<FuzzResult>
export declare function rssGrowth(
  samples: { inputs: number; rss: number }[],
  warmup?: number,
): { warmRss: number; endRss: number; growth: number; maxRss: number }
export declare function checkHttp(res: { status: number; text: string }, method?: string): string | undefined
export declare function checkWs(frames: string[], closeCode: number | undefined): string | undefined
export declare function checkRawAnswer(text: string): string | undefined
export declare function rssOfPid(pid: number): number
