#!/usr/bin/env node
// Brings a fresh clone (or an existing checkout) to a runnable state:
//   1. installs npm dependencies when package-lock.json changed (native addons compile from source),
//   2. with --test, installs the Debian packages the test suite drives (Chromium),
//   3. builds every package (TypeScript project references; incremental),
//   4. links the `backchannel` command into node_modules/.bin (for `npx backchannel`) once it is built,
//   5. builds the web app (vite) into packages/web/dist, which `backchannel serve` serves.
// Idempotent: a second run with nothing changed takes a few seconds.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const args = new Set(process.argv.slice(2))
const forTests = args.has("--test")

function log(message) {
  process.stdout.write(`[setup] ${message}\n`)
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: "inherit", ...options })
  if (result.status !== 0) {
    process.stderr.write(`[setup] failed: ${command} ${commandArgs.join(" ")}\n`)
    process.exit(result.status ?? 1)
  }
}

function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number)
  if (major < 20 || (major === 20 && minor < 19)) {
    process.stderr.write(
      `[setup] Node ${process.versions.node} is too old; Backchannel needs Node >= 20.19.\n`,
    )
    process.exit(1)
  }
}

function installNpmDependencies() {
  const lock = readFileSync(join(root, "package-lock.json"))
  const hash = createHash("sha256").update(lock).digest("hex")
  const stamp = join(root, "node_modules", ".backchannel-lock-sha256")
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    log("npm dependencies are up to date")
    return
  }
  log("installing npm dependencies (npm ci; better-sqlite3 compiles from source)")
  run("npm", ["ci", "--no-audit", "--no-fund"], {
    env: { ...process.env, npm_config_build_from_source: "true" },
  })
  writeFileSync(stamp, hash)
}

function hasCommand(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0
}

/** Debian packages the tests need, keyed by a file that proves each one is installed. */
const testPackages = [{ pkg: "chromium", proof: "/usr/bin/chromium" }]

function installSystemPackages(packages) {
  const missing = packages.filter((p) => !existsSync(p.proof)).map((p) => p.pkg)
  if (missing.length === 0) {
    log(`system packages present: ${packages.map((p) => p.pkg).join(", ")}`)
    return
  }
  if (!hasCommand("apt-get")) {
    process.stderr.write(
      `[setup] missing ${missing.join(", ")} and apt-get is not available; install them.\n`,
    )
    process.exit(1)
  }
  const argv = (...rest) => (process.getuid?.() === 0 ? rest : ["sudo", ...rest])
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  log(`installing Debian packages: ${missing.join(", ")}`)
  const update = argv("apt-get", "update", "-q")
  run(update[0], update.slice(1), { env })
  const install = argv("apt-get", "install", "-y", "-q", "--no-install-recommends", ...missing)
  run(install[0], install.slice(1), { env })
}

function build() {
  log("building packages (tsc -b)")
  run(join(root, "node_modules", ".bin", "tsc"), ["-b"])
}

/**
 * `npm ci` links a workspace's bin only if its file exists, and packages/cli/dist/bin.js exists only after
 * the build: on a fresh clone `npx backchannel`, which the README and the server's start-up message tell
 * users to run, would find no command. Linking again once it is built (which also makes it executable)
 * fixes that; a link that already works is left alone.
 */
function linkCommand() {
  try {
    accessSync(join(root, "node_modules", ".bin", "backchannel"), constants.X_OK)
    return
  } catch {
    log("linking the backchannel command (npm rebuild)")
  }
  run("npm", ["rebuild", "backchannel", "--ignore-scripts", "--no-audit", "--no-fund"])
}

function buildWeb() {
  log("building the web app (vite build)")
  run(
    join(root, "node_modules", ".bin", "vite"),
    ["build", "--config", "vite.config.mjs", "--logLevel", "warn"],
    {
      cwd: join(root, "packages", "web"),
    },
  )
}

checkNode()
installNpmDependencies()
if (forTests) installSystemPackages(testPackages)
build()
linkCommand()
buildWeb()
log("ready")
