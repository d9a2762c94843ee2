export interface CrashOptions {
  /** SIGKILLs of the server (default 20). */
  kills?: number
  senders?: number
  receivers?: number
  /** Random time between a restart and the next kill, [min, max] ms (default [300, 2000]). */
  gapMs?: [number, number]
  /** Pause between a sender's messages (default 5 ms). */
  paceMs?: number
  /** Keep the temporary directory (server data and profiles). */
  keep?: boolean
  log?: (line: string) => void
}

export interface CrashReport {
  kills: number
  /** Messages acknowledged by the server (sendText "sent" or a later outbox flush). */
  acked: number
  /** Messages the senders wrote. */
  written: number
  /** Acknowledged messages missing on a device that should show them (device × message). */
  lost: number
  /** Extra copies of a message id shown on a device. */
  duplicates: number
  /** Messages still pending in an outbox at the end. */
  pendingLeft: number
  /** Sends whose reply did not arrive (kept in the outbox and resent). */
  lostReplies: number
  /** Codes of sends the server refused. */
  refused: string[]
  perDevice: { handle: string; shown: number; lost: number; duplicates: number }[]
  /** Median time from SIGKILL to the restarted server listening. */
  restartMs: number
  seconds: number
}

export declare function runCrashScenario(options?: CrashOptions): Promise<CrashReport>
