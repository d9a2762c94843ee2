#!/usr/bin/env node
// Measures the web app's initial bundle: every script, module preload and stylesheet that dist/index.html
// loads before the app can paint, gzipped (level 9) as a server would send them. The engine worker and
// other lazily loaded chunks are listed separately and do not count. Exits 1 above the budget.
// Usage: node packages/web/scripts/bundle-budget.mjs [distDir]
import { readFileSync, readdirSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

export const budgetBytes = 350 * 1024

const gz = (buffer) => gzipSync(buffer, { level: 9 }).length

function files(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...files(path))
    else out.push(path)
  }
  return out
}

/** { initial: [{ file, bytes, gzip }], initialGzip, lazy: [...], lazyGzip } for a built dist/. */
export function measureBundle(distDir) {
  const html = readFileSync(join(distDir, "index.html"), "utf8")
  const referenced = new Set()
  for (const m of html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)) referenced.add(m[1])
  for (const m of html.matchAll(/<link[^>]*\brel="(?:stylesheet|modulepreload)"[^>]*\bhref="([^"]+)"/g))
    referenced.add(m[1])
  for (const m of html.matchAll(/<link[^>]*\bhref="([^"]+)"[^>]*\brel="(?:stylesheet|modulepreload)"/g))
    referenced.add(m[1])
  const describe = (path) => {
    const body = readFileSync(path)
    return { file: relative(distDir, path), bytes: body.length, gzip: gz(body) }
  }
  const initial = [describe(join(distDir, "index.html"))]
  // Follow static imports of the initial scripts (shared chunks load before the app runs too).
  const queue = [...referenced].map((ref) => ref.replace(/^\//, ""))
  const seen = new Set()
  while (queue.length > 0) {
    const file = queue.shift()
    if (seen.has(file)) continue
    seen.add(file)
    initial.push(describe(join(distDir, file)))
    if (!file.endsWith(".js")) continue
    const code = readFileSync(join(distDir, file), "utf8")
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : ""
    for (const m of code.matchAll(
      /(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g,
    )) {
      queue.push(new URL(m[1], `http://x/${dir}`).pathname.slice(1))
    }
  }
  const initialNames = new Set(initial.map((f) => f.file))
  const lazy = files(distDir)
    .map((path) => relative(distDir, path))
    .filter((file) => /\.(js|css)$/.test(file) && !initialNames.has(file))
    .map((file) => describe(join(distDir, file)))
  const sum = (list) => list.reduce((n, f) => n + f.gzip, 0)
  return { initial, initialGzip: sum(initial), lazy, lazyGzip: sum(lazy) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] ?? fileURLToPath(new URL("../dist/", import.meta.url))
  const m = measureBundle(dist)
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`
  console.log("initial (counts against the budget)")
  for (const f of m.initial)
    console.log(`  ${f.file.padEnd(48)} ${kb(f.bytes).padStart(10)} ${kb(f.gzip).padStart(10)} gz`)
  console.log(`  total ${kb(m.initialGzip)} gzipped; budget ${kb(budgetBytes)}`)
  console.log("loaded later (engine worker, lazy chunks)")
  for (const f of m.lazy)
    console.log(`  ${f.file.padEnd(48)} ${kb(f.bytes).padStart(10)} ${kb(f.gzip).padStart(10)} gz`)
  console.log(`  total ${kb(m.lazyGzip)} gzipped`)
  if (m.initialGzip > budgetBytes) {
    console.error(`initial bundle ${kb(m.initialGzip)} is over the ${kb(budgetBytes)} budget`)
    process.exit(1)
  }
}
