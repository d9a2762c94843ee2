import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { coreErrorCodes } from "@backchannel/core"

const protocolDoc = readFileSync(new URL("../../../docs/PROTOCOL.md", import.meta.url), "utf8")
const cliSource = fileURLToPath(new URL(".", import.meta.url))

/** The rows of the PROTOCOL.md table under the given heading: `| \`CODE\` | meaning |`. */
function documented(heading: string): string[] {
  const start = protocolDoc.indexOf(heading)
  expect(start, heading).toBeGreaterThan(-1)
  const rest = protocolDoc.slice(start + heading.length)
  const section = rest.slice(0, rest.search(/^#{2,3} /m))
  return [...section.matchAll(/^\| `([A-Z_]+)` \| [^|]+ \|$/gm)].map((m) => m[1] ?? "")
}

/** Every code the CLI source can report: `new CliError("CODE"` and the codes `describe` assigns. */
function cliCodes(): string[] {
  const codes = new Set<string>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
        const text = readFileSync(path, "utf8")
        for (const m of text.matchAll(/CliError\(\s*"([A-Z_]+)"/g)) codes.add(m[1] ?? "")
        for (const m of text.matchAll(/\bcode: "([A-Z_]+)"/g)) codes.add(m[1] ?? "")
      }
    }
  }
  walk(cliSource)
  codes.add("USAGE") // usageError()
  return [...codes].sort()
}

describe("client error codes in docs/PROTOCOL.md", () => {
  it("documents every code of the core engine, and no other", () => {
    expect(documented("### Client codes").sort()).toEqual([...coreErrorCodes].sort())
  })

  it("documents every code the CLI reports itself, and no other", () => {
    const own = cliCodes().filter((c) => !(coreErrorCodes as readonly string[]).includes(c))
    expect(own.length).toBeGreaterThan(10)
    expect(documented("### CLI codes").sort()).toEqual(own)
  })
})
