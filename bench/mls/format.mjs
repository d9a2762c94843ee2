// Medians, number formatting and per-metric statistics shared by the MLS benchmarks (Node and Chromium).

/** Three significant figures below 100, whole numbers with thousands separators above. */
export const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1))

/** Median with the range over repetitions in brackets (sizes in bytes and constant values: the median alone). */
export const cell = (s, kind) =>
  kind === "bytes" || s.min === s.max ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function stats(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values }
}
