export type Receipt = "new" | "duplicate" | "reordered" | "unknown"

export interface DeliveryCounts {
  sent: number
  received: number
  lost: number
  duplicated: number
  outOfOrder: number
  unknown: number
}

export class DeliveryTracker {
  received: number
  duplicated: number
  outOfOrder: number
  unknown: number
  latencies: number[]
  sent(key: string): number
  receive(key: string, seq: number, latencyMs?: number): Receipt
  readonly sentTotal: number
  readonly lost: number
  counts(): DeliveryCounts
}

export function percentile(values: readonly number[], p: number): number
export function median(values: readonly number[]): number
