import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

// The README and the server's start-up message tell users to run `npx backchannel …` from the checkout.
// On a fresh clone that command exists only because the setup script links it after the build (npm ci
// runs before the build, when the file the link points to is not there yet).

const root = fileURLToPath(new URL("..", import.meta.url))

describe("the backchannel command after setup", () => {
  it("runs as `npx --no-install backchannel` from the checkout", () => {
    const result = spawnSync("npx", ["--no-install", "backchannel", "--help"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    })
    expect(result.stderr).not.toMatch(/not found|EACCES|could not determine/i)
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^backchannel\b/m)
    expect(result.stdout).toMatch(/admin invite/)
  })
})
