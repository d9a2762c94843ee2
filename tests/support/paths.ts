import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
export const cliBin = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url))
