// Shared by every benchmark: keeps bench/RESULTS.md's summary block (one `key: value` per line, at the
// top of the file, between the markers) and one section per benchmark below it, and writes JSON next to it.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import os from "node:os"

const benchDir = join(dirname(fileURLToPath(import.meta.url)), "..")
export const resultsPath = join(benchDir, "RESULTS.md")
export const outDir = join(benchDir, "results")

const SUMMARY_START = "<!-- summary:start -->"
const SUMMARY_END = "<!-- summary:end -->"

function read() {
  if (existsSync(resultsPath)) return readFileSync(resultsPath, "utf8")
  return `# Benchmark results\n\n${SUMMARY_START}\n\`\`\`\n\`\`\`\n${SUMMARY_END}\n`
}

/** Sets (or replaces) keys in the summary block; other keys are kept; the block stays sorted. */
export function updateSummary(entries) {
  const text = read()
  const start = text.indexOf(SUMMARY_START)
  const end = text.indexOf(SUMMARY_END)
  if (start < 0 || end < 0) throw new Error("bench/RESULTS.md lost its summary markers")
  const block = text.slice(start + SUMMARY_START.length, end)
  const current = new Map()
  for (const line of block.split("\n")) {
    const m = /^([a-z0-9_]+): (.*)$/.exec(line.trim())
    if (m) current.set(m[1], m[2])
  }
  for (const [key, value] of Object.entries(entries)) current.set(key, String(value))
  const lines = [...current.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`)
  const next = `${SUMMARY_START}\n\`\`\`\n${lines.join("\n")}\n\`\`\`\n${SUMMARY_END}`
  writeFileSync(resultsPath, text.slice(0, start) + next + text.slice(end + SUMMARY_END.length))
}

/** Replaces the section `## name` (up to the next `## ` heading) with `markdown`, or appends it. */
export function writeSection(name, markdown) {
  const text = read()
  const heading = `## ${name}\n`
  const body = `${heading}\n${markdown.trim()}\n\n`
  const at = text.indexOf(heading)
  if (at < 0) {
    writeFileSync(resultsPath, `${text.trimEnd()}\n\n${body}`)
    return
  }
  const next = text.indexOf("\n## ", at + heading.length)
  writeFileSync(resultsPath, text.slice(0, at) + body + (next < 0 ? "" : text.slice(next + 1)))
}

/** Writes bench/results/<name>.json with the machine and date alongside the data. */
export function writeJson(name, data) {
  mkdirSync(outDir, { recursive: true })
  const path = join(outDir, `${name}.json`)
  writeFileSync(
    path,
    JSON.stringify({ machine: machine(), date: new Date().toISOString(), ...data }, null, 2),
  )
  return path
}

export function machine() {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  }
}

/** Renders rows (arrays of cells) as a Markdown table and as aligned text for the terminal. */
export function table(header, rows) {
  const md = [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n")
  const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)))
  const text = [header, ...rows]
    .map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join("  "))
    .join("\n")
  return { md, text }
}
