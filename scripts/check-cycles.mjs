#!/usr/bin/env node
// Fails when relative imports inside a package form a cycle (Tarjan's strongly connected components).
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const files = []
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) files.push(path)
  }
}
for (const pkg of readdirSync(join(root, "packages"))) {
  const src = join(root, "packages", pkg, "src")
  try {
    walk(src)
  } catch {
    // a package without src/ has nothing to check
  }
}

const graph = new Map()
for (const file of files) {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true)
  const deps = []
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith(".")) continue
    const target = resolve(dirname(file), ref.fileName)
      .replace(/\.js$/, ".ts")
      .replace(/\.jsx$/, ".tsx")
    if (files.includes(target)) deps.push(target)
  }
  graph.set(file, deps)
}

let index = 0
const stack = []
const meta = new Map()
const cycles = []
function strongConnect(v) {
  meta.set(v, { index, low: index, onStack: true })
  index++
  stack.push(v)
  for (const w of graph.get(v) ?? []) {
    if (!meta.has(w)) {
      strongConnect(w)
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low)
    } else if (meta.get(w).onStack) {
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index)
    }
  }
  if (meta.get(v).low === meta.get(v).index) {
    const component = []
    let w
    do {
      w = stack.pop()
      meta.get(w).onStack = false
      component.push(w)
    } while (w !== v)
    const selfLoop = component.length === 1 && (graph.get(v) ?? []).includes(v)
    if (component.length > 1 || selfLoop) cycles.push(component)
  }
}
for (const v of graph.keys()) if (!meta.has(v)) strongConnect(v)

if (cycles.length > 0) {
  for (const cycle of cycles)
    console.error(`import cycle: ${cycle.map((f) => relative(root, f)).join(" <-> ")}`)
  process.exit(1)
}
console.log(`no import cycles in ${files.length} files`)
